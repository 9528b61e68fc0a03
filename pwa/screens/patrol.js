// Patrol (巡查): start, walk, stop. Each GPS fix becomes a track point in the outbox, so the
// track is kept with no signal at all; the running patrol's id is kept in IndexedDB, so a
// reload (or a killed tab) carries on with the same patrol. The live distance is the
// phone's own hint; once a patrol has synced, the server's distance and duration are shown.
import * as store from "../app/store.js";
import { metresBetween } from "../app/geo.js";
import { formatDistance, formatDuration, measureTrack } from "../app/track.js";
import { formatTime, h } from "../app/ui/dom.js";
import { trackMap } from "../app/ui/track-map.js";
import { keepScreenOn, releaseScreen } from "../app/wake-lock.js";

const RUNNING_KEY = "patrol_running";
// A fix this close to the last point, this soon, adds nothing: a worker standing still
// would otherwise fill the outbox with the same place once a second.
const MIN_MOVE_M = 5;
const MIN_INTERVAL_MS = 30_000;
const WATCH_OPTIONS = { enableHighAccuracy: true, maximumAge: 0, timeout: 60_000 };

// The recorder outlives the screen: leaving it to report an incident keeps the track going.
let recorder = null;

function startRecorder(app, patrol, points) {
  stopRecorder();
  const owner = app.owner();
  const rec = { owner, patrol, points, watchId: null, error: null, listeners: new Set() };
  const changed = () => rec.listeners.forEach((listener) => listener());
  const onFix = async (position) => {
    if (recorder !== rec || app.owner() !== owner) return stopRecorder();
    const { latitude: lat, longitude: lon, accuracy } = position.coords;
    const recordedAt = new Date(position.timestamp || Date.now());
    rec.error = null;
    const last = rec.points.at(-1);
    if (last && metresBetween(last, { lat, lon }) < MIN_MOVE_M
        && recordedAt - new Date(last.recorded_at) < MIN_INTERVAL_MS) return changed();
    const point = { patrol_id: patrol.id, lat, lon, accuracy_m: accuracy,
      recorded_at: recordedAt.toISOString() };
    rec.points.push(point);
    changed();
    await app.mutate("track_points", crypto.randomUUID(), "create", point);
  };
  const onError = (error) => {
    rec.error = error.code === 1 ? "patrol.position_denied" : "patrol.position_failed";
    changed();
  };
  if (navigator.geolocation) {
    rec.watchId = navigator.geolocation.watchPosition(onFix, onError, WATCH_OPTIONS);
  } else {
    rec.error = "patrol.position_failed";
  }
  recorder = rec;
  keepScreenOn();
  return rec;
}

function stopRecorder() {
  if (recorder?.watchId != null) navigator.geolocation.clearWatch(recorder.watchId);
  recorder = null;
  releaseScreen();
}

async function pointsOf(owner, patrolId) {
  return (await store.view(owner, "track_points"))
    .filter((p) => p.patrol_id === patrolId)
    .sort((a, b) => (a.recorded_at < b.recorded_at ? -1 : 1));
}

/** The running patrol after a reload: the one kept in meta, unless it has ended meanwhile. */
async function runningPatrol(owner) {
  const id = await store.getMeta(owner, RUNNING_KEY);
  if (!id) return null;
  const patrol = await store.viewOne(owner, "patrols", id);
  if (patrol && !patrol.ended_at) return patrol;
  await store.setMeta(owner, RUNNING_KEY, null);
  return null;
}

export async function mount(root, _params, app) {
  const { t } = app;
  const owner = app.owner();
  const lang = app.language();

  const distance = h("output", { id: "patrol-distance", class: "figure" }, "0 m");
  const elapsed = h("output", { id: "patrol-elapsed", class: "figure" }, "0:00");
  const count = h("output", { id: "patrol-points", class: "figure" }, "0");
  const status = h("p", { id: "patrol-status", class: "hint", "aria-live": "polite" });
  const startButton = h("button", { type: "button", class: "primary punch", id: "patrol-start" },
    t("patrol.start"));
  const stopButton = h("button", { type: "button", class: "primary punch stop", id: "patrol-stop",
    hidden: true }, t("patrol.stop"));
  const live = h("div", { class: "card figures", id: "patrol-live" },
    h("div", {}, h("span", { class: "label" }, t("patrol.distance")), distance),
    h("div", {}, h("span", { class: "label" }, t("patrol.elapsed")), elapsed),
    h("div", {}, h("span", { class: "label" }, t("patrol.points")), count));
  const list = h("ul", { class: "list", id: "patrol-list" });
  const mapBox = h("div", { id: "patrol-map", class: "map", role: "img", "aria-label": t("patrol.map_label") });
  let map = null;
  let mapPoints = [];
  let unmounted = false;
  const showMap = (points) => {
    mapPoints = points;
    map?.show(points);
  };

  const showLive = () => {
    const rec = recorder?.owner === owner ? recorder : null;
    startButton.hidden = Boolean(rec);
    stopButton.hidden = !rec;
    live.dataset.running = String(Boolean(rec));
    if (!rec) {
      status.textContent = t("patrol.idle");
      return;
    }
    showMap(rec.points);
    const measured = measureTrack(rec.points);
    distance.textContent = formatDistance(measured.distance_m, lang);
    distance.dataset.metres = String(Math.round(measured.distance_m * 100) / 100);
    count.textContent = String(rec.points.length);
    elapsed.textContent = formatDuration((Date.now() - Date.parse(rec.patrol.started_at)) / 1000);
    status.textContent = rec.error ? t(rec.error)
      : rec.points.length ? t("patrol.recording") : t("patrol.waiting_fix");
  };

  const renderList = async () => {
    const running = recorder?.owner === owner ? recorder.patrol.id : null;
    const patrols = (await store.view(owner, "patrols"))
      .filter((p) => p.id !== running)
      .sort((a, b) => (a.started_at < b.started_at ? 1 : -1));
    const points = patrols.length ? await store.view(owner, "track_points") : [];
    if (!running && patrols.length) {
      showMap(points.filter((pt) => pt.patrol_id === patrols[0].id)
        .sort((a, b) => (a.recorded_at < b.recorded_at ? -1 : 1)));
    }
    list.replaceChildren(...(patrols.length ? patrols.map((p) => {
      const mine = points.filter((pt) => pt.patrol_id === p.id);
      // The server's figures once the patrol and all its points have synced.
      const synced = p.distance_m != null && !p._pending && !mine.some((pt) => pt._pending);
      const metresWalked = synced ? p.distance_m : measureTrack(mine).distance_m;
      const seconds = synced ? p.duration_s
        : (Date.parse(p.ended_at || p.started_at) - Date.parse(p.started_at)) / 1000;
      return h("li", { class: "row", dataset: { id: p.id, synced: String(synced),
        distance: String(metresWalked), duration: String(seconds) } },
      h("span", { class: "title" }, formatTime(p.started_at, lang),
        p.ended_at ? ` – ${formatTime(p.ended_at, lang)}` : ""),
      h("span", { class: "meta" }, formatDistance(metresWalked, lang), " · ",
        formatDuration(seconds), " · ", t("patrol.point_count", { n: mine.length }),
        synced ? "" : ` · ${t("patrol.pending")}`,
        synced && p.inside_share != null
          ? ` · ${t("patrol.inside_share", { pct: Math.round(p.inside_share * 100) })}` : ""));
    }) : [h("li", { class: "hint" }, t("patrol.none"))]));
  };

  const attach = (rec) => {
    rec.listeners.add(showLive);
    showLive();
  };

  startButton.addEventListener("click", async () => {
    startButton.disabled = true;
    const patrol = { id: crypto.randomUUID(), started_at: new Date().toISOString() };
    await app.mutate("patrols", patrol.id, "create", { started_at: patrol.started_at });
    await store.setMeta(owner, RUNNING_KEY, patrol.id);
    attach(startRecorder(app, patrol, []));
    startButton.disabled = false;
    app.toast(t("patrol.started"));
  });

  stopButton.addEventListener("click", async () => {
    const rec = recorder;
    if (!rec) return;
    stopButton.disabled = true;
    stopRecorder();
    await app.mutate("patrols", rec.patrol.id, "update", { ended_at: new Date().toISOString() });
    await store.setMeta(owner, RUNNING_KEY, null);
    stopButton.disabled = false;
    showLive();
    await renderList();
    app.toast(t("patrol.stopped"));
  });

  root.append(h("section", { class: "narrow", id: "patrol" },
    h("h1", {}, t("patrol.title")),
    live, mapBox, status, startButton, stopButton,
    h("h2", {}, t("patrol.past")), list));

  if (!recorder || recorder.owner !== owner) {
    const patrol = await runningPatrol(owner);
    if (patrol) startRecorder(app, patrol, await pointsOf(owner, patrol.id));
  }
  if (recorder) attach(recorder);
  showLive();
  await renderList();

  const region = (await store.view(owner, "regions")).find((r) => r.id === app.session().user.region?.id);
  // Not awaited: the buttons work at once; the map follows when Leaflet has loaded.
  trackMap(mapBox, region?.boundary).then((drawn) => {
    if (unmounted) return drawn.remove();
    map = drawn;
    map.show(mapPoints);
  }).catch(() => { mapBox.hidden = true; });

  const tick = setInterval(showLive, 1000);
  let pendingRender = null;
  const offChange = app.onChange(() => {
    // Every fix is a change: the list is re-read at most once a second.
    if (!pendingRender) pendingRender = setTimeout(() => { pendingRender = null; renderList(); }, 1000);
  });
  return () => {
    unmounted = true;
    map?.remove();
    clearInterval(tick);
    clearTimeout(pendingRender);
    offChange();
    recorder?.listeners.delete(showLive);
  };
}
