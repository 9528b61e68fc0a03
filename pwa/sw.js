// The service worker: the app shell from a versioned cache (so the app opens with no
// signal), never API data; a new version waits until the user says "reload"; Background
// Sync runs the same sync client as the page.
import { syncNow } from "./app/sync-client.js";

const VERSION = "2026-12-07.11";
const CACHE = `civicgrid-shell-${VERSION}`;
const SHELL = [
  "/",
  "/index.html",
  "/manifest.webmanifest",
  "/app/styles.css",
  "/app/main.js",
  "/app/api.js",
  "/app/backoff.js",
  "/app/live.js",
  "/app/ui/live-status.js",
  "/app/hall-live.js",
  "/app/fence.js",
  "/app/geo.js",
  "/app/i18n.js",
  "/app/merge.js",
  "/app/photos.js",
  "/app/categories.js",
  "/app/cases.js",
  "/app/reports.js",
  "/app/router.js",
  "/app/scheduler.js",
  "/app/shrink.js",
  "/app/store.js",
  "/app/sync-client.js",
  "/app/track.js",
  "/app/wake-lock.js",
  "/app/ui/dom.js",
  "/app/ui/download.js",
  "/app/ui/icons.js",
  "/app/ui/sign-out.js",
  "/app/ui/sync-status.js",
  "/app/ui/grid-map.js",
  "/app/ui/offline-notice.js",
  "/app/ui/track-map.js",
  "/app/ui/category-picker.js",
  "/app/ui/pin-map.js",
  "/app/ui/case-map.js",
  "/app/ui/report-photos.js",
  "/app/ui/status-chip.js",
  "/app/ui/notification-bell.js",
  "/app/push.js",
  "/app/queue.js",
  "/app/ticket-cache.js",
  "/app/certificate-cache.js",
  "/app/certificate-check.js",
  "/app/verifier-cache.js",
  "/app/ui/qr-code.js",
  "/lib/idb-8.0.4.js",
  "/lib/leaflet-1.9.4/leaflet.js",
  "/lib/leaflet-1.9.4/leaflet.css",
  "/lib/chart-4.6.2.umd.min.js",
  "/lib/jsqr-1.4.0.js",
  "/lib/qrcode-generator-2.0.4.js",
  "/i18n/zh-CN.json",
  "/i18n/en.json",
  "/icons/icon.svg",
  "/icons/icon-192.png",
  "/icons/icon-512.png",
  "/icons/icon-maskable-512.png",
  "/icons/icon-180.png",
  "/screens/signin.js",
  "/screens/signup.js",
  "/screens/home.js",
  "/screens/sync.js",
  "/screens/reports.js",
  "/screens/report-edit.js",
  "/screens/report-detail.js",
  "/screens/soon.js",
  "/screens/attendance.js",
  "/screens/patrol.js",
  "/screens/take-number.js",
  "/screens/ticket.js",
  "/screens/tickets.js",
  "/screens/appointments.js",
  "/screens/certificates.js",
  "/screens/certificate.js",
  "/screens/certificate-request.js",
  "/screens/verify.js",
  "/console/console.js",
  "/console/attendance.js",
  "/console/tracks.js",
  "/console/posts.js",
  "/console/audit.js",
  "/console/clerk.js",
  "/console/halls.js",
  "/console/cases.js",
  "/console/case.js",
  "/console/assessment.js",
  "/console/hall-stats.js",
  "/console/map.js",
  "/console/hall.js",
  "/console/certificates.js",
  "/console/certificate-request-panel.js",
  "/display/display.js",
  "/display/display.css",
];

self.addEventListener("install", (event) => {
  // `reload` skips the HTTP cache: the shell we keep is exactly this version's.
  event.waitUntil(caches.open(CACHE).then((cache) =>
    cache.addAll(SHELL.map((url) => new Request(url, { cache: "reload" })))));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((name) => name.startsWith("civicgrid-shell-") && name !== CACHE)
      .map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

self.addEventListener("message", (event) => {
  if (event.data?.type === "skip-waiting") self.skipWaiting();
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== location.origin) return;
  if (url.pathname.startsWith("/api/") || url.pathname === "/healthz") return;  // always live
  if (event.request.mode === "navigate") {
    event.respondWith(caches.match("/index.html", { cacheName: CACHE })
      .then((cached) => cached || fetch(event.request)));
    return;
  }
  event.respondWith(caches.match(event.request, { cacheName: CACHE, ignoreSearch: true })
    .then((cached) => cached || fetch(event.request)));
});

// Web Push: the server's message ({title, body, url, tag}) shown as a notification; a tap
// focuses a window of the app on its url, or opens one.
self.addEventListener("push", (event) => {
  let message = {};
  try {
    message = event.data ? event.data.json() : {};
  } catch {
    message = { body: event.data?.text() };
  }
  event.waitUntil(Promise.all([
    self.registration.showNotification(message.title || "网格通", {
      body: message.body || "", tag: message.tag, icon: "/icons/icon-192.png",
      data: { url: message.url || "/" },
    }),
    // An open page (a ticket being watched) reads its data again at once.
    self.clients.matchAll({ type: "window", includeUncontrolled: true })
      .then((windows) => windows.forEach((client) => client.postMessage({ type: "push", message }))),
  ]));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = new URL(event.notification.data?.url || "/", location.origin);
  if (url.origin !== location.origin) return;  // only the app's own pages
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const open = windows.find((client) => new URL(client.url).origin === location.origin);
    if (open) {
      await open.focus();
      return open.navigate(url.href);
    }
    return self.clients.openWindow(url.href);
  })());
});

self.addEventListener("sync", (event) => {
  if (event.tag === "civicgrid-sync") event.waitUntil(syncNow("background"));
});
