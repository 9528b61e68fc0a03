// When the page syncs: on start, on `online`, shortly after each change, on a timer while
// the app is open, and through Background Sync where the browser has it. Failures back off
// exponentially with jitter; success resets the back-off.
import { nextDelay } from "./backoff.js";
import { SessionExpired } from "./api.js";
import { syncNow } from "./sync-client.js";

const AFTER_CHANGE_MS = 1_500;
const WHILE_OPEN_MS = 60_000;
const TAG = "civicgrid-sync";

let timer = null;
let attempt = 0;
let running = null;
let again = false;
let stopped = true;

function schedule(delayMs) {
  clearTimeout(timer);
  if (!stopped) timer = setTimeout(run, delayMs);
}

async function run() {
  if (running) {
    again = true;  // something changed while we were syncing: go once more right after
    return running;
  }
  clearTimeout(timer);
  if (!navigator.onLine) return null;  // the `online` event brings us back
  running = (async () => {
    try {
      await syncNow("page");
      attempt = 0;
      schedule(again ? 0 : WHILE_OPEN_MS);
    } catch (error) {
      if (error instanceof SessionExpired) return;  // waits for sign-in, not for a timer
      attempt += 1;
      schedule(nextDelay(attempt));
    } finally {
      running = null;
      if (again) {
        again = false;
        schedule(0);
      }
    }
  })();
  return running;
}

/** A local change was queued: sync soon (debounced), and ask for a Background Sync too. */
export function changed() {
  schedule(AFTER_CHANGE_MS);
  navigator.serviceWorker?.ready
    .then((registration) => registration.sync?.register(TAG))
    .catch(() => {});  // no Background Sync here: the page's own timer covers it
}

export function syncSoon() {
  attempt = 0;
  schedule(0);
}

export function startScheduler() {
  if (!stopped) return;
  stopped = false;
  window.addEventListener("online", syncSoon);
  document.addEventListener("visibilitychange", onVisible);
  syncSoon();
}

export function stopScheduler() {
  stopped = true;
  clearTimeout(timer);
  window.removeEventListener("online", syncSoon);
  document.removeEventListener("visibilitychange", onVisible);
}

function onVisible() {
  if (document.visibilityState === "visible") syncSoon();
}

export const syncing = () => running;
