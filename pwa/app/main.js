// The app shell: language, session, service worker, sync scheduling, then the router.
// Start-up reads only IndexedDB and cached files, so the app opens with no signal at all.
import * as api from "./api.js";
import { language, loadLanguage, otherLanguage, pickLanguage, t, translatePage } from "./i18n.js";
import { currentPath, navigate, rerender, startRouter } from "./router.js";
import { changed, startScheduler, stopScheduler, syncSoon } from "./scheduler.js";
import * as store from "./store.js";
import { CHANNEL } from "./sync-client.js";
import { mountSyncStatus, refreshSyncStatus, unmountSyncStatus } from "./ui/sync-status.js";

let session = null;
const listeners = new Set();

const app = {
  session: () => session,
  owner: () => session?.user.id,
  t,
  language,
  navigate,

  /** Queue a change to a synced record; it shows at once and syncs when it can. */
  async mutate(collection, id, op, fields = {}) {
    const mutation = await store.addMutation(session.user.id, { collection, id, op, fields });
    changed();
    refreshSyncStatus();
    notify();
    return mutation;
  },

  /** Screens re-read the store when synced data changes; returns the unsubscribe. */
  onChange(listener) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },

  toast(text) {
    const el = document.getElementById("toast");
    el.textContent = text;
    el.hidden = false;
    clearTimeout(app.toast.timer);
    app.toast.timer = setTimeout(() => { el.hidden = true; }, 4000);
  },

  async signedIn(next) {
    session = next;
    await mountSyncStatus(session.user.id, navigate);
    startScheduler();
    syncSoon();
    navigate("/");
  },

  /** Sign out; unsynced work stays on the phone for this user's next sign-in. */
  async signOut() {
    const owner = session.user.id;
    stopScheduler();
    await api.signOutOnServer(session);
    await store.forgetSyncedData(owner);
    session = null;
    unmountSyncStatus();
    navigate("/signin");
  },
};

function notify() {
  for (const listener of listeners) listener();
}

function listenForChanges() {
  const onMessage = (message) => {
    if (message.type === "changed" && message.owner === app.owner()) notify();
    if (message.type === "status" && message.state === "expired" && session) session.expired = true;
  };
  new BroadcastChannel(CHANNEL).onmessage = (event) => onMessage(event.data);
  window.addEventListener(CHANNEL, (event) => onMessage(event.detail));
}

async function registerServiceWorker() {
  if (!("serviceWorker" in navigator)) return;
  const registration = await navigator.serviceWorker.register("/sw.js", { type: "module", scope: "/" });
  let updateAccepted = false;
  const offerUpdate = (worker) => {
    document.getElementById("update").hidden = false;
    document.getElementById("update-reload").onclick = () => {
      updateAccepted = true;
      worker.postMessage({ type: "skip-waiting" });
    };
  };
  // Only a worker that replaces a running one is an update; the first install just takes over.
  if (registration.waiting && navigator.serviceWorker.controller) offerUpdate(registration.waiting);
  registration.addEventListener("updatefound", () => {
    const worker = registration.installing;
    worker?.addEventListener("statechange", () => {
      if (worker.state === "installed" && navigator.serviceWorker.controller) offerUpdate(worker);
    });
  });
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    // The new version took over because the user said "reload": load it whole, never half
    // old, half new. (The first install's takeover needs no reload: nothing was old.)
    if (updateAccepted) location.reload();
  });
}

function setUpLanguageSwitch() {
  const button = document.getElementById("lang");
  const label = () => {
    button.textContent = t("lang.switch");
    button.setAttribute("aria-label", t("lang.switch_label"));
  };
  label();
  button.addEventListener("click", async () => {
    await loadLanguage(otherLanguage());
    translatePage();
    label();
    refreshSyncStatus();
    rerender();
  });
}

/** When online, refresh who we are (roles, region may have changed); never blocks start-up. */
async function refreshMe() {
  if (!navigator.onLine || !session || session.expired) return;
  try {
    const user = await api.me();
    session = { ...(await store.getSession()), user };
    await store.putSession(session);
  } catch {
    // Offline, or the session ended: the status bar says so; work continues locally.
  }
}

async function start() {
  await loadLanguage(pickLanguage());
  translatePage();
  setUpLanguageSwitch();
  listenForChanges();
  session = await store.getSession();
  if (session) {
    await mountSyncStatus(session.user.id, navigate);
    if (session.expired && currentPath() !== "/signin") document.getElementById("session-expired").hidden = false;
  }
  await startRouter(app);
  registerServiceWorker().catch(() => {});
  if (session) {
    startScheduler();
    refreshMe();
  }
  // For tests and support: the outbox as the app sees it.
  globalThis.civicgrid = {
    outboxCount: async () => (session ? (await store.outbox(session.user.id)).length : 0),
    syncNow: () => import("./sync-client.js").then((m) => m.syncNow("debug")),
  };
  document.documentElement.dataset.ready = "true";
}

start();
