// Posts in the console (岗位): a supervisor places a post in a grid of their scope (a point
// and a radius: the fence of the workers on it), edits or removes it, and puts workers of
// that grid on it. Online only: posts are managed on the server and reach phones by sync.
import { authed, authedAll } from "../app/api.js";
import { errorMessage } from "../app/i18n.js";
import { h, latestOnly } from "../app/ui/dom.js";
import { isNetworkFailure, offlineNotice } from "../app/ui/offline-notice.js";
import { wrapLongitude } from "../app/geo.js";
import { GRID_OUTLINE, fitTo, gridMap, regionLayer, textTooltip } from "../app/ui/grid-map.js";

export const RADIUS_MIN = 10;
export const RADIUS_MAX = 2000;
export const DEFAULT_RADIUS = 100;
// The post being edited, so that switching the language (which mounts the page again) keeps it.
const chosen = { post: "" };

// -- rules: pure, tested in tests/js/posts.test.mjs ------------------------------------------

export const workerLabel = (w) => (w.display_name ? `${w.display_name} (${w.username})` : w.username);

export const gridName = (grids, id) => grids.find((g) => g.id === id)?.name || "";

/** A form field's number; an empty field is none (Number("") would be 0). */
const fieldNumber = (text) => (text === "" ? NaN : Number(text));

/** [lat, lon] from the two fields, or null while either is empty or not a number. */
export function parsePoint(latText, lonText) {
  const lat = fieldNumber(latText);
  const lon = fieldNumber(lonText);
  return Number.isFinite(lat) && Number.isFinite(lon) ? [lat, lon] : null;
}

/** The radius in metres, or null when it is not one the server takes. */
export function parseRadius(text) {
  const r = fieldNumber(text);
  return Number.isFinite(r) && r >= RADIUS_MIN && r <= RADIUS_MAX ? r : null;
}

const round6 = (x) => Math.round(x * 1e6) / 1e6;

/** A point clicked on the map as the fields show it: six decimals (about 10 cm). */
export const placedPoint = (lat, lon) => [round6(lat), round6(wrapLongitude(lon))];

/**
 * The first thing the form still needs, as [field, message key], or null when it can be
 * sent. `form` holds the fields' texts: grid, name, radius, lat, lon.
 */
export function validatePost(form) {
  if (!form.grid) return ["grid", "posts.need_grid"];
  if (!form.name.trim()) return ["name", "posts.need_name"];
  if (parseRadius(form.radius) === null) return ["radius", "posts.need_radius"];
  if (!parsePoint(form.lat, form.lon)) return ["lat", "posts.need_point"];
  return null;
}

/** A valid form as the fields the server takes. */
export function postFields(form) {
  const [lat, lon] = parsePoint(form.lat, form.lon);
  return { name: form.name.trim(), lat, lon, radius_m: parseRadius(form.radius) };
}

/** What an edit changes: only that goes in the PATCH; nothing changed, nothing is sent. */
export const postChanges = (post, fields) =>
  Object.fromEntries(Object.entries(fields).filter(([k, v]) => post[k] !== v));

/** By grid, then by name, in Chinese collation order. */
export const sortPosts = (posts, grids) => [...posts].sort((a, b) =>
  gridName(grids, a.region_id).localeCompare(gridName(grids, b.region_id), "zh-CN")
  || a.name.localeCompare(b.name, "zh-CN"));

/**
 * The workers `post` can take: its grid's that are not on it yet, each with the post they
 * would leave (a worker holds one post at a time), or null.
 */
export function workerChoices(post, workers, posts) {
  const onThis = new Set(post.workers.map((w) => w.id));
  const heldBy = new Map(posts.flatMap((p) => p.workers.map((w) => [w.id, p])));
  return workers.filter((w) => w.region_id === post.region_id && !onThis.has(w.id))
    .map((worker) => ({ worker, leaves: heldBy.get(worker.id) || null }));
}

/** A row of the posts table as text. */
export const postRow = (post, grids) => ({
  name: post.name,
  grid: gridName(grids, post.region_id),
  metres: Math.round(post.radius_m),
  workers: post.workers.map(workerLabel).join("、"),
});

// -- the page ----------------------------------------------------------------------------------

function pageParts(t) {
  const parts = {
    offline: offlineNotice({ id: "posts-offline", text: t("posts.offline") }),
    pageError: h("p", { id: "posts-error", class: "error", role: "alert" }),
    listBody: h("div", { id: "posts-list", "aria-live": "polite" }, h("p", { class: "loading" }, t("posts.loading"))),
    count: h("span", { id: "posts-count" }),
    formTitle: h("h2", { id: "post-form-title" }),
    grid: h("select", { id: "post-grid", required: true }, h("option", { value: "" }, t("posts.choose_grid"))),
    name: h("input", { id: "post-name", maxlength: "100", required: true, autocomplete: "off" }),
    radius: h("input", { id: "post-radius", type: "number", inputmode: "numeric", min: String(RADIUS_MIN),
      max: String(RADIUS_MAX), step: "1", value: String(DEFAULT_RADIUS), required: true,
      "aria-describedby": "post-radius-hint" }),
    lat: h("input", { id: "post-lat", type: "number", step: "any", min: "-90", max: "90",
      inputmode: "decimal", "aria-describedby": "post-point-hint" }),
    lon: h("input", { id: "post-lon", type: "number", step: "any", min: "-180", max: "180",
      inputmode: "decimal", "aria-describedby": "post-point-hint" }),
    mapBox: h("div", { id: "posts-map", class: "map posts-map", role: "application",
      "aria-label": t("posts.map_label"), "aria-describedby": "post-point-hint" }),
    formError: h("p", { id: "post-form-error", class: "error", role: "alert" }),
    formStatus: h("p", { id: "post-form-status", class: "hint", role: "status" }),
    saveButton: h("button", { type: "submit", class: "primary", id: "post-save" }),
    newButton: h("button", { type: "button", class: "secondary", id: "post-new" }, t("posts.new")),
    workerList: h("ul", { class: "list", id: "post-worker-list" }),
    workerSelect: h("select", { id: "post-worker" }),
    assignButton: h("button", { type: "button", class: "inline", id: "post-assign" }, t("posts.assign")),
    workerError: h("p", { id: "post-worker-error", class: "error", role: "alert" }),
    workerStatus: h("p", { id: "post-worker-status", class: "hint", role: "status" }),
  };
  const p = parts;
  p.form = h("form", { id: "post-form", class: "card", novalidate: true },
    p.formTitle,
    h("label", { for: "post-grid" }, t("posts.grid")), p.grid,
    h("label", { for: "post-name" }, t("posts.name")), p.name,
    h("label", { for: "post-radius" }, t("posts.radius")), p.radius,
    h("p", { id: "post-radius-hint", class: "hint" }, t("posts.radius_hint", { min: RADIUS_MIN, max: RADIUS_MAX })),
    h("fieldset", { class: "post-point" },
      h("legend", { class: "label" }, t("posts.point")),
      h("p", { id: "post-point-hint", class: "hint" }, t("posts.point_hint")),
      h("div", { class: "post-coords" },
        h("div", {}, h("label", { for: "post-lat" }, t("posts.lat")), p.lat),
        h("div", {}, h("label", { for: "post-lon" }, t("posts.lon")), p.lon))),
    p.formError, p.formStatus,
    h("div", { class: "post-actions" }, p.saveButton, p.newButton));
  p.workersBox = h("section", { id: "post-workers", class: "card", hidden: true, "aria-labelledby": "post-workers-title" },
    h("h2", { id: "post-workers-title" }, t("posts.workers")),
    h("p", { class: "hint" }, t("posts.workers_hint")),
    p.workerList,
    h("label", { for: "post-worker" }, t("posts.add_worker")),
    h("div", { class: "post-assign" }, p.workerSelect, p.assignButton),
    p.workerError, p.workerStatus);
  p.page = h("section", { id: "posts-console", class: "wide" },
    h("div", { class: "console-head" }, h("h1", {}, t("posts.title")),
      h("a", { class: "button secondary", href: "#/console" }, t("console.title"))),
    p.offline.element,
    h("p", { class: "hint" }, t("posts.intro")),
    h("div", { class: "posts-layout" },
      h("div", { class: "posts-main" }, h("h2", {}, t("posts.list"), " ", p.count), p.pageError, p.listBody, p.mapBox),
      h("div", { class: "posts-side" }, p.form, p.workersBox)));
  return parts;
}

function postsTable(t, posts, grids, editing) {
  if (!posts.length) return h("p", { class: "hint" }, t("posts.none"));
  return h("table", { class: "table", id: "posts-table" },
    h("caption", { class: "sr-only" }, t("posts.list")),
    h("thead", {}, h("tr", {}, ["name", "grid", "radius", "workers", "actions"].map((k) =>
      h("th", { scope: "col" }, t(`posts.col.${k}`))))),
    h("tbody", {}, posts.map((p) => {
      const row = postRow(p, grids);
      return h("tr", { class: p.id === editing?.id ? "selected" : "",
        dataset: { id: p.id, name: p.name, workers: String(p.workers.length) },
        "aria-current": p.id === editing?.id ? "true" : null },
      h("th", { scope: "row" }, row.name),
      h("td", {}, row.grid),
      h("td", { class: "count" }, t("posts.metres", { n: row.metres })),
      h("td", {}, row.workers || h("span", { class: "hint" }, t("posts.no_workers"))),
      h("td", { class: "post-row-actions" },
        h("button", { type: "button", class: "inline", dataset: { edit: p.id },
          "aria-label": t("posts.edit_named", { name: p.name }) }, t("posts.edit")),
        h("button", { type: "button", class: "inline danger", dataset: { delete: p.id },
          "aria-label": t("posts.delete_named", { name: p.name }) }, t("posts.delete"))));
    })));
}

function workerItems(t, post) {
  if (!post.workers.length) return [h("li", { class: "hint" }, t("posts.no_workers"))];
  return post.workers.map((w) => h("li", { class: "post-worker", dataset: { id: w.id, username: w.username } },
    h("span", {}, workerLabel(w)),
    h("button", { type: "button", class: "inline", dataset: { remove: w.id },
      "aria-label": t("posts.remove_worker", { name: workerLabel(w) }) }, t("posts.remove"))));
}

function workerOptions(t, choices) {
  return [h("option", { value: "" }, t(choices.length ? "posts.choose_worker" : "posts.no_grid_workers")),
    ...choices.map(({ worker, leaves }) => h("option", { value: worker.id, dataset: { username: worker.username } },
      leaves ? t("posts.worker_moves", { worker: workerLabel(worker), post: leaves.name }) : workerLabel(worker)))];
}

function gridOptions(t, grids) {
  return [h("option", { value: "" }, t(grids.length ? "posts.choose_grid" : "posts.no_grids")),
    ...grids.map((g) => h("option", { value: g.id, dataset: { code: g.code } }, `${g.name} (${g.code})`))];
}

// -- the map -----------------------------------------------------------------------------------

const GRID_STYLE = { ...GRID_OUTLINE, weight: 3, fill: true, fillOpacity: 0.05 };
const OTHER_STYLE = { interactive: false, className: "post-other", color: "#4a4a4a", weight: 2,
  dashArray: "6 4", fillOpacity: 0.1 };

/**
 * The grid being placed in, the other posts there (dashed) and the post being placed; a
 * click, or Enter/Space by keyboard (the arrow keys pan the map), calls onPlace(lat, lon).
 */
async function postsMap(box, onPlace) {
  const { L, map } = await gridMap(box);
  const grid = regionLayer(L, null, { style: GRID_STYLE }).addTo(map);
  const others = L.featureGroup().addTo(map);
  const draft = L.circle([0, 0], { radius: DEFAULT_RADIUS, interactive: false, className: "post-draft",
    color: "#0b5cad", weight: 3, fillOpacity: 0.2 });
  const centre = L.circleMarker([0, 0], { radius: 6, interactive: false, className: "post-centre",
    color: "#fff", weight: 2, fillColor: "#b00020", fillOpacity: 1 });
  map.on("click", (event) => onPlace(event.latlng.lat, event.latlng.lng));
  box.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" && event.key !== " ") return;
    event.preventDefault();
    const { lat, lng } = map.getCenter();
    onPlace(lat, lng);
  });
  return {
    showGrid(boundary, posts) {
      grid.clearLayers();
      if (boundary) grid.addData(boundary);
      others.clearLayers();
      for (const p of posts) {
        // Named on the map: the circles let clicks through (to place a post), so no hover.
        textTooltip(L.circle([p.lat, p.lon], { ...OTHER_STYLE, radius: p.radius_m }), p.name,
          { permanent: true, direction: "center", className: "post-label" }).addTo(others);
      }
      if (!fitTo(map, [grid])) fitTo(map, [others]);
    },
    showDraft(at, radius) {
      if (!at) {
        draft.remove();
        centre.remove();
        return;
      }
      draft.setLatLng(at).setRadius(radius ?? RADIUS_MIN);
      centre.setLatLng(at);
      if (!map.hasLayer(draft)) draft.addTo(map);
      if (!map.hasLayer(centre)) centre.addTo(map);
    },
    remove: () => map.remove(),
  };
}

// -- what the page does: `page` is the mounted page's parts, data and map -----------------------

const formValues = (ui) => ({ grid: ui.grid.value, name: ui.name.value, radius: ui.radius.value,
  lat: ui.lat.value, lon: ui.lon.value });

function failed(page, err, where) {
  if (isNetworkFailure(err)) page.ui.offline.show(true);
  where.textContent = errorMessage(err);
  where.dataset.code = err?.code || "";
}

function clearError(where) {
  where.textContent = "";
  delete where.dataset.code;
}

function drawDraft(page) {
  page.map?.showDraft(parsePoint(page.ui.lat.value, page.ui.lon.value), parseRadius(page.ui.radius.value));
}

async function drawGrid(page, isStale) {
  const gridId = page.ui.grid.value;
  let boundary = page.boundaries.get(gridId) || null;
  if (gridId && !boundary) {
    try {
      boundary = (await authed(`/api/v1/regions/${gridId}`)).boundary;
      page.boundaries.set(gridId, boundary);
    } catch (err) {
      if (!isStale()) failed(page, err, page.ui.formError);
      return;
    }
  }
  if (isStale() || page.unmounted || !page.map) return;
  page.map.showGrid(boundary, page.posts.filter((p) => p.id !== page.editing?.id && (!gridId || p.region_id === gridId)));
  drawDraft(page);
}

function placeAt(page, lat, lon) {
  const { ui, t } = page;
  if (!ui.grid.value) {
    ui.formError.textContent = t("posts.pick_grid_first");
    return;
  }
  clearError(ui.formError);
  [ui.lat.value, ui.lon.value] = placedPoint(lat, lon).map(String);
  drawDraft(page);
  ui.formStatus.textContent = t("posts.point_placed", { lat: ui.lat.value, lon: ui.lon.value });
}

function renderWorkers(page) {
  const { ui, t, editing } = page;
  ui.workersBox.hidden = !editing;
  if (!editing) return;
  clearError(ui.workerError);
  ui.workerStatus.textContent = "";
  ui.workerList.replaceChildren(...workerItems(t, editing));
  const choices = workerChoices(editing, page.workers, page.posts);
  ui.workerSelect.replaceChildren(...workerOptions(t, choices));
  ui.assignButton.disabled = !choices.length;
}

function fillForm(page) {
  const { ui, t, editing } = page;
  clearError(ui.formError);
  ui.formStatus.textContent = "";
  ui.formTitle.textContent = editing ? t("posts.edit_title", { name: editing.name }) : t("posts.new_title");
  ui.saveButton.textContent = t(editing ? "posts.save" : "posts.create");
  ui.newButton.hidden = !editing;
  ui.grid.disabled = Boolean(editing);
  if (editing) {
    ui.grid.value = editing.region_id;
    ui.name.value = editing.name;
    ui.radius.value = String(editing.radius_m);
    ui.lat.value = String(editing.lat);
    ui.lon.value = String(editing.lon);
  }
  renderWorkers(page);
  page.drawGrid();
}

function renderList(page) {
  page.ui.count.textContent = `(${page.posts.length})`;
  page.ui.listBody.replaceChildren(postsTable(page.t, page.posts, page.grids, page.editing));
}

function edit(page, post) {
  const { ui } = page;
  page.editing = post;
  chosen.post = post?.id || "";
  if (!post) {
    ui.name.value = "";
    ui.radius.value = String(DEFAULT_RADIUS);
    ui.lat.value = ui.lon.value = "";
  }
  fillForm(page);
  renderList(page);
}

async function loadPosts(page) {
  try {
    page.posts = sortPosts((await authed("/api/v1/attendance/posts")).items, page.grids);
  } catch (err) {
    failed(page, err, page.ui.pageError);
    return false;
  }
  page.ui.offline.show(!navigator.onLine);
  renderList(page);
  return true;
}

async function save(page) {
  const { ui, t, editing } = page;
  clearError(ui.formError);
  ui.formStatus.textContent = "";
  const invalid = validatePost(formValues(ui));
  if (invalid) {
    ui.formError.textContent = t(invalid[1], { min: RADIUS_MIN, max: RADIUS_MAX });
    ui[invalid[0]].focus();
    return;
  }
  const fields = postFields(formValues(ui));
  let body;
  ui.saveButton.disabled = true;
  try {
    if (editing) {
      const changed = postChanges(editing, fields);
      body = Object.keys(changed).length ? await authed(`/api/v1/attendance/posts/${editing.id}`,
        { method: "PATCH", body: changed }) : editing;
    } else {
      body = await authed("/api/v1/attendance/posts", { method: "POST", body: { region_id: ui.grid.value, ...fields } });
    }
  } catch (err) {
    failed(page, err, ui.formError);
    return;
  } finally {
    ui.saveButton.disabled = false;
  }
  if (page.unmounted) return;
  page.ui.offline.show(!navigator.onLine);  // an answer that arrives after going offline
  await loadPosts(page);
  edit(page, page.posts.find((p) => p.id === body.id) || body);
  ui.formStatus.textContent = t(editing ? "posts.saved" : "posts.created", { name: body.name });
  if (!editing) ui.workerSelect.focus();
}

/** Puts a worker on the post being edited (`remove`: takes them off), then shows the result. */
async function changeWorker(page, worker, { remove = false } = {}) {
  const { ui, t } = page;
  const post = page.editing;
  clearError(ui.workerError);
  try {
    await authed(remove ? `/api/v1/attendance/posts/${post.id}/workers/${worker.id}`
      : `/api/v1/attendance/posts/${post.id}/workers`,
    remove ? { method: "DELETE" } : { method: "POST", body: { worker_id: worker.id } });
  } catch (err) {
    failed(page, err, ui.workerError);
    return;
  }
  await loadPosts(page);
  const fresh = page.posts.find((p) => p.id === page.editing?.id);
  if (fresh) edit(page, fresh);
  ui.workerStatus.textContent = t(remove ? "posts.unassigned" : "posts.assigned",
    { worker: workerLabel(worker), post: post.name });
  ui.workerSelect.focus();
}

function assign(page) {
  const { ui, t } = page;
  const worker = page.workers.find((w) => w.id === ui.workerSelect.value);
  if (worker) return changeWorker(page, worker);
  clearError(ui.workerError);
  ui.workerError.textContent = t("posts.need_worker");
  ui.workerSelect.focus();
}

async function removePost(page, post) {
  const { ui, t } = page;
  clearError(ui.pageError);
  if (!window.confirm(t("posts.confirm_delete", { name: post.name }))) return;
  try {
    await authed(`/api/v1/attendance/posts/${post.id}`, { method: "DELETE" });
  } catch (err) {
    failed(page, err, ui.pageError);
    return;
  }
  if (page.editing?.id === post.id) edit(page, null);
  await loadPosts(page);
  ui.formStatus.textContent = t("posts.deleted", { name: post.name });
}

function onListClick(page, event) {
  const button = event.target.closest("button[data-edit], button[data-delete]");
  const post = button && page.posts.find((p) => p.id === (button.dataset.edit || button.dataset.delete));
  if (!post) return;
  if (button.dataset.edit) {
    edit(page, post);
    page.ui.name.focus();
  } else {
    removePost(page, post);
  }
}

async function reload(page) {
  const { ui, t } = page;
  clearError(ui.pageError);
  try {
    [page.grids, page.workers] = await Promise.all([authedAll("/api/v1/regions?level=grid"),
      authedAll("/api/v1/accounts?role=worker")]);
  } catch (err) {
    ui.listBody.replaceChildren();
    failed(page, err, ui.pageError);
    return;
  }
  if (page.unmounted) return;
  ui.grid.replaceChildren(...gridOptions(t, page.grids));
  if (!(await loadPosts(page)) || page.unmounted) return;
  const keep = page.posts.find((p) => p.id === (page.editing?.id || chosen.post));
  if (keep) edit(page, keep);
  else if (page.editing) edit(page, null);
  else fillForm(page);
}

function wire(page) {
  const { ui } = page;
  ui.form.addEventListener("submit", (event) => { event.preventDefault(); save(page); });
  ui.newButton.addEventListener("click", () => { edit(page, null); ui.grid.focus(); });
  ui.grid.addEventListener("change", () => {
    ui.lat.value = ui.lon.value = "";
    clearError(ui.formError);
    page.drawGrid();
  });
  for (const input of [ui.radius, ui.lat, ui.lon]) input.addEventListener("input", () => drawDraft(page));
  ui.assignButton.addEventListener("click", () => assign(page));
  ui.workerList.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-remove]");
    if (button) changeWorker(page, page.editing.workers.find((w) => w.id === button.dataset.remove), { remove: true });
  });
  ui.listBody.addEventListener("click", (event) => onListClick(page, event));
}

export async function mount(root, _params, app) {
  const page = { t: app.t, ui: pageParts(app.t), grids: [], workers: [], posts: [], editing: null,
    boundaries: new Map(), map: null, unmounted: false };
  page.drawGrid = latestOnly((isStale) => drawGrid(page, isStale));
  root.append(page.ui.page);
  wire(page);
  const stopWatching = page.ui.offline.watch(() => reload(page));
  fillForm(page);
  try {
    page.map = await postsMap(page.ui.mapBox, (lat, lon) => placeAt(page, lat, lon));
  } catch {
    page.ui.mapBox.hidden = true;
  }
  await reload(page);
  return () => {
    page.unmounted = true;
    stopWatching();
    page.map?.remove();
  };
}
