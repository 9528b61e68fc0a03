// Web Push: subscribe this browser to the server's pushes (notifications while the app is
// closed). Permission is asked only when subscribeToPush() is called, from a user's tap.
import { authed } from "./api.js";

/** Whether this browser can take pushes at all. */
export function pushSupported() {
  return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}

function keyBytes(base64url) {
  const text = base64url.replace(/-/g, "+").replace(/_/g, "/");
  const raw = atob(text + "=".repeat((4 - (text.length % 4)) % 4));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

/**
 * Ask for permission, subscribe with the server's VAPID key and hand the subscription to
 * the server. Returns "subscribed", "denied" or "unsupported"; API errors are thrown.
 */
export async function subscribeToPush() {
  if (!pushSupported()) return "unsupported";
  const permission = await Notification.requestPermission();
  if (permission !== "granted") return "denied";
  const registration = await navigator.serviceWorker.ready;
  let subscription = await registration.pushManager.getSubscription();
  if (!subscription) {
    const { public_key: key } = await authed("/api/v1/push/key");
    subscription = await registration.pushManager.subscribe({
      userVisibleOnly: true, applicationServerKey: keyBytes(key),
    });
  }
  const { id } = await authed("/api/v1/push/subscriptions", { method: "POST", body: subscription.toJSON() });
  localStorage.setItem("civicgrid.push.subscription", id);
  return "subscribed";
}

const ASKED = "civicgrid.push.asked";

/**
 * On a person's tap (the notification bell's first open): subscribe this browser, asking
 * for permission once per browser; never again once it was refused or dismissed.
 */
export function offerPush() {
  if (!pushSupported() || Notification.permission === "denied") return;
  if (Notification.permission === "default" && localStorage.getItem(ASKED)) return;
  localStorage.setItem(ASKED, "1");
  subscribeToPush().catch(() => {});  // offline, or no push service: the bell works as before
}

/** Stop pushes to this browser (on the server, and in the browser). */
export async function unsubscribeFromPush() {
  const id = localStorage.getItem("civicgrid.push.subscription");
  if (id) {
    await authed(`/api/v1/push/subscriptions/${id}`, { method: "DELETE" }).catch(() => {});
    localStorage.removeItem("civicgrid.push.subscription");
  }
  if (!pushSupported()) return;
  const registration = await navigator.serviceWorker.ready;
  const subscription = await registration.pushManager.getSubscription();
  if (subscription) await subscription.unsubscribe();
}
