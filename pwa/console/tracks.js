// Patrol tracks in the console (巡查轨迹): one worker's day on the grid map, played back at a
// chosen speed, and how much of each grid was walked that day (覆盖率) as a map layer and a
// table. Online only: the server holds every worker's points and computes the coverage.
import { authed, authedAll } from "../app/api.js";
import { formatDistance, formatDuration } from "../app/track.js";
import { h, latestOnly } from "../app/ui/dom.js";
import { loadLeaflet } from "../app/ui/track-map.js";

const SPEEDS = [1, 10, 60, 300];
const DEFAULT_SPEED = 60;
// Share bands: 0 nothing walked, then under 25 %, 25–50 %, 50–75 %, 75 % and more.
const BAND_COLOURS = ["#c5ccd3", "#fbd7b0", "#f0a04b", "#7cbf72", "#1b6e20"];
// The last choice, so that switching the language (which mounts the page again) keeps it.
const chosen = { worker: "", date: "", coverage: true };

function today() {
  const now = new Date();
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, "0")}-${String(now.getDate()).padStart(2, "0")}`;
}

function band(share) {
  if (!share) return 0;
  return share < 0.25 ? 1 : share < 0.5 ? 2 : share < 0.75 ? 3 : 4;
}

const percent = (share) => Math.round(share * 1000) / 10;

/** Each patrol's trusted points as times and positions for play-back; its jitter apart. */
function timelines(patrols) {
  return patrols.map((patrol) => {
    const trusted = patrol.points.filter((p) => !p[4]);
    return { patrol, times: trusted.map((p) => p[2]), latlngs: trusted.map((p) => [p[0], p[1]]),
      jitter: patrol.points.filter((p) => p[4]) };
  });
}

/** Where a track stands at `clock` (ms): the part walked so far and the current position. */
function positionAt(line, clock) {
  const { times, latlngs } = line;
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid] <= clock) lo = mid + 1;
    else hi = mid;
  }
  const last = lo - 1;
  if (last < 0) return { walked: [], here: null };
  const walked = latlngs.slice(0, last + 1);
  if (last === times.length - 1) return { walked, here: latlngs[last] };
  const f = (clock - times[last]) / (times[last + 1] - times[last] || 1);
  const [a, b] = [latlngs[last], latlngs[last + 1]];
  const here = [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f];
  walked.push(here);
  return { walked, here };
}

export async function mount(root, _params, app) {
  const { t } = app;
  const lang = app.language();

  const workerSelect = h("select", { id: "tracks-worker" },
    h("option", { value: "" }, t("tracks.choose_worker")));
  const dateInput = h("input", { type: "date", id: "tracks-date", value: chosen.date || today(), required: true });
  const offline = h("p", { id: "tracks-offline", class: "notice warn", role: "status", hidden: true },
    t("tracks.offline"));
  const error = h("p", { class: "error", role: "alert" });
  const status = h("p", { id: "tracks-status", class: "hint", "aria-live": "polite" });
  const patrolList = h("ul", { class: "list", id: "tracks-patrols" });

  const playButton = h("button", { type: "button", class: "inline", id: "tracks-play", "aria-pressed": "false",
    disabled: true }, t("tracks.play"));
  const speedSelect = h("select", { id: "tracks-speed" }, SPEEDS.map((n) => h("option",
    { value: String(n), selected: n === DEFAULT_SPEED }, t("tracks.speed_option", { n }))));
  const scrub = h("input", { type: "range", id: "tracks-scrub", min: "0", max: "0", step: "1", value: "0",
    disabled: true });
  const clockOut = h("output", { id: "tracks-clock", class: "figure", for: "tracks-scrub" }, "--:--:--");
  const jitterToggle = h("input", { type: "checkbox", id: "tracks-jitter", checked: true });
  const coverageToggle = h("input", { type: "checkbox", id: "tracks-coverage", checked: chosen.coverage });
  const legend = h("ul", { class: "coverage-legend", id: "coverage-legend", hidden: true,
    "aria-label": t("tracks.legend") }, BAND_COLOURS.map((colour, i) => h("li", {},
    h("span", { class: "swatch", style: `background:${colour}`, "aria-hidden": "true" }), t(`tracks.band.${i}`))));
  const coverageBody = h("div", { id: "coverage-body", "aria-live": "polite" });
  const mapBox = h("div", { id: "tracks-map", class: "map tracks-map", role: "region",
    "aria-label": t("tracks.map_label") });

  root.append(h("section", { id: "tracks-console", class: "wide" },
    h("div", { class: "console-head" }, h("h1", {}, t("tracks.title")),
      h("a", { class: "button secondary", href: "#/console" }, t("console.title"))),
    offline,
    h("div", { class: "toolbar" },
      h("label", { for: "tracks-worker" }, t("tracks.worker")), workerSelect,
      h("label", { for: "tracks-date" }, t("tracks.date")), dateInput),
    error,
    h("div", { class: "tracks-layout" },
      mapBox,
      h("div", { class: "tracks-side" },
        h("h2", {}, t("tracks.playback")),
        h("div", { class: "playback" },
          playButton,
          h("label", { for: "tracks-speed" }, t("tracks.speed")), speedSelect,
          h("label", { for: "tracks-scrub" }, t("tracks.position")), scrub,
          h("span", { class: "label" }, t("tracks.clock")), clockOut),
        h("div", { class: "check" }, jitterToggle, h("label", { for: "tracks-jitter" }, t("tracks.show_jitter"))),
        h("div", { class: "check" }, coverageToggle,
          h("label", { for: "tracks-coverage" }, t("tracks.show_coverage"))),
        legend,
        h("h2", {}, t("tracks.patrols")), status, patrolList)),
    h("h2", {}, t("tracks.coverage")), coverageBody));

  let unmounted = false;
  let L = null;
  let map = null;
  let layers = null;
  let day = null;  // the worker's day as the server sent it, with play-back timelines
  let lines = [];
  let coverage = null;
  let clock = 0;
  let playing = false;
  let frame = null;
  let lastFrame = 0;

  const clockFormat = () => new Intl.DateTimeFormat(lang, { timeZone: day?.time_zone || coverage?.time_zone,
    hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
  const span = () => {
    const times = lines.flatMap((line) => (line.times.length ? [line.times[0], line.times.at(-1)] : []));
    return times.length ? [Math.min(...times), Math.max(...times)] : null;
  };

  const showOffline = (isOffline) => { offline.hidden = !isOffline; };
  const failed = (err) => {
    if (err?.status === 0 || !navigator.onLine) showOffline(true);
    else error.textContent = t("tracks.failed");
  };

  // -- the map -----------------------------------------------------------------------------

  const fit = () => {
    if (!map) return;
    const bounds = L.latLngBounds([]);
    if (layers.grid.getLayers().length) bounds.extend(layers.grid.getBounds());
    for (const line of lines) for (const p of line.latlngs) bounds.extend(p);
    if (!bounds.isValid() && layers.coverage.getLayers().length) bounds.extend(layers.coverage.getBounds());
    if (bounds.isValid()) map.fitBounds(bounds.pad(0.1), { maxZoom: 18 });
  };

  const drawPlayback = () => {
    if (!map) return;
    let here = null;
    for (const line of lines) {
      const at = positionAt(line, clock);
      line.walkedLayer?.setLatLngs(at.walked);
      if (at.here) here = at.here;
    }
    if (here) {
      layers.here.setLatLng(here);
      if (!map.hasLayer(layers.here)) layers.here.addTo(map);
    } else {
      layers.here.remove();
    }
  };

  /** The worker's grid, track and position stay above the coloured grids. */
  const raise = () => {
    for (const group of [layers.grid, layers.tracks, layers.walked, layers.jitter]) {
      group.eachLayer((layer) => layer.bringToFront?.());
    }
    if (map.hasLayer(layers.here)) layers.here.bringToFront();
  };

  const drawDay = () => {
    if (!map) return;
    layers.grid.clearLayers();
    layers.tracks.clearLayers();
    layers.walked.clearLayers();
    layers.jitter.clearLayers();
    if (day?.grid) layers.grid.addData(day.grid.boundary);
    for (const line of lines) {
      if (line.latlngs.length) {
        L.polyline(line.latlngs, { className: "track", color: "#0b5cad", weight: 3, opacity: 0.7 })
          .addTo(layers.tracks);
        line.walkedLayer = L.polyline([], { className: "track-walked", color: "#08427d", weight: 7 })
          .addTo(layers.walked);
      }
      for (const p of line.jitter) {
        L.circleMarker([p[0], p[1]], { radius: 4, className: "jitter", color: "#6b7280", weight: 1,
          fillOpacity: 0.6 }).addTo(layers.jitter);
      }
    }
    drawPlayback();
    raise();
    fit();
  };

  const drawCoverage = () => {
    if (!map) return;
    layers.coverage.clearLayers();
    layers.cells.clearLayers();
    for (const grid of coverage?.grids || []) {
      const colour = BAND_COLOURS[band(grid.covered_share)];
      L.geoJSON(grid.boundary, { style: { className: `coverage-grid band-${band(grid.covered_share)}`,
        color: "#4a4a4a", weight: 1, fillColor: colour, fillOpacity: 0.45 } })
        .bindTooltip(t("tracks.grid_share", { name: grid.name, pct: percent(grid.covered_share) }))
        .addTo(layers.coverage);
      for (const [w, s, e, n] of grid.cells || []) {
        L.rectangle([[s, w], [n, e]], { renderer: layers.canvas, stroke: false, fillColor: "#1b6e20",
          fillOpacity: 0.35, interactive: false }).addTo(layers.cells);
      }
    }
  };

  const showCoverageLayer = () => {
    if (!map) return;
    legend.hidden = !coverageToggle.checked;
    for (const layer of [layers.coverage, layers.cells]) {
      if (coverageToggle.checked) layer.addTo(map);
      else layer.remove();
    }
    raise();
  };

  const showJitter = () => {
    if (!map) return;
    if (jitterToggle.checked) layers.jitter.addTo(map);
    else layers.jitter.remove();
  };

  // -- play-back ---------------------------------------------------------------------------

  const setClock = (ms) => {
    clock = ms;
    const [start] = span() || [ms];
    scrub.value = String(Math.round((ms - start) / 1000));
    const text = clockFormat().format(new Date(ms));
    clockOut.textContent = text;
    clockOut.dataset.ms = String(Math.round(ms));
    scrub.setAttribute("aria-valuetext", text);
    drawPlayback();
  };

  const pause = () => {
    playing = false;
    cancelAnimationFrame(frame);
    playButton.textContent = t("tracks.play");
    playButton.setAttribute("aria-pressed", "false");
  };

  const tick = (now) => {
    if (!playing || unmounted) return;
    const [, end] = span();
    let next = clock + (now - lastFrame) * Number(speedSelect.value);
    // Between two patrols nothing moves: jump to the next one's start.
    if (!lines.some((line) => line.times[0] <= next && next <= line.times.at(-1))) {
      next = Math.min(end, ...lines.map((line) => line.times[0]).filter((ms) => ms > next));
    }
    setClock(Math.min(end, next));
    lastFrame = now;
    if (clock >= end) pause();
    else frame = requestAnimationFrame(tick);
  };

  const play = () => {
    const range = span();
    if (!range) return;
    if (clock >= range[1]) setClock(range[0]);
    playing = true;
    lastFrame = performance.now();
    playButton.textContent = t("tracks.pause");
    playButton.setAttribute("aria-pressed", "true");
    frame = requestAnimationFrame(tick);
  };

  const resetPlayback = () => {
    pause();
    const range = span();
    playButton.disabled = scrub.disabled = !range;
    scrub.max = range ? String(Math.ceil((range[1] - range[0]) / 1000)) : "0";
    if (range) setClock(range[0]);
    else {
      clockOut.textContent = "--:--:--";
      delete clockOut.dataset.ms;
    }
  };

  playButton.addEventListener("click", () => (playing ? pause() : play()));
  scrub.addEventListener("input", () => {
    const range = span();
    if (range) setClock(range[0] + Number(scrub.value) * 1000);
  });
  jitterToggle.addEventListener("change", showJitter);
  coverageToggle.addEventListener("change", () => {
    chosen.coverage = coverageToggle.checked;
    showCoverageLayer();
  });

  // -- data --------------------------------------------------------------------------------

  const renderPatrols = () => {
    const format = clockFormat();
    const when = (iso) => (iso ? format.format(new Date(iso)) : t("tracks.running"));
    patrolList.replaceChildren(...(day.patrols.length ? day.patrols.map((p) => {
      const jitter = p.points.filter((pt) => pt[4]).length;
      return h("li", { class: "row", dataset: { id: p.id, points: String(p.points.length), jitter: String(jitter) } },
        h("span", { class: "title" }, `${when(p.started_at)} – ${when(p.ended_at)}`),
        h("span", { class: "meta" }, [formatDistance(p.distance_m, lang), formatDuration(p.duration_s),
          t("patrol.point_count", { n: p.points.length }),
          jitter ? t("tracks.jitter_count", { n: jitter }) : null,
          p.inside_share != null ? t("tracks.inside_share", { pct: Math.round(p.inside_share * 100) }) : null,
        ].filter(Boolean).join(" · ")));
    }) : [h("li", { class: "hint" }, t("tracks.none"))]));
  };

  const loadTracks = latestOnly(async (isStale) => {
    error.textContent = "";
    if (!workerSelect.value || !dateInput.value) {
      day = null;
      lines = [];
      status.textContent = t("tracks.pick_worker");
      patrolList.replaceChildren();
      resetPlayback();
      drawDay();
      return;
    }
    status.textContent = t("tracks.loading");
    let body;
    try {
      body = await authed(`/api/v1/patrol/tracks?worker_id=${workerSelect.value}&date=${dateInput.value}`);
    } catch (err) {
      if (!isStale()) { status.textContent = ""; failed(err); }
      return;
    }
    if (isStale() || unmounted) return;
    showOffline(!navigator.onLine);  // an answer that arrives after going offline
    day = body;
    lines = timelines(body.patrols);
    status.textContent = "";
    renderPatrols();
    resetPlayback();
    drawDay();
  });

  const renderCoverageTable = () => {
    const grids = coverage.grids;
    coverageBody.replaceChildren(
      h("p", { class: "hint" }, t("tracks.coverage_hint", { cell: coverage.cell_m })),
      grids.length ? h("table", { class: "table", id: "coverage-table" },
        h("caption", { class: "sr-only" }, t("tracks.coverage")),
        h("thead", {}, h("tr", {}, ["grid", "code", "share", "cells"].map((k) =>
          h("th", { scope: "col" }, t(`tracks.col.${k}`))))),
        h("tbody", {}, grids.map((g) => h("tr", { dataset: { code: g.code, share: String(g.covered_share),
          band: String(band(g.covered_share)) } },
        h("th", { scope: "row" }, g.name),
        h("td", {}, g.code),
        h("td", { class: "count" }, h("span", { class: "swatch", style: `background:${BAND_COLOURS[band(g.covered_share)]}`,
          "aria-hidden": "true" }), ` ${percent(g.covered_share)}%`),
        h("td", { class: "count" }, `${g.cells_covered} / ${g.cells_total}`)))))
        : h("p", { class: "hint" }, t("tracks.no_grids")));
  };

  const loadCoverage = latestOnly(async (isStale) => {
    if (!dateInput.value) return;
    coverageBody.replaceChildren(h("p", { class: "loading" }, t("tracks.loading")));
    let body;
    try {
      body = await authed(`/api/v1/patrol/coverage?date=${dateInput.value}&include_cells=true`);
    } catch (err) {
      if (!isStale()) { coverageBody.replaceChildren(); failed(err); }
      return;
    }
    if (isStale() || unmounted) return;
    showOffline(!navigator.onLine);
    coverage = body;
    renderCoverageTable();
    drawCoverage();
    showCoverageLayer();
    if (!day) fit();
  });

  const loadWorkers = async () => {
    try {
      const workers = await authedAll("/api/v1/accounts?role=worker");
      if (unmounted) return;
      workerSelect.replaceChildren(h("option", { value: "" },
        t(workers.length ? "tracks.choose_worker" : "tracks.no_workers")),
      ...workers.map((w) => h("option", { value: w.id, dataset: { username: w.username } },
        w.display_name ? `${w.display_name} (${w.username})` : w.username)));
      if (workers.some((w) => w.id === chosen.worker)) workerSelect.value = chosen.worker;
      showOffline(!navigator.onLine);
    } catch (err) {
      failed(err);
    }
  };

  const reload = () => Promise.all([loadWorkers().then(loadTracks), loadCoverage()]);
  workerSelect.addEventListener("change", () => {
    chosen.worker = workerSelect.value;
    loadTracks();
  });
  dateInput.addEventListener("change", () => {
    chosen.date = dateInput.value;
    loadTracks();
    loadCoverage();
  });
  const onOnline = () => { showOffline(false); reload(); };
  const onOffline = () => showOffline(true);
  window.addEventListener("online", onOnline);
  window.addEventListener("offline", onOffline);
  showOffline(!navigator.onLine);

  try {
    L = await loadLeaflet();
  } catch {
    mapBox.hidden = true;
  }
  if (L && !unmounted) {
    map = L.map(mapBox, { attributionControl: false, zoomSnap: 0.25 }).setView([0, 0], 1);
    layers = {
      canvas: L.canvas({ padding: 0.2 }),
      grid: L.geoJSON(null, { style: { className: "grid-outline", color: "#1b6e20", weight: 3, fill: false } }),
      coverage: L.featureGroup(),
      cells: L.layerGroup(),
      tracks: L.featureGroup(),
      walked: L.layerGroup(),
      jitter: L.layerGroup(),
      here: L.circleMarker([0, 0], { radius: 8, className: "track-here", color: "#fff", weight: 3,
        fillColor: "#b00020", fillOpacity: 1 }),
    };
    for (const layer of [layers.grid, layers.tracks, layers.walked]) layer.addTo(map);
    showJitter();
  }
  await reload();

  return () => {
    unmounted = true;
    pause();
    window.removeEventListener("online", onOnline);
    window.removeEventListener("offline", onOffline);
    map?.remove();
  };
}
