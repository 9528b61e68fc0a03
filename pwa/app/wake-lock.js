// Keep the screen on while a patrol records: a web page gets no GPS fixes once the phone
// locks its screen, so a patrol would have holes. The browser drops the lock whenever the
// page is hidden; it is asked for again when the page comes back. Where the Screen Wake
// Lock API is missing (or refused, e.g. on low battery) the patrol still records whenever
// the screen is on.

let wanted = false;
let sentinel = null;

async function acquire() {
  if (!wanted || sentinel || !("wakeLock" in navigator) || document.visibilityState !== "visible") return;
  try {
    sentinel = await navigator.wakeLock.request("screen");
    sentinel.addEventListener?.("release", () => { sentinel = null; });
    if (!wanted) release();
  } catch {
    sentinel = null;  // refused: nothing to do but record while the screen is on
  }
}

function release() {
  const held = sentinel;
  sentinel = null;
  held?.release?.().catch(() => {});
}

function onVisibility() {
  if (document.visibilityState === "visible") acquire();
}

/** Hold the screen on until releaseScreen(); safe to call again while held. */
export function keepScreenOn() {
  if (wanted) return;
  wanted = true;
  document.addEventListener("visibilitychange", onVisibility);
  acquire();
}

export function releaseScreen() {
  if (!wanted) return;
  wanted = false;
  document.removeEventListener("visibilitychange", onVisibility);
  release();
}
