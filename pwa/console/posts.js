// Posts in the console (岗位): a supervisor places a post in a grid of their scope (a point
// and a radius: the fence of the workers on it), edits or removes it, and puts workers of
// that grid on it. Online only: posts are managed on the server and reach phones by sync.
import { authed, authedAll } from "../app/api.js";
import { h, latestOnly } from "../app/ui/dom.js";
import { loadLeaflet } from "../app/ui/track-map.js";

const RADIUS_MIN = 10;
const RADIUS_MAX = 2000;
const DEFAULT_RADIUS = 100;
// Server error codes with a message in the catalogues (posts.error.<code>); others show
// the server's own message.
const KNOWN_ERRORS = ["post_outside_grid", "post_name_taken", "post_has_workers", "post_not_in_grid",
  "worker_outside_post_grid", "not_a_worker", "not_assigned", "not_found", "validation_error"];
// The post being edited, so that switching the language (which mounts the page again) keeps it.
const chosen = { post: "" };

const workerLabel = (w) => (w.display_name ? `${w.display_name} (${w.username})` : w.username);
const round6 = (x) => Math.round(x * 1e6) / 1e6;

export async function mount(root, _params, app) {
  const { t } = app;
  const errorText = (err) => {
    if (err?.status === 0) return t("posts.offline");
    if (KNOWN_ERRORS.includes(err?.code)) return t(`posts.error.${err.code}`);
    return err?.message || t("posts.failed");
  };

  const offline = h("p", { id: "posts-offline", class: "notice warn", role: "status", hidden: true },
    t("posts.offline"));
  const pageError = h("p", { id: "posts-error", class: "error", role: "alert" });
  const listBody = h("div", { id: "posts-list", "aria-live": "polite" },
    h("p", { class: "loading" }, t("posts.loading")));
  const count = h("span", { id: "posts-count" });

  const formTitle = h("h2", { id: "post-form-title" });
  const gridSelect = h("select", { id: "post-grid", required: true },
    h("option", { value: "" }, t("posts.choose_grid")));
  const nameInput = h("input", { id: "post-name", maxlength: "100", required: true, autocomplete: "off" });
  const radiusInput = h("input", { id: "post-radius", type: "number", inputmode: "numeric", min: String(RADIUS_MIN),
    max: String(RADIUS_MAX), step: "1", value: String(DEFAULT_RADIUS), required: true,
    "aria-describedby": "post-radius-hint" });
  const latInput = h("input", { id: "post-lat", type: "number", step: "any", min: "-90", max: "90",
    inputmode: "decimal", "aria-describedby": "post-point-hint" });
  const lonInput = h("input", { id: "post-lon", type: "number", step: "any", min: "-180", max: "180",
    inputmode: "decimal", "aria-describedby": "post-point-hint" });
  const mapBox = h("div", { id: "posts-map", class: "map posts-map", role: "application",
    "aria-label": t("posts.map_label"), "aria-describedby": "post-point-hint" });
  const formError = h("p", { id: "post-form-error", class: "error", role: "alert" });
  const formStatus = h("p", { id: "post-form-status", class: "hint", role: "status" });
  const saveButton = h("button", { type: "submit", class: "primary", id: "post-save" });
  const newButton = h("button", { type: "button", class: "secondary", id: "post-new" }, t("posts.new"));
  const form = h("form", { id: "post-form", class: "card", novalidate: true },
    formTitle,
    h("label", { for: "post-grid" }, t("posts.grid")), gridSelect,
    h("label", { for: "post-name" }, t("posts.name")), nameInput,
    h("label", { for: "post-radius" }, t("posts.radius")), radiusInput,
    h("p", { id: "post-radius-hint", class: "hint" }, t("posts.radius_hint", { min: RADIUS_MIN, max: RADIUS_MAX })),
    h("fieldset", { class: "post-point" },
      h("legend", { class: "label" }, t("posts.point")),
      h("p", { id: "post-point-hint", class: "hint" }, t("posts.point_hint")),
      h("div", { class: "post-coords" },
        h("div", {}, h("label", { for: "post-lat" }, t("posts.lat")), latInput),
        h("div", {}, h("label", { for: "post-lon" }, t("posts.lon")), lonInput))),
    formError, formStatus,
    h("div", { class: "post-actions" }, saveButton, newButton));

  const workerList = h("ul", { class: "list", id: "post-worker-list" });
  const workerSelect = h("select", { id: "post-worker" });
  const assignButton = h("button", { type: "button", class: "inline", id: "post-assign" }, t("posts.assign"));
  const workerError = h("p", { id: "post-worker-error", class: "error", role: "alert" });
  const workerStatus = h("p", { id: "post-worker-status", class: "hint", role: "status" });
  const workersBox = h("section", { id: "post-workers", class: "card", hidden: true,
    "aria-labelledby": "post-workers-title" },
  h("h2", { id: "post-workers-title" }, t("posts.workers")),
  h("p", { class: "hint" }, t("posts.workers_hint")),
  workerList,
  h("label", { for: "post-worker" }, t("posts.add_worker")),
  h("div", { class: "post-assign" }, workerSelect, assignButton),
  workerError, workerStatus);

  root.append(h("section", { id: "posts-console", class: "wide" },
    h("div", { class: "console-head" }, h("h1", {}, t("posts.title")),
      h("a", { class: "button secondary", href: "#/console" }, t("console.title"))),
    offline,
    h("p", { class: "hint" }, t("posts.intro")),
    h("div", { class: "posts-layout" },
      h("div", { class: "posts-main" },
        h("h2", {}, t("posts.list"), " ", count),
        pageError, listBody,
        mapBox),
      h("div", { class: "posts-side" }, form, workersBox))));

  let unmounted = false;
  let grids = [];      // grids of my scope: {id, name, code}
  let workers = [];    // workers of my scope, with their region_id
  let posts = [];
  const boundaries = new Map();  // grid id → GeoJSON geometry
  let editing = null;  // the post being edited, or null when adding one
  let L = null;
  let map = null;
  let layers = null;

  const gridName = (id) => grids.find((g) => g.id === id)?.name || "";
  const showOffline = (isOffline) => { offline.hidden = !isOffline; };
  const failed = (err, where = pageError) => {
    if (err?.status === 0 || !navigator.onLine) showOffline(true);
    where.textContent = errorText(err);
    where.dataset.code = err?.code || "";
  };
  const clearError = (where) => { where.textContent = ""; delete where.dataset.code; };

  // -- the map -----------------------------------------------------------------------------

  const point = () => {
    const lat = latInput.value === "" ? NaN : Number(latInput.value);
    const lon = lonInput.value === "" ? NaN : Number(lonInput.value);
    return Number.isFinite(lat) && Number.isFinite(lon) ? [lat, lon] : null;
  };
  const radius = () => {
    const r = radiusInput.value === "" ? NaN : Number(radiusInput.value);
    return Number.isFinite(r) && r >= RADIUS_MIN && r <= RADIUS_MAX ? r : null;
  };

  const drawDraft = () => {
    if (!map) return;
    const at = point();
    if (!at) {
      layers.draft.remove();
      layers.centre.remove();
      return;
    }
    layers.draft.setLatLng(at).setRadius(radius() ?? RADIUS_MIN);
    layers.centre.setLatLng(at);
    if (!map.hasLayer(layers.draft)) layers.draft.addTo(map);
    if (!map.hasLayer(layers.centre)) layers.centre.addTo(map);
  };

  const fit = () => {
    if (!map) return;
    const bounds = L.latLngBounds([]);
    if (layers.grid.getLayers().length) bounds.extend(layers.grid.getBounds());
    if (!bounds.isValid() && layers.others.getLayers().length) bounds.extend(layers.others.getBounds());
    if (bounds.isValid()) map.fitBounds(bounds.pad(0.1), { maxZoom: 18 });
  };

  const drawGrid = latestOnly(async (isStale) => {
    const gridId = gridSelect.value;
    let boundary = null;
    if (gridId) {
      boundary = boundaries.get(gridId);
      if (!boundary) {
        try {
          boundary = (await authed(`/api/v1/regions/${gridId}`)).boundary;
          boundaries.set(gridId, boundary);
        } catch (err) {
          if (!isStale()) failed(err, formError);
          return;
        }
      }
    }
    if (isStale() || unmounted || !map) return;
    layers.grid.clearLayers();
    if (boundary) layers.grid.addData(boundary);
    layers.others.clearLayers();
    for (const p of posts) {
      if (p.id === editing?.id || (gridId && p.region_id !== gridId)) continue;
      L.circle([p.lat, p.lon], { radius: p.radius_m, interactive: false, className: "post-other",
        color: "#4a4a4a", weight: 2, dashArray: "6 4", fillOpacity: 0.1 })
        .bindTooltip(p.name, { permanent: false }).addTo(layers.others);
    }
    fit();
    drawDraft();
  });

  const placeAt = (lat, lon) => {
    if (!gridSelect.value) {
      formError.textContent = t("posts.pick_grid_first");
      return;
    }
    clearError(formError);
    latInput.value = String(round6(lat));
    lonInput.value = String(round6(L.Util.wrapNum(lon, [-180, 180], true)));
    drawDraft();
    formStatus.textContent = t("posts.point_placed", { lat: latInput.value, lon: lonInput.value });
  };

  // -- the form ----------------------------------------------------------------------------

  const renderWorkers = () => {
    workersBox.hidden = !editing;
    if (!editing) return;
    clearError(workerError);
    workerStatus.textContent = "";
    workerList.replaceChildren(...(editing.workers.length ? editing.workers.map((w) => h("li",
      { class: "post-worker", dataset: { id: w.id, username: w.username } },
      h("span", {}, workerLabel(w)),
      h("button", { type: "button", class: "inline", dataset: { remove: w.id },
        "aria-label": t("posts.remove_worker", { name: workerLabel(w) }) }, t("posts.remove"))))
      : [h("li", { class: "hint" }, t("posts.no_workers"))]));
    const onThis = new Set(editing.workers.map((w) => w.id));
    const heldBy = new Map(posts.flatMap((p) => p.workers.map((w) => [w.id, p])));
    const free = workers.filter((w) => w.region_id === editing.region_id && !onThis.has(w.id));
    workerSelect.replaceChildren(h("option", { value: "" },
      t(free.length ? "posts.choose_worker" : "posts.no_grid_workers")),
    ...free.map((w) => h("option", { value: w.id, dataset: { username: w.username } },
      heldBy.has(w.id) ? t("posts.worker_moves", { worker: workerLabel(w), post: heldBy.get(w.id).name })
        : workerLabel(w))));
    assignButton.disabled = !free.length;
  };

  const fillForm = () => {
    clearError(formError);
    formStatus.textContent = "";
    formTitle.textContent = editing ? t("posts.edit_title", { name: editing.name }) : t("posts.new_title");
    saveButton.textContent = t(editing ? "posts.save" : "posts.create");
    newButton.hidden = !editing;
    gridSelect.disabled = Boolean(editing);
    if (editing) {
      gridSelect.value = editing.region_id;
      nameInput.value = editing.name;
      radiusInput.value = String(editing.radius_m);
      latInput.value = String(editing.lat);
      lonInput.value = String(editing.lon);
    }
    renderWorkers();
    drawGrid();
  };

  const edit = (post) => {
    editing = post;
    chosen.post = post?.id || "";
    if (!post) {
      nameInput.value = "";
      radiusInput.value = String(DEFAULT_RADIUS);
      latInput.value = lonInput.value = "";
    }
    fillForm();
    renderList();
  };

  const validate = () => {
    if (!gridSelect.value) return [gridSelect, "posts.need_grid"];
    if (!nameInput.value.trim()) return [nameInput, "posts.need_name"];
    if (radius() === null) return [radiusInput, "posts.need_radius"];
    if (!point()) return [latInput, "posts.need_point"];
    return null;
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearError(formError);
    formStatus.textContent = "";
    const invalid = validate();
    if (invalid) {
      formError.textContent = t(invalid[1], { min: RADIUS_MIN, max: RADIUS_MAX });
      invalid[0].focus();
      return;
    }
    const [lat, lon] = point();
    const fields = { name: nameInput.value.trim(), lat, lon, radius_m: radius() };
    let body;
    saveButton.disabled = true;
    try {
      if (editing) {
        const changed = Object.fromEntries(Object.entries(fields).filter(([k, v]) => editing[k] !== v));
        body = Object.keys(changed).length ? await authed(`/api/v1/attendance/posts/${editing.id}`,
          { method: "PATCH", body: changed }) : editing;
      } else {
        body = await authed("/api/v1/attendance/posts", { method: "POST",
          body: { region_id: gridSelect.value, ...fields } });
      }
    } catch (err) {
      failed(err, formError);
      return;
    } finally {
      saveButton.disabled = false;
    }
    if (unmounted) return;
    showOffline(!navigator.onLine);  // an answer that arrives after going offline
    const created = !editing;
    await loadPosts();
    edit(posts.find((p) => p.id === body.id) || body);
    formStatus.textContent = t(created ? "posts.created" : "posts.saved", { name: body.name });
    if (created) workerSelect.focus();
  });
  newButton.addEventListener("click", () => { edit(null); gridSelect.focus(); });
  gridSelect.addEventListener("change", () => {
    latInput.value = lonInput.value = "";
    clearError(formError);
    drawGrid();
  });
  radiusInput.addEventListener("input", drawDraft);
  latInput.addEventListener("input", drawDraft);
  lonInput.addEventListener("input", drawDraft);

  // -- workers -----------------------------------------------------------------------------

  const afterWorkerChange = async (message) => {
    await loadPosts();
    const fresh = posts.find((p) => p.id === editing?.id);
    if (fresh) edit(fresh);
    workerStatus.textContent = message;
  };

  assignButton.addEventListener("click", async () => {
    clearError(workerError);
    const worker = workers.find((w) => w.id === workerSelect.value);
    if (!worker) {
      workerError.textContent = t("posts.need_worker");
      workerSelect.focus();
      return;
    }
    try {
      await authed(`/api/v1/attendance/posts/${editing.id}/workers`, { method: "POST",
        body: { worker_id: worker.id } });
    } catch (err) {
      failed(err, workerError);
      return;
    }
    await afterWorkerChange(t("posts.assigned", { worker: workerLabel(worker), post: editing.name }));
    workerSelect.focus();
  });

  workerList.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-remove]");
    if (!button) return;
    const worker = editing.workers.find((w) => w.id === button.dataset.remove);
    clearError(workerError);
    try {
      await authed(`/api/v1/attendance/posts/${editing.id}/workers/${worker.id}`, { method: "DELETE" });
    } catch (err) {
      failed(err, workerError);
      return;
    }
    await afterWorkerChange(t("posts.unassigned", { worker: workerLabel(worker), post: editing.name }));
    workerSelect.focus();
  });

  // -- the list ----------------------------------------------------------------------------

  const remove = async (post) => {
    clearError(pageError);
    if (!window.confirm(t("posts.confirm_delete", { name: post.name }))) return;
    try {
      await authed(`/api/v1/attendance/posts/${post.id}`, { method: "DELETE" });
    } catch (err) {
      failed(err, pageError);
      return;
    }
    if (editing?.id === post.id) edit(null);
    await loadPosts();
    formStatus.textContent = t("posts.deleted", { name: post.name });
  };

  function renderList() {
    count.textContent = `(${posts.length})`;
    if (!posts.length) {
      listBody.replaceChildren(h("p", { class: "hint" }, t("posts.none")));
      return;
    }
    listBody.replaceChildren(h("table", { class: "table", id: "posts-table" },
      h("caption", { class: "sr-only" }, t("posts.list")),
      h("thead", {}, h("tr", {}, ["name", "grid", "radius", "workers", "actions"].map((k) =>
        h("th", { scope: "col" }, t(`posts.col.${k}`))))),
      h("tbody", {}, posts.map((p) => h("tr", { class: p.id === editing?.id ? "selected" : "",
        dataset: { id: p.id, name: p.name, workers: String(p.workers.length) },
        "aria-current": p.id === editing?.id ? "true" : null },
      h("th", { scope: "row" }, p.name),
      h("td", {}, gridName(p.region_id)),
      h("td", { class: "count" }, t("posts.metres", { n: Math.round(p.radius_m) })),
      h("td", {}, p.workers.length ? p.workers.map(workerLabel).join("、") : h("span", { class: "hint" },
        t("posts.no_workers"))),
      h("td", { class: "post-row-actions" },
        h("button", { type: "button", class: "inline", dataset: { edit: p.id },
          "aria-label": t("posts.edit_named", { name: p.name }) }, t("posts.edit")),
        h("button", { type: "button", class: "inline danger", dataset: { delete: p.id },
          "aria-label": t("posts.delete_named", { name: p.name }) }, t("posts.delete"))))))));
  }

  listBody.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-edit], button[data-delete]");
    if (!button) return;
    const post = posts.find((p) => p.id === (button.dataset.edit || button.dataset.delete));
    if (!post) return;
    if (button.dataset.edit) {
      edit(post);
      nameInput.focus();
    } else {
      remove(post);
    }
  });

  // -- data --------------------------------------------------------------------------------

  async function loadPosts() {
    try {
      posts = (await authed("/api/v1/attendance/posts")).items;
    } catch (err) {
      failed(err, pageError);
      return false;
    }
    posts.sort((a, b) => gridName(a.region_id).localeCompare(gridName(b.region_id), "zh-CN")
      || a.name.localeCompare(b.name, "zh-CN"));
    showOffline(!navigator.onLine);
    renderList();
    return true;
  }

  const reload = async () => {
    clearError(pageError);
    try {
      [grids, workers] = await Promise.all([authedAll("/api/v1/regions?level=grid"),
        authedAll("/api/v1/accounts?role=worker")]);
    } catch (err) {
      listBody.replaceChildren();
      failed(err, pageError);
      return;
    }
    if (unmounted) return;
    gridSelect.replaceChildren(h("option", { value: "" }, t(grids.length ? "posts.choose_grid" : "posts.no_grids")),
      ...grids.map((g) => h("option", { value: g.id, dataset: { code: g.code } }, `${g.name} (${g.code})`)));
    if (!(await loadPosts()) || unmounted) return;
    const keep = posts.find((p) => p.id === (editing?.id || chosen.post));
    if (keep) edit(keep);
    else if (editing) edit(null);
    else fillForm();
  };

  const onOnline = () => { showOffline(false); reload(); };
  const onOffline = () => showOffline(true);
  window.addEventListener("online", onOnline);
  window.addEventListener("offline", onOffline);
  showOffline(!navigator.onLine);
  fillForm();

  try {
    L = await loadLeaflet();
  } catch {
    mapBox.hidden = true;
  }
  if (L && !unmounted) {
    map = L.map(mapBox, { attributionControl: false, zoomSnap: 0.25 }).setView([0, 0], 1);
    layers = {
      grid: L.geoJSON(null, { interactive: false,
        style: { className: "grid-outline", color: "#1b6e20", weight: 3, fillOpacity: 0.05 } }).addTo(map),
      others: L.featureGroup().addTo(map),
      draft: L.circle([0, 0], { radius: DEFAULT_RADIUS, interactive: false, className: "post-draft",
        color: "#0b5cad", weight: 3, fillOpacity: 0.2 }),
      centre: L.circleMarker([0, 0], { radius: 6, interactive: false, className: "post-centre",
        color: "#fff", weight: 2, fillColor: "#b00020", fillOpacity: 1 }),
    };
    map.on("click", (event) => placeAt(event.latlng.lat, event.latlng.lng));
    // By keyboard: the arrow keys pan the map (Leaflet's own), Enter puts the point at its centre.
    mapBox.addEventListener("keydown", (event) => {
      if (event.key !== "Enter" && event.key !== " ") return;
      event.preventDefault();
      const centre = map.getCenter();
      placeAt(centre.lat, centre.lng);
    });
  }
  await reload();

  return () => {
    unmounted = true;
    window.removeEventListener("online", onOnline);
    window.removeEventListener("offline", onOffline);
    map?.remove();
  };
}
