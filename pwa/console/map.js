// The one map (一张图) of the command centre: region boundaries by level, the cases in view
// coloured by status with overdue ones ringed in red (clustered: by the browser when the
// server sends each case, by the server when the view holds too many), where the workers
// were last seen today and their tracks, and the posts. Filters narrow the cases; a case's
// popup opens its page. A case changing anywhere in sight (live.js) redraws the view. Online
// only. No base map unless the deployment sets one (MAP_TILE_URL), so it works on a network
// without the internet.
import { authed } from "../app/api.js";
import { categoryName } from "../app/categories.js";
import { errorMessage } from "../app/i18n.js";
import { onCaseChange } from "../app/live.js";
import * as store from "../app/store.js";
import { h, latestOnly } from "../app/ui/dom.js";
import { fitTo, gridMap, loadLeaflet, regionLayer, textTooltip } from "../app/ui/grid-map.js";
import { isNetworkFailure, offlineNotice } from "../app/ui/offline-notice.js";
import { statusChip } from "../app/ui/status-chip.js";

export const STATUSES = ["reported", "registered", "dispatched", "handled", "verified", "closed", "cancelled"];
// One colour per status, the status chip's hues, strong enough on a blank or tiled map.
export const STATUS_COLOURS = {
  reported: "#0b5cad", registered: "#b26a00", dispatched: "#e08a00", handled: "#00796b",
  verified: "#26a69a", closed: "#1b6e20", cancelled: "#607d8b",
};
export const OVERDUE_COLOUR = "#c62828";
export const LEVELS = ["district", "street", "community", "grid"];
const LEVEL_STYLES = {
  district: { color: "#37474f", weight: 3, dashArray: "8 4" },
  street: { color: "#5d4037", weight: 2.5 },
  community: { color: "#6a1b9a", weight: 1.5, dashArray: "4 3" },
  grid: { color: "#1b6e20", weight: 1 },
};
// Leaflet.markercluster (vendored, not precached: the map is online only) clusters the cases
// the server sends one by one.
const MARKERCLUSTER = "/lib/leaflet.markercluster-1.5.3";
const MOVE_DELAY_MS = 250;
const LIVE_DELAY_MS = 500;
const LISTED_MAX = 50;
// The filters and layers, kept while the console is open (switching the language mounts the
// page again).
const chosen = { region: "", category: "", statuses: [], overdue: false, from: "", to: "",
  levels: ["street", "grid"], cases: true, workers: true, tracks: true, posts: true };

// -- rules: pure, tested in tests/js/map.test.mjs ----------------------------------------------

export const statusColour = (status) => STATUS_COLOURS[status] || STATUS_COLOURS.reported;

/** A cluster's size class (as Leaflet.markercluster names them) by how many it holds. */
export function clusterSize(count) {
  return count < 10 ? "small" : count < 100 ? "medium" : "large";
}

/** The status most of a cluster's cases have; a tie goes to the one earlier in the loop. */
export function mainStatus(byStatus) {
  let best = null;
  for (const status of STATUSES) if ((byStatus[status] || 0) > (byStatus[best] || 0)) best = status;
  return best || "reported";
}

/** What a cluster's marker shows: its size class, count, main status and overdue ring. */
export function clusterLook(cluster) {
  return { size: clusterSize(cluster.count), label: String(cluster.count),
    status: mainStatus(cluster.by_status || {}), overdue: (cluster.overdue || 0) > 0 };
}

/** The client-side clusters' look from their cases (the markers' points). */
export function pointsLook(points) {
  const byStatus = {};
  for (const p of points) byStatus[p.status] = (byStatus[p.status] || 0) + 1;
  return clusterLook({ count: points.length, by_status: byStatus, overdue: points.filter((p) => p.overdue).length });
}

const clamp = (value, low, high) => Math.min(high, Math.max(low, value));
const fixed = (value) => String(Math.round(value * 1e6) / 1e6);

/**
 * The view's box as the API takes it (west,south,east,north): on the globe even when the map
 * shows more than it (zoomed far out, or panned across the antimeridian: then all longitudes).
 */
export function viewBox({ west, south, east, north }) {
  let [w, e] = [west, east];
  if (e - w >= 360 || w < -180 || e > 180) {
    [w, e] = e - w >= 360 ? [-180, 180] : [clamp(w, -180, 180), clamp(e, -180, 180)];
    if (w >= e) [w, e] = [-180, 180];
  }
  const s = clamp(south, -90, 90);
  const n = clamp(north, -90, 90);
  return [w, s, e, n > s ? n : Math.min(90, s + 1e-6)].map(fixed).join(",");
}

/** The query of GET /api/v1/map/cases for a view and the chosen filters. */
export function viewQuery(box, zoom, filters = {}) {
  const query = new URLSearchParams({ bbox: box, zoom: String(Math.max(0, Math.min(22, Math.floor(zoom)))) });
  for (const status of filters.statuses || []) query.append("status", status);
  if (filters.overdue) query.set("overdue", "true");
  for (const key of ["category", "from", "to"]) if (filters[key]) query.set(key, filters[key]);
  if (filters.region) query.set("region_id", filters.region);
  return query.toString();
}

/** Cases in view in all, overdue, and by status, from the server's answer. */
export function countsOf(answer) {
  const byStatus = Object.fromEntries(STATUSES.map((s) => [s, 0]));
  let overdue = 0;
  for (const p of answer.points || []) {
    byStatus[p.status] = (byStatus[p.status] || 0) + 1;
    if (p.overdue) overdue += 1;
  }
  for (const c of answer.clusters || []) {
    for (const [status, n] of Object.entries(c.by_status || {})) byStatus[status] = (byStatus[status] || 0) + n;
    overdue += c.overdue || 0;
  }
  return { total: answer.total || 0, overdue, byStatus };
}

/** Calls `run` once things settle: `delayMs` after the last call. */
export function debounce(run, delayMs) {
  let timer = null;
  const debounced = () => {
    clearTimeout(timer);
    timer = setTimeout(run, delayMs);
  };
  debounced.cancel = () => clearTimeout(timer);
  return debounced;
}

// -- drawing ----------------------------------------------------------------------------------

let clusterLoading = null;

/** Leaflet.markercluster onto the loaded Leaflet; resolves to false when it cannot load. */
function loadMarkerCluster(L) {
  if (L.MarkerClusterGroup) return Promise.resolve(true);
  clusterLoading ??= new Promise((resolve) => {
    const sheets = ["MarkerCluster.css", "MarkerCluster.Default.css"].map((name) =>
      Object.assign(document.createElement("link"), { rel: "stylesheet", href: `${MARKERCLUSTER}/${name}` }));
    const script = Object.assign(document.createElement("script"), { src: `${MARKERCLUSTER}/leaflet.markercluster.js` });
    script.onload = () => resolve(true);
    script.onerror = () => { clusterLoading = null; resolve(false); };
    document.head.append(...sheets, script);
  });
  return clusterLoading;
}

function swatch(colour, extra = "") {
  const chip = h("span", { class: `swatch ${extra}`.trim(), "aria-hidden": "true" });
  chip.style.background = colour;
  return chip;
}

function dot(point) {
  const element = h("span", { class: `case-dot${point.overdue ? " overdue" : ""}`, dataset: { status: point.status } });
  element.style.background = statusColour(point.status);
  return element;
}

function bubble(look, title) {
  const inner = h("div", {}, h("span", {}, look.label));
  inner.style.background = statusColour(look.status);
  const element = h("div", { class: `map-cluster marker-cluster marker-cluster-${look.size}${look.overdue ? " overdue" : ""}`,
    dataset: { status: look.status }, title }, inner);
  return element;
}

function fullTime(iso, lang) {
  return iso ? new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso)) : "—";
}

/** A case's popup: DOM nodes only (codes, category names and statuses are never markup). */
function casePopup(page, point) {
  const { t, lang } = page;
  return h("div", { class: "case-popup", dataset: { id: point.id } },
    h("p", {}, h("strong", { class: "case-popup-code" }, point.code || t("reports.no_code")), " ",
      statusChip(t, point.status)),
    h("p", { class: "case-popup-category" }, categoryName(page.categories.get(point.category), lang) || point.category),
    h("p", { class: point.overdue ? "overdue" : "" }, `${t("report.deadline")}: ${fullTime(point.deadline_at, lang)}`,
      point.overdue ? [" ", h("span", { class: "badge overdue" }, t("report.overdue"))] : null),
    h("a", { class: "button secondary case-popup-open", href: `#/console/cases/${point.id}` }, t("map.open_case")));
}

function caseTitle(page, point) {
  return [point.code || page.t("reports.no_code"), page.t(`status.${point.status}`),
    point.overdue ? page.t("report.overdue") : ""].filter(Boolean).join(" · ");
}

async function oneMap(element, settings) {
  const { L, map } = await gridMap(element, { zoomSnap: 1 });
  // The cluster plugin needs a top zoom, which a map without tiles does not have.
  map.setMaxZoom(19);
  if (settings?.tile_url) {
    L.tileLayer(settings.tile_url, { attribution: settings.tile_attribution || "", maxZoom: 19 }).addTo(map);
    L.control.attribution({ prefix: false }).addTo(map);
  }
  const hasClusters = await loadMarkerCluster(L);
  const layers = {
    regions: Object.fromEntries(LEVELS.map((level) => [level, L.layerGroup()])),
    tracks: L.layerGroup(), posts: L.layerGroup(), workers: L.layerGroup(),
    // Without the plugin (it did not load) each case is still drawn, unclustered.
    points: hasClusters ? L.markerClusterGroup({
      showCoverageOnHover: false, spiderfyOnMaxZoom: true, disableClusteringAtZoom: 18, maxClusterRadius: 50,
      iconCreateFunction: (cluster) => {
        const look = pointsLook(cluster.getAllChildMarkers().map((m) => m.options.point));
        return L.divIcon({ html: bubble(look, look.label), className: "", iconSize: [40, 40] });
      },
    }) : L.layerGroup(),
    clusters: L.layerGroup(),
  };
  return { L, map, layers };
}

// -- the page ---------------------------------------------------------------------------------

function pageParts(t) {
  const ui = {
    error: h("p", { class: "error", role: "alert", id: "map-error" }),
    offline: offlineNotice({ id: "map-offline", text: t("map.offline") }),
    mapBox: h("div", { class: "map one-map", id: "one-map", role: "region", "aria-label": t("map.map_label") }),
    region: h("select", { id: "map-region", name: "region" }),
    category: h("select", { id: "map-category", name: "category" }),
    statuses: h("fieldset", { class: "map-statuses", id: "map-statuses" }, h("legend", {}, t("map.status"))),
    overdue: h("input", { type: "checkbox", id: "map-overdue", name: "overdue" }),
    from: h("input", { type: "date", id: "map-from", name: "from" }),
    to: h("input", { type: "date", id: "map-to", name: "to" }),
    layerBoxes: h("fieldset", { class: "map-layers", id: "map-layers" }, h("legend", {}, t("map.layers"))),
    counts: h("p", { id: "map-counts", role: "status", "aria-live": "polite" }),
    legend: h("ul", { class: "map-legend", id: "map-legend" }),
    list: h("div", { id: "map-case-list" }),
    reset: h("button", { type: "button", class: "inline", id: "map-reset" }, t("map.reset")),
  };
  for (const status of STATUSES) {
    ui.statuses.append(h("label", { class: "check" },
      h("input", { type: "checkbox", name: "status", value: status, id: `map-status-${status}` }),
      swatch(statusColour(status)), ` ${t(`status.${status}`)}`));
  }
  const layerBox = (key, text) => h("label", { class: "check" },
    h("input", { type: "checkbox", name: "layer", value: key, id: `map-layer-${key}` }), ` ${text}`,
    h("span", { class: "hint", id: `map-layer-${key}-hint` }));
  ui.layerBoxes.append(...LEVELS.map((level) => layerBox(level, t(`map.level.${level}`))),
    ...["cases", "workers", "tracks", "posts"].map((key) => layerBox(key, t(`map.layer.${key}`))));
  ui.form = h("form", { class: "map-filters", id: "map-filters", role: "search", "aria-label": t("map.filters") },
    h("label", { for: "map-region" }, t("map.region")), ui.region,
    h("label", { for: "map-category" }, t("map.category")), ui.category,
    ui.statuses,
    h("label", { class: "check" }, ui.overdue, ` ${t("map.overdue_only")}`),
    h("div", { class: "map-period" },
      h("div", {}, h("label", { for: "map-from" }, t("map.from")), ui.from),
      h("div", {}, h("label", { for: "map-to" }, t("map.to")), ui.to)),
    ui.reset);
  ui.page = h("section", { id: "map-console", class: "wide map-page" },
    h("div", { class: "console-head" }, h("h1", {}, t("map.title")),
      h("a", { class: "button secondary", href: "#/console", id: "map-back" }, t("console.title")),
      h("a", { class: "button secondary", href: "#/console/cases" }, t("console.case_list"))),
    ui.offline.element, ui.error,
    h("div", { class: "map-layout" },
      h("div", { class: "map-side" }, ui.counts, ui.form, ui.layerBoxes,
        h("h2", {}, t("map.legend")), ui.legend, h("h2", {}, t("map.in_view")), ui.list),
      ui.mapBox));
  return ui;
}

function fillChoices(page, regions, categories) {
  const { ui, t, lang } = page;
  const depth = { city: 0, district: 1, street: 2, community: 3 };
  // Grids would make the list too long in a city of thousands; their community narrows enough.
  const shown = regions.filter((r) => r.level in depth)
    .sort((a, b) => (a.code < b.code ? -1 : 1));
  ui.region.replaceChildren(h("option", { value: "" }, t("map.all_regions")),
    ...shown.map((r) => h("option", { value: r.id }, `${"　".repeat(depth[r.level])}${r.name}`)));
  const parents = categories.filter((c) => !c.parent_code || !categories.some((p) => p.code === c.parent_code));
  ui.category.replaceChildren(h("option", { value: "" }, t("map.all_categories")),
    ...parents.sort((a, b) => (a.code < b.code ? -1 : 1)).map((parent) => {
      const children = categories.filter((c) => c.parent_code === parent.code);
      return children.length
        ? h("optgroup", { label: categoryName(parent, lang) },
          h("option", { value: parent.code }, t("map.whole_class", { name: categoryName(parent, lang) })),
          ...children.map((c) => h("option", { value: c.code }, categoryName(c, lang))))
        : h("option", { value: parent.code }, categoryName(parent, lang));
    }));
}

function readForm(page) {
  const { ui } = page;
  Object.assign(chosen, {
    region: ui.region.value, category: ui.category.value, overdue: ui.overdue.checked,
    statuses: [...ui.statuses.querySelectorAll("input:checked")].map((i) => i.value),
    from: ui.from.value, to: ui.to.value,
    levels: LEVELS.filter((level) => ui.layerBoxes.querySelector(`#map-layer-${level}`).checked),
  });
  for (const key of ["cases", "workers", "tracks", "posts"]) chosen[key] = ui.layerBoxes.querySelector(`#map-layer-${key}`).checked;
}

function writeForm(page) {
  const { ui } = page;
  ui.region.value = chosen.region;
  ui.category.value = chosen.category;
  ui.overdue.checked = chosen.overdue;
  ui.from.value = chosen.from;
  ui.to.value = chosen.to;
  for (const input of ui.statuses.querySelectorAll("input")) input.checked = chosen.statuses.includes(input.value);
  for (const level of LEVELS) ui.layerBoxes.querySelector(`#map-layer-${level}`).checked = chosen.levels.includes(level);
  for (const key of ["cases", "workers", "tracks", "posts"]) ui.layerBoxes.querySelector(`#map-layer-${key}`).checked = chosen[key];
}

function drawLegend(page, counts) {
  const { ui, t } = page;
  ui.legend.replaceChildren(
    ...STATUSES.map((status) => h("li", { dataset: { status } }, swatch(statusColour(status)),
      ` ${t(`status.${status}`)}`, counts ? h("span", { class: "count" }, ` ${counts.byStatus[status] || 0}`) : null)),
    h("li", {}, swatch("transparent", "ring"), ` ${t("map.legend_overdue")}`),
    h("li", {}, h("span", { class: "swatch cluster", "aria-hidden": "true" }), ` ${t("map.legend_cluster")}`),
    h("li", {}, h("span", { class: "swatch worker", "aria-hidden": "true" }), ` ${t("map.legend_worker")}`),
    h("li", {}, h("span", { class: "swatch post", "aria-hidden": "true" }), ` ${t("map.legend_post")}`));
}

function drawList(page, answer) {
  const { ui, t } = page;
  if (answer.mode !== "points") {
    ui.list.replaceChildren(h("p", { class: "hint" }, t("map.zoom_for_list")));
    return;
  }
  const points = answer.points.slice(0, LISTED_MAX);
  ui.list.replaceChildren(points.length ? h("ul", { class: "list map-case-list" }, points.map((p) =>
    h("li", {}, h("a", { href: `#/console/cases/${p.id}` }, p.code || t("reports.no_code")), " ",
      statusChip(t, p.status), p.overdue ? [" ", h("span", { class: "badge overdue" }, t("report.overdue"))] : null)))
    : h("p", { class: "hint" }, t("map.none_in_view")),
  answer.points.length > LISTED_MAX ? h("p", { class: "hint" }, t("map.more_in_view", { n: answer.points.length - LISTED_MAX })) : null);
}

function drawCases(page, answer) {
  const { L, layers } = page.drawn;
  layers.points.clearLayers();
  layers.clusters.clearLayers();
  const markers = answer.points.map((point) => {
    const marker = L.marker([point.lat, point.lon], { point, keyboard: true, title: caseTitle(page, point), alt: caseTitle(page, point),
      icon: L.divIcon({ html: dot(point), className: "case-marker", iconSize: [22, 22] }) });
    marker.bindPopup(() => casePopup(page, point));
    return marker;
  });
  if (layers.points.addLayers) layers.points.addLayers(markers);
  else markers.forEach((m) => m.addTo(layers.points));
  for (const cluster of answer.clusters) {
    const look = clusterLook(cluster);
    const title = page.t("map.cluster_title", { n: cluster.count, overdue: cluster.overdue });
    const marker = L.marker([cluster.lat, cluster.lon], { keyboard: true, title, alt: title,
      icon: L.divIcon({ html: bubble(look, title), className: "server-cluster", iconSize: [40, 40] }) });
    // Into what it holds: two levels closer, so that it breaks up.
    marker.on("click", () => {
      const { map } = page.drawn;
      map.setView([cluster.lat, cluster.lon], Math.min(19, map.getZoom() + 2));
    });
    marker.addTo(layers.clusters);
  }
  const counts = countsOf(answer);
  page.ui.counts.textContent = page.t(answer.mode === "points" ? "map.counts" : "map.counts_clustered",
    { n: counts.total, overdue: counts.overdue });
  page.ui.counts.dataset.total = String(counts.total);
  page.ui.counts.dataset.mode = answer.mode;
  drawLegend(page, counts);
  drawList(page, answer);
}

function failed(page, err) {
  if (isNetworkFailure(err)) page.ui.offline.show(true);
  else page.ui.error.textContent = errorMessage(err);
}

async function loadCases(page, isStale) {
  const { map } = page.drawn;
  const b = map.getBounds();
  const box = viewBox({ west: b.getWest(), south: b.getSouth(), east: b.getEast(), north: b.getNorth() });
  let answer;
  try {
    answer = await authed(`/api/v1/map/cases?${viewQuery(box, map.getZoom(), chosen)}`);
  } catch (err) {
    if (!isStale()) failed(page, err);
    return;
  }
  if (isStale() || page.unmounted) return;
  page.ui.error.replaceChildren();
  page.ui.offline.show(false);
  drawCases(page, answer);
}

async function loadRegions(page, isStale) {
  const { L, map, layers } = page.drawn;
  const b = map.getBounds();
  const box = viewBox({ west: b.getWest(), south: b.getSouth(), east: b.getEast(), north: b.getNorth() });
  await Promise.all(LEVELS.map(async (level) => {
    const hint = page.ui.layerBoxes.querySelector(`#map-layer-${level}-hint`);
    const group = layers.regions[level];
    if (!chosen.levels.includes(level)) {
      group.remove();
      hint.textContent = "";
      return;
    }
    let body;
    try {
      body = await authed(`/api/v1/regions/geojson?level=${level}&bbox=${box}`);
    } catch (err) {
      if (isStale()) return;
      // Too many to draw at this zoom (thousands of grids in a city): say so, draw none.
      hint.textContent = err?.body?.error?.code === "too_many_features" ? ` ${page.t("map.zoom_in")}` : "";
      group.clearLayers();
      return;
    }
    if (isStale() || page.unmounted) return;
    hint.textContent = "";
    group.clearLayers();
    for (const feature of body.features) {
      const outline = regionLayer(L, feature.geometry, { style: { className: `boundary boundary-${level}`, fill: false,
        ...LEVEL_STYLES[level] } });
      textTooltip(outline, feature.properties.name, { sticky: true });
      outline.addTo(group);
    }
    group.addTo(map);
  }));
  // Boundaries under everything else.
  for (const level of [...LEVELS].reverse()) {
    layers.regions[level].eachLayer((layer) => layer.bringToBack?.());
  }
}

async function loadPeople(page, isStale) {
  const { L, layers } = page.drawn;
  let workers;
  let posts;
  try {
    [workers, posts] = await Promise.all([authed("/api/v1/map/workers"), authed("/api/v1/attendance/posts")]);
  } catch (err) {
    if (!isStale()) failed(page, err);
    return;
  }
  if (isStale() || page.unmounted) return;
  const timeOf = new Intl.DateTimeFormat(page.lang, { hour: "2-digit", minute: "2-digit" });
  layers.workers.clearLayers();
  layers.tracks.clearLayers();
  layers.posts.clearLayers();
  for (const worker of workers.items) {
    const name = worker.display_name || worker.username;
    for (const track of worker.tracks) {
      L.polyline(track, { className: "map-track", color: "#0b5cad", weight: 3, opacity: 0.7, interactive: false }).addTo(layers.tracks);
    }
    const text = page.t("map.worker_seen", { name, time: timeOf.format(new Date(worker.last.at)) });
    const marker = L.marker([worker.last.lat, worker.last.lon], { keyboard: true, title: text, alt: text,
      icon: L.divIcon({ html: h("span", { class: `worker-dot${worker.last.under_way ? " under-way" : ""}` }),
        className: "worker-marker", iconSize: [20, 20] }) });
    textTooltip(marker, text).addTo(layers.workers);
  }
  for (const post of posts.items) {
    const circle = L.circle([post.lat, post.lon], { radius: post.radius_m, className: "map-post", color: "#6a1b9a",
      weight: 2, fillOpacity: 0.15 });
    textTooltip(circle, page.t("map.post_named", { name: post.name })).addTo(layers.posts);
  }
}

function showLayers(page) {
  const { map, layers } = page.drawn;
  const toggle = (layer, on) => (on ? layer.addTo(map) : layer.remove());
  toggle(layers.points, chosen.cases);
  toggle(layers.clusters, chosen.cases);
  toggle(layers.tracks, chosen.tracks);
  toggle(layers.posts, chosen.posts);
  toggle(layers.workers, chosen.workers);
}

async function firstView(page, regions) {
  const { L, map } = page.drawn;
  const own = regions.find((r) => r.id === page.user.region_id);
  const top = own ? [own] : regions.filter((r) => r.level === "city" || r.level === "district");
  const outlines = regionLayer(L, top.map((r) => r.boundary).filter(Boolean));
  if (!fitTo(map, [outlines], { pad: 0.05 })) map.setView([35.05, 118.35], 12);
}

function fitRegion(page, regions) {
  const region = regions.find((r) => r.id === chosen.region);
  if (region?.boundary) fitTo(page.drawn.map, [regionLayer(page.drawn.L, region.boundary)], { pad: 0.05 });
}

/**
 * Everything the map shows that changes, read again: the cases in view, the workers' day and
 * the posts. Whatever learns of a change (a case moved, a worker walked on) calls this.
 */
export function refresh(page) {
  if (!page.drawn || page.unmounted) return Promise.resolve();
  return Promise.all([page.loadCases(), page.loadPeople()]);
}

/** The filters and layer boxes: the form is usable before the map has loaded; a change made
 * then is read by the first load. */
function wire(page, regions) {
  const { ui } = page;
  const whenDrawn = (run) => { if (page.drawn && !page.unmounted) run(); };
  ui.form.addEventListener("submit", (e) => e.preventDefault());
  ui.form.addEventListener("change", (event) => {
    readForm(page);
    whenDrawn(() => {
      if (event.target === ui.region && chosen.region) fitRegion(page, regions);
      page.loadCases();
    });
  });
  ui.reset.addEventListener("click", () => {
    Object.assign(chosen, { region: "", category: "", statuses: [], overdue: false, from: "", to: "" });
    writeForm(page);
    whenDrawn(() => page.loadCases());
  });
  ui.layerBoxes.addEventListener("change", () => {
    readForm(page);
    whenDrawn(() => { showLayers(page); page.loadRegions(); });
  });
}

export async function mount(root, _params, app) {
  const page = { t: app.t, lang: app.language(), user: app.session().user, ui: pageParts(app.t),
    drawn: null, unmounted: false, categories: new Map() };
  page.loadCases = latestOnly((isStale) => loadCases(page, isStale));
  page.loadRegions = latestOnly((isStale) => loadRegions(page, isStale));
  page.loadPeople = latestOnly((isStale) => loadPeople(page, isStale));
  root.append(page.ui.page);
  writeForm(page);
  drawLegend(page, null);
  const owner = app.owner();
  const [regions, categories] = await Promise.all([store.view(owner, "regions"), store.view(owner, "categories")]);
  page.categories = new Map(categories.map((c) => [c.code, c]));
  fillChoices(page, regions, categories);
  writeForm(page);
  wire(page, regions);
  const onMove = debounce(() => { page.loadCases(); page.loadRegions(); }, MOVE_DELAY_MS);
  const stopWatching = page.ui.offline.watch(() => { refresh(page); page.loadRegions(); });
  const unmount = () => {
    page.unmounted = true;
    onMove.cancel();
    stopWatching();
    page.drawn?.map.remove();
  };
  let settings = null;
  try {
    settings = await authed("/api/v1/map/settings");
  } catch (err) {
    failed(page, err);
  }
  try {
    const drawn = await oneMap(page.ui.mapBox, settings);
    if (page.unmounted) { drawn.map.remove(); return unmount; }
    page.drawn = drawn;
  } catch {
    page.ui.mapBox.hidden = true;
    page.ui.error.textContent = app.t("map.unavailable");
    return unmount;
  }
  await firstView(page, regions);
  page.drawn.map.on("moveend", onMove);
  showLayers(page);
  // A case changed somewhere in sight (or changes may have been missed): the view is read
  // again, once a burst of changes has passed.
  const refreshSoon = debounce(() => refresh(page), LIVE_DELAY_MS);
  const stopListening = onCaseChange(refreshSoon);
  await Promise.all([refresh(page), page.loadRegions()]);
  return () => {
    refreshSoon.cancel();
    stopListening();
    unmount();
  };
}
