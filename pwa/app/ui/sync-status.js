// The always-visible sync status in the header: offline / syncing / all synced, how many
// changes wait, and when the last sync succeeded. It opens the sync screen.
import { CHANNEL, status } from "../sync-client.js";
import { language, t } from "../i18n.js";
import { formatTime } from "./dom.js";

let last = null;
let owner = null;

function render() {
  const button = document.getElementById("sync-status");
  if (!owner || !last) {
    button.hidden = true;
    return;
  }
  const offline = !navigator.onLine || last.state === "offline";
  const state = offline ? "offline" : last.state === "syncing" ? "syncing"
    : last.state === "expired" ? "expired" : last.state === "error" ? "error"
      : last.pending || last.pending_photos || !last.last_sync_at ? "pending" : "synced";
  button.hidden = false;
  button.dataset.state = state;
  const waiting = last.pending + last.pending_photos;
  document.getElementById("sync-label").textContent = waiting
    ? t(`sync.state.${state}_n`, { n: waiting }) : t(`sync.state.${state}`);
  document.getElementById("sync-detail").textContent = [
    last.last_sync_at ? t("sync.last", { time: formatTime(last.last_sync_at, language()) }) : t("sync.never"),
    last.notices ? t("sync.notices_n", { n: last.notices }) : "",
  ].filter(Boolean).join(" · ");
  document.getElementById("session-expired").hidden = state !== "expired";
}

export async function refreshSyncStatus(state) {
  if (!owner) return;
  last = { ...(await status(owner, state || last?.state || "idle")) };
  render();
}

export function mountSyncStatus(userId, navigate) {
  owner = userId;
  last = null;  // a fresh sign-in: whatever the last session's state was is over
  const button = document.getElementById("sync-status");
  button.onclick = () => navigate("/sync");
  if (!mountSyncStatus.listening) {
    mountSyncStatus.listening = true;
    const onMessage = (message) => {
      if (message.type === "status" && message.owner === owner) {
        last = message;
        render();
      }
    };
    new BroadcastChannel(CHANNEL).onmessage = (event) => onMessage(event.data);
    window.addEventListener(CHANNEL, (event) => onMessage(event.detail));
    window.addEventListener("online", render);
    window.addEventListener("offline", render);
  }
  return refreshSyncStatus();
}

export function unmountSyncStatus() {
  owner = null;
  last = null;
  render();
}
