// Patrol tracks in the console (巡查轨迹): one worker's day on the grid map, played back at a
// chosen speed, and how much of each grid was walked that day (覆盖率) as a map layer and a
// table. Online only: the server holds every worker's points and computes the coverage.
import { authed, authedAll } from "../app/api.js";
import { errorMessage } from "../app/i18n.js";
import { formatDistance, formatDuration } from "../app/track.js";
import { h, latestOnly } from "../app/ui/dom.js";
import { isNetworkFailure, offlineNotice } from "../app/ui/offline-notice.js";
import { GRID_OUTLINE, fitTo, gridMap, regionLayer, textTooltip } from "../app/ui/grid-map.js";

export const SPEEDS = [1, 10, 60, 300];
export const DEFAULT_SPEED = 60;
// Share bands: 0 nothing walked, then under 25 %, 25–50 %, 50–75 %, 75 % and more.
export const BAND_COLOURS = ["#c5ccd3", "#fbd7b0", "#f0a04b", "#7cbf72", "#1b6e20"];
// The last choice, so that switching the language (which mounts the page again) keeps it.
const chosen = { worker: "", date: "", coverage: true };

// -- rules: pure, tested in tests/js/tracks.test.mjs -----------------------------------------

/** The day of `now` on this computer's calendar, as a date field takes it (YYYY-MM-DD). */
export function localDate(now = new Date()) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/** The share band (0–4) of a grid's covered share. */
export function band(share) {
  if (!share) return 0;
  return share < 0.25 ? 1 : share < 0.5 ? 2 : share < 0.75 ? 3 : 4;
}

/** A share as a percentage with one decimal. */
export const percent = (share) => Math.round(share * 1000) / 10;

/** Each patrol's trusted points as times and positions for play-back; its jitter apart. */
export function timelines(patrols) {
  return patrols.map((patrol) => {
    const trusted = patrol.points.filter((p) => !p[4]);
    return { patrol, times: trusted.map((p) => p[2]), latlngs: trusted.map((p) => [p[0], p[1]]),
      jitter: patrol.points.filter((p) => p[4]) };
  });
}

/** Where a track stands at `clock` (ms): the part walked so far and the current position. */
export function positionAt(line, clock) {
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

/** [first, last] time (ms) of all the tracks, or null when there is nothing to play. */
export function playSpan(lines) {
  const times = lines.flatMap((line) => (line.times.length ? [line.times[0], line.times.at(-1)] : []));
  return times.length ? [Math.min(...times), Math.max(...times)] : null;
}

/**
 * The play-back clock `elapsedMs` of real time after `clock`, at `speed` times: never past
 * the end, and between two patrols nothing moves, so it jumps to the next one's start.
 */
export function advance(lines, clock, elapsedMs, speed) {
  const [, end] = playSpan(lines);
  let next = clock + elapsedMs * speed;
  if (!lines.some((line) => line.times[0] <= next && next <= line.times.at(-1))) {
    next = Math.min(end, ...lines.map((line) => line.times[0]).filter((ms) => ms > next));
  }
  return Math.min(end, next);
}

/** The slider counts whole seconds from the first fix. */
export const scrubSeconds = (start, ms) => Math.round((ms - start) / 1000);
export const scrubLength = (range) => (range ? Math.ceil((range[1] - range[0]) / 1000) : 0);

/** Clock times in the city's zone (the server's), whatever this computer's zone. */
export const clockFormat = (lang, timeZone) => new Intl.DateTimeFormat(lang, { timeZone,
  hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });

/** One patrol in the day's list: when, and its figures. */
export function patrolFacts(patrol, { t, lang, format }) {
  const when = (iso) => (iso ? format.format(new Date(iso)) : t("tracks.running"));
  const jitter = patrol.points.filter((pt) => pt[4]).length;
  return {
    jitter,
    when: `${when(patrol.started_at)} – ${when(patrol.ended_at)}`,
    meta: [formatDistance(patrol.distance_m, lang), formatDuration(patrol.duration_s),
      t("patrol.point_count", { n: patrol.points.length }),
      jitter ? t("tracks.jitter_count", { n: jitter }) : null,
      patrol.inside_share != null ? t("tracks.inside_share", { pct: Math.round(patrol.inside_share * 100) }) : null,
    ].filter(Boolean).join(" · "),
  };
}

/** A grid's row of the coverage table (and its colour on the map). */
export const coverageRow = (grid) => ({
  name: grid.name,
  code: grid.code,
  band: band(grid.covered_share),
  colour: BAND_COLOURS[band(grid.covered_share)],
  percent: percent(grid.covered_share),
  cells: `${grid.cells_covered} / ${grid.cells_total}`,
});

// -- the page ----------------------------------------------------------------------------------

// A colour chip. Set through the CSSOM: a style attribute would need 'unsafe-inline' in the
// Content-Security-Policy.
function swatch(colour) {
  const chip = h("span", { class: "swatch", "aria-hidden": "true" });
  chip.style.background = colour;
  return chip;
}

function pageParts(t) {
  const p = {
    worker: h("select", { id: "tracks-worker" }, h("option", { value: "" }, t("tracks.choose_worker"))),
    date: h("input", { type: "date", id: "tracks-date", value: chosen.date || localDate(), required: true }),
    offline: offlineNotice({ id: "tracks-offline", text: t("tracks.offline") }),
    error: h("p", { class: "error", role: "alert" }),
    status: h("p", { id: "tracks-status", class: "hint", "aria-live": "polite" }),
    patrols: h("ul", { class: "list", id: "tracks-patrols" }),
    play: h("button", { type: "button", class: "inline", id: "tracks-play", "aria-pressed": "false", disabled: true },
      t("tracks.play")),
    speed: h("select", { id: "tracks-speed" }, SPEEDS.map((n) => h("option",
      { value: String(n), selected: n === DEFAULT_SPEED }, t("tracks.speed_option", { n })))),
    scrub: h("input", { type: "range", id: "tracks-scrub", min: "0", max: "0", step: "1", value: "0", disabled: true }),
    clock: h("output", { id: "tracks-clock", class: "figure", for: "tracks-scrub" }, "--:--:--"),
    jitter: h("input", { type: "checkbox", id: "tracks-jitter", checked: true }),
    coverage: h("input", { type: "checkbox", id: "tracks-coverage", checked: chosen.coverage }),
    legend: h("ul", { class: "coverage-legend", id: "coverage-legend", hidden: true, "aria-label": t("tracks.legend") },
      BAND_COLOURS.map((colour, i) => h("li", {},
        swatch(colour), t(`tracks.band.${i}`)))),
    coverageBody: h("div", { id: "coverage-body", "aria-live": "polite" }),
    mapBox: h("div", { id: "tracks-map", class: "map tracks-map", role: "region", "aria-label": t("tracks.map_label") }),
  };
  p.page = h("section", { id: "tracks-console", class: "wide" },
    h("div", { class: "console-head" }, h("h1", {}, t("tracks.title")),
      h("a", { class: "button secondary", href: "#/console" }, t("console.title"))),
    p.offline.element,
    h("div", { class: "toolbar" },
      h("label", { for: "tracks-worker" }, t("tracks.worker")), p.worker,
      h("label", { for: "tracks-date" }, t("tracks.date")), p.date),
    p.error,
    h("div", { class: "tracks-layout" },
      p.mapBox,
      h("div", { class: "tracks-side" },
        h("h2", {}, t("tracks.playback")),
        h("div", { class: "playback" },
          p.play,
          h("label", { for: "tracks-speed" }, t("tracks.speed")), p.speed,
          h("label", { for: "tracks-scrub" }, t("tracks.position")), p.scrub,
          h("span", { class: "label" }, t("tracks.clock")), p.clock),
        h("div", { class: "check" }, p.jitter, h("label", { for: "tracks-jitter" }, t("tracks.show_jitter"))),
        h("div", { class: "check" }, p.coverage, h("label", { for: "tracks-coverage" }, t("tracks.show_coverage"))),
        p.legend,
        h("h2", {}, t("tracks.patrols")), p.status, p.patrols)),
    h("h2", {}, t("tracks.coverage")), p.coverageBody);
  return p;
}

function patrolItems(patrols, facts) {
  if (!patrols.length) return [h("li", { class: "hint" }, facts.t("tracks.none"))];
  return patrols.map((p) => {
    const { jitter, when, meta } = patrolFacts(p, facts);
    return h("li", { class: "row", dataset: { id: p.id, points: String(p.points.length), jitter: String(jitter) } },
      h("span", { class: "title" }, when), h("span", { class: "meta" }, meta));
  });
}

function coverageTable(t, coverage) {
  return [h("p", { class: "hint" }, t("tracks.coverage_hint", { cell: coverage.cell_m })),
    coverage.grids.length ? h("table", { class: "table", id: "coverage-table" },
      h("caption", { class: "sr-only" }, t("tracks.coverage")),
      h("thead", {}, h("tr", {}, ["grid", "code", "share", "cells"].map((k) =>
        h("th", { scope: "col" }, t(`tracks.col.${k}`))))),
      h("tbody", {}, coverage.grids.map((g) => {
        const row = coverageRow(g);
        return h("tr", { dataset: { code: g.code, share: String(g.covered_share), band: String(row.band) } },
          h("th", { scope: "row" }, row.name),
          h("td", {}, row.code),
          h("td", { class: "count" }, swatch(row.colour), ` ${row.percent}%`),
          h("td", { class: "count" }, row.cells));
      })))
      : h("p", { class: "hint" }, t("tracks.no_grids"))];
}

// -- the map -----------------------------------------------------------------------------------

/** The worker's grid and tracks over the coloured grids; play-back draws the walked part. */
async function tracksMap(box) {
  const { L, map } = await gridMap(box);
  const layers = {
    canvas: L.canvas({ padding: 0.2 }),
    grid: regionLayer(L, null, { style: { ...GRID_OUTLINE, weight: 3 } }),
    coverage: L.featureGroup(),
    cells: L.layerGroup(),
    tracks: L.featureGroup(),
    walked: L.layerGroup(),
    jitter: L.layerGroup(),
    here: L.circleMarker([0, 0], { radius: 8, className: "track-here", color: "#fff", weight: 3,
      fillColor: "#b00020", fillOpacity: 1 }),
  };
  for (const layer of [layers.grid, layers.tracks, layers.walked]) layer.addTo(map);
  let lines = [];
  const walked = new Map();  // line → its walked-so-far polyline
  // The worker's grid, track and position stay above the coloured grids.
  const raise = () => {
    for (const group of [layers.grid, layers.tracks, layers.walked, layers.jitter]) {
      group.eachLayer((layer) => layer.bringToFront?.());
    }
    if (map.hasLayer(layers.here)) layers.here.bringToFront();
  };
  const drawn = {
    fit: () => fitTo(map, [layers.grid, ...lines.map((line) => line.latlngs)]) || fitTo(map, [layers.coverage]),
    drawPlayback(clock) {
      let here = null;
      for (const line of lines) {
        const at = positionAt(line, clock);
        walked.get(line)?.setLatLngs(at.walked);
        if (at.here) here = at.here;
      }
      if (here) {
        layers.here.setLatLng(here);
        if (!map.hasLayer(layers.here)) layers.here.addTo(map);
      } else {
        layers.here.remove();
      }
    },
    drawDay(boundary, dayLines, clock) {
      for (const group of [layers.grid, layers.tracks, layers.walked, layers.jitter]) group.clearLayers();
      walked.clear();
      lines = dayLines;
      if (boundary) layers.grid.addData(boundary);
      for (const line of lines) {
        if (line.latlngs.length) {
          L.polyline(line.latlngs, { className: "track", color: "#0b5cad", weight: 3, opacity: 0.7 }).addTo(layers.tracks);
          walked.set(line, L.polyline([], { className: "track-walked", color: "#08427d", weight: 7 }).addTo(layers.walked));
        }
        for (const p of line.jitter) {
          L.circleMarker([p[0], p[1]], { radius: 4, className: "jitter", color: "#6b7280", weight: 1,
            fillOpacity: 0.6 }).addTo(layers.jitter);
        }
      }
      drawn.drawPlayback(clock);
      raise();
      drawn.fit();
    },
    drawCoverage(grids, label) {
      layers.coverage.clearLayers();
      layers.cells.clearLayers();
      for (const grid of grids) {
        const { band: b, colour } = coverageRow(grid);
        textTooltip(regionLayer(L, grid.boundary, { interactive: true, style: { className: `coverage-grid band-${b}`,
          color: "#4a4a4a", weight: 1, fillColor: colour, fillOpacity: 0.45 } }), label(grid)).addTo(layers.coverage);
        for (const [w, s, e, n] of grid.cells || []) {
          L.rectangle([[s, w], [n, e]], { renderer: layers.canvas, stroke: false, fillColor: "#1b6e20",
            fillOpacity: 0.35, interactive: false }).addTo(layers.cells);
        }
      }
    },
    showCoverage(on) {
      for (const layer of [layers.coverage, layers.cells]) {
        if (on) layer.addTo(map);
        else layer.remove();
      }
      raise();
    },
    showJitter: (on) => (on ? layers.jitter.addTo(map) : layers.jitter.remove()),
    remove: () => map.remove(),
  };
  return drawn;
}

// -- what the page does: `page` is the mounted page's parts, data, play-back and map -------------

function failed(page, err) {
  if (isNetworkFailure(err)) page.ui.offline.show(true);
  else page.ui.error.textContent = errorMessage(err);
}

const timeFormat = (page) => clockFormat(page.lang, page.day?.time_zone || page.coverage?.time_zone);

function setClock(page, ms) {
  const { ui } = page;
  page.clock = ms;
  const [start] = playSpan(page.lines) || [ms];
  ui.scrub.value = String(scrubSeconds(start, ms));
  const text = timeFormat(page).format(new Date(ms));
  ui.clock.textContent = text;
  ui.clock.dataset.ms = String(Math.round(ms));
  ui.scrub.setAttribute("aria-valuetext", text);
  page.map?.drawPlayback(ms);
}

function pause(page) {
  page.playing = false;
  cancelAnimationFrame(page.frame);
  page.ui.play.textContent = page.t("tracks.play");
  page.ui.play.setAttribute("aria-pressed", "false");
}

function tick(page, now) {
  if (!page.playing || page.unmounted) return;
  const [, end] = playSpan(page.lines);
  setClock(page, advance(page.lines, page.clock, now - page.lastFrame, Number(page.ui.speed.value)));
  page.lastFrame = now;
  if (page.clock >= end) pause(page);
  else page.frame = requestAnimationFrame((next) => tick(page, next));
}

function play(page) {
  const range = playSpan(page.lines);
  if (!range) return;
  if (page.clock >= range[1]) setClock(page, range[0]);
  page.playing = true;
  page.lastFrame = performance.now();
  page.ui.play.textContent = page.t("tracks.pause");
  page.ui.play.setAttribute("aria-pressed", "true");
  page.frame = requestAnimationFrame((now) => tick(page, now));
}

function resetPlayback(page) {
  const { ui } = page;
  pause(page);
  const range = playSpan(page.lines);
  ui.play.disabled = ui.scrub.disabled = !range;
  ui.scrub.max = String(scrubLength(range));
  if (range) setClock(page, range[0]);
  else {
    ui.clock.textContent = "--:--:--";
    delete ui.clock.dataset.ms;
  }
}

function showDay(page, day, status) {
  page.day = day;
  page.lines = day ? timelines(day.patrols) : [];
  page.ui.status.textContent = status;
  page.ui.patrols.replaceChildren(...(day ? patrolItems(day.patrols, { t: page.t, lang: page.lang,
    format: timeFormat(page) }) : []));
  resetPlayback(page);
  page.map?.drawDay(day?.grid?.boundary, page.lines, page.clock);
}

async function loadTracks(page, isStale) {
  const { ui, t } = page;
  ui.error.textContent = "";
  if (!ui.worker.value || !ui.date.value) return showDay(page, null, t("tracks.pick_worker"));
  ui.status.textContent = t("tracks.loading");
  let body;
  try {
    body = await authed(`/api/v1/patrol/tracks?worker_id=${ui.worker.value}&date=${ui.date.value}`);
  } catch (err) {
    if (!isStale()) { ui.status.textContent = ""; failed(page, err); }
    return;
  }
  if (isStale() || page.unmounted) return;
  page.ui.offline.show(!navigator.onLine);  // an answer that arrives after going offline
  showDay(page, body, "");
}

function showCoverageLayer(page) {
  if (!page.map) return;
  page.ui.legend.hidden = !page.ui.coverage.checked;
  page.map.showCoverage(page.ui.coverage.checked);
}

async function loadCoverage(page, isStale) {
  const { ui, t } = page;
  if (!ui.date.value) return;
  ui.coverageBody.replaceChildren(h("p", { class: "loading" }, t("tracks.loading")));
  let body;
  try {
    body = await authed(`/api/v1/patrol/coverage?date=${ui.date.value}&include_cells=true`);
  } catch (err) {
    if (!isStale()) { ui.coverageBody.replaceChildren(); failed(page, err); }
    return;
  }
  if (isStale() || page.unmounted) return;
  page.ui.offline.show(!navigator.onLine);
  page.coverage = body;
  ui.coverageBody.replaceChildren(...coverageTable(t, body));
  page.map?.drawCoverage(body.grids, (g) => t("tracks.grid_share", { name: g.name, pct: percent(g.covered_share) }));
  showCoverageLayer(page);
  if (!page.day) page.map?.fit();
}

async function loadWorkers(page) {
  const { ui, t } = page;
  try {
    const workers = await authedAll("/api/v1/accounts?role=worker");
    if (page.unmounted) return;
    ui.worker.replaceChildren(h("option", { value: "" }, t(workers.length ? "tracks.choose_worker" : "tracks.no_workers")),
      ...workers.map((w) => h("option", { value: w.id, dataset: { username: w.username } },
        w.display_name ? `${w.display_name} (${w.username})` : w.username)));
    if (workers.some((w) => w.id === chosen.worker)) ui.worker.value = chosen.worker;
    page.ui.offline.show(!navigator.onLine);
  } catch (err) {
    failed(page, err);
  }
}

function wire(page) {
  const { ui } = page;
  ui.play.addEventListener("click", () => (page.playing ? pause(page) : play(page)));
  ui.scrub.addEventListener("input", () => {
    const range = playSpan(page.lines);
    if (range) setClock(page, range[0] + Number(ui.scrub.value) * 1000);
  });
  ui.jitter.addEventListener("change", () => page.map?.showJitter(ui.jitter.checked));
  ui.coverage.addEventListener("change", () => {
    chosen.coverage = ui.coverage.checked;
    showCoverageLayer(page);
  });
  ui.worker.addEventListener("change", () => {
    chosen.worker = ui.worker.value;
    page.loadTracks();
  });
  ui.date.addEventListener("change", () => {
    chosen.date = ui.date.value;
    page.loadTracks();
    page.loadCoverage();
  });
}

export async function mount(root, _params, app) {
  const page = { t: app.t, lang: app.language(), ui: pageParts(app.t), map: null, unmounted: false,
    day: null, lines: [], coverage: null, clock: 0, playing: false, frame: null, lastFrame: 0 };
  page.loadTracks = latestOnly((isStale) => loadTracks(page, isStale));
  page.loadCoverage = latestOnly((isStale) => loadCoverage(page, isStale));
  root.append(page.ui.page);
  wire(page);
  const reload = () => Promise.all([loadWorkers(page).then(page.loadTracks), page.loadCoverage()]);
  const stopWatching = page.ui.offline.watch(() => reload());
  try {
    page.map = await tracksMap(page.ui.mapBox);
    page.map.showJitter(page.ui.jitter.checked);
  } catch {
    page.ui.mapBox.hidden = true;
  }
  await reload();
  return () => {
    page.unmounted = true;
    pause(page);
    stopWatching();
    page.map?.remove();
  };
}
