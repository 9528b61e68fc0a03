// A report (事项上报): make one, offline or not (#/reports/new), or edit one that is still
// open (#/reports/<id>/edit; the detail is report-detail.js). Saving writes to the outbox;
// the server adds the case code, grid, deadline and timeline on sync. The category is
// searched in the synced catalogue, the place is the GPS fix or where the worker dragged
// the pin, and photos are shrunk as they are picked and kept on the phone until uploaded.
import * as store from "../app/store.js";
import { categoryName } from "../app/categories.js";
import { changedFields } from "../app/merge.js";
import { MAX_PHOTOS, shrinkPhoto } from "../app/photos.js";
import { regionAt } from "../app/reports.js";
import { categoryPicker } from "../app/ui/category-picker.js";
import { h } from "../app/ui/dom.js";
import { pinMap } from "../app/ui/pin-map.js";

const POSITION_TIMEOUT_MS = 15_000;
const MAX_ACCURACY_M = 10_000;  // the server's limit: a coarser fix is sent as that

/** The fix's accuracy as the report stores it: metres, null with no fix. */
function accuracyOf(fix) {
  const metres = fix?.accuracy_m;
  return Number.isFinite(metres) ? Math.min(Math.max(metres, 0), MAX_ACCURACY_M) : null;
}

function locate() {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) return reject(new Error("unavailable"));
    navigator.geolocation.getCurrentPosition(resolve, reject,
      { enableHighAccuracy: true, timeout: POSITION_TIMEOUT_MS, maximumAge: 30_000 });
  });
}

/**
 * Up to nine photos from the camera or the gallery, shown as thumbnails with a remove
 * button. `photos()` waits for any still being shrunk and returns them in order.
 */
function photoPicker(t) {
  const picked = [];  // {blob, sha256, taken_at, url}
  let working = Promise.resolve();
  const list = h("ul", { class: "photo-list", id: "photo-list" });
  const status = h("p", { class: "hint", id: "photo-status", "aria-live": "polite" });
  const input = (id, capture) => h("input", { type: "file", id, class: "sr-only photo-input",
    accept: "image/*", capture, multiple: true });
  // `capture` opens the camera directly on phones; the second input reaches the gallery.
  const camera = input("photo", "environment");
  const gallery = input("photo-gallery", null);

  const render = (message = "") => {
    for (const el of [camera, gallery]) el.disabled = picked.length >= MAX_PHOTOS;
    list.replaceChildren(...picked.map((photo, i) => h("li", {},
      h("img", { src: photo.url, alt: t("report.photo_alt", { n: i + 1 }) }),
      h("button", { type: "button", class: "photo-remove", "aria-label": t("report.photo_remove", { n: i + 1 }),
        onclick: () => {
          URL.revokeObjectURL(photo.url);
          picked.splice(picked.indexOf(photo), 1);
          render();
        } }, "×"))));
    status.textContent = [t("report.photo_count", { n: picked.length, max: MAX_PHOTOS }), message]
      .filter(Boolean).join(" ");
  };

  const add = async (files) => {
    const room = MAX_PHOTOS - picked.length;
    let failed = 0;
    status.textContent = t("report.photo_processing");
    for (const file of files.slice(0, room)) {
      try {
        const photo = await shrinkPhoto(file);  // one at a time: a phone has little memory
        if (picked.some((p) => p.sha256 === photo.sha256)) continue;  // the same one twice
        picked.push({ ...photo, url: URL.createObjectURL(photo.blob) });
      } catch {
        failed += 1;
      }
    }
    render([files.length > room ? t("report.photo_too_many", { max: MAX_PHOTOS, extra: files.length - room }) : "",
      failed ? t("report.photo_failed", { n: failed }) : ""].filter(Boolean).join(" "));
  };
  const onPick = (event) => {
    const files = [...event.target.files];
    event.target.value = "";  // picking the same file again fires `change` again
    working = working.then(() => add(files));
  };
  camera.addEventListener("change", onPick);
  gallery.addEventListener("change", onPick);
  render();

  return {
    element: h("div", { class: "field" },
      h("span", { class: "label" }, t("report.photos")), list,
      h("div", { class: "photo-add" },
        camera, h("label", { for: "photo", class: "button secondary" }, t("report.take_photo")),
        gallery, h("label", { for: "photo-gallery", class: "button secondary" }, t("report.choose_photos"))),
      status),
    photos: async () => {
      await working;
      return [...picked];
    },
    release: () => picked.forEach((p) => URL.revokeObjectURL(p.url)),
  };
}

/**
 * The report's place: the GPS fix (with its accuracy circle) until the worker drags the pin
 * or taps the map; "use my location" goes back to the fix. `position()` is what is saved.
 */
function placePicker(app, regions) {
  const { t } = app;
  let fix = null;       // {lat, lon, accuracy_m}: the phone's own position
  let position = null;  // {lat, lon}: where the report is
  let adjusted = false;
  let locating = false;
  let failed = false;
  let map = null;
  let removed = false;

  const where = h("p", { id: "where", class: "hint", "aria-live": "polite" });
  const badge = h("span", { id: "where-adjusted", class: "badge", hidden: true }, t("report.adjusted"));
  const grid = h("p", { id: "where-grid", class: "hint" });
  const box = h("div", { id: "report-map", class: "map pin-map", role: "application",
    "aria-label": t("report.map_label") });
  const locateButton = h("button", { type: "button", class: "secondary", id: "locate" }, t("report.use_my_location"));

  const show = () => {
    const fixed = (n) => n.toFixed(5);
    if (!position) where.textContent = t(locating ? "report.locating" : failed ? "report.position_failed" : "report.no_position");
    else if (adjusted) where.textContent = t("report.at_adjusted", { lat: fixed(position.lat), lon: fixed(position.lon) });
    else where.textContent = t("report.at", { lat: fixed(position.lat), lon: fixed(position.lon),
      accuracy: fix?.accuracy_m ? Math.round(fix.accuracy_m) : "—" });
    badge.hidden = !adjusted;
    const region = position ? regionAt(regions, position.lat, position.lon) : null;
    grid.textContent = region ? t("report.in_region", { name: region.name }) : "";
  };

  const findMe = async ({ reset }) => {
    locating = true;
    failed = false;
    show();
    try {
      const { coords } = await locate();
      fix = { lat: coords.latitude, lon: coords.longitude, accuracy_m: coords.accuracy };
      // A fix that arrives after the worker placed the pin by hand leaves the pin alone.
      if (reset || !adjusted) {
        position = { lat: fix.lat, lon: fix.lon };
        adjusted = false;
        map?.place(position);
      }
      map?.showFix(fix);
    } catch {
      failed = true;
    }
    locating = false;
    show();
  };
  locateButton.addEventListener("click", () => findMe({ reset: true }));

  const moved = (point) => {
    position = point;
    adjusted = true;
    show();
  };
  // Not awaited: the form works at once; the map follows when Leaflet has loaded.
  pinMap(box, { at: position, regions, draggable: true, label: t("report.pin_label"), onMove: moved })
    .then((drawn) => {
      if (removed) return drawn.remove();
      map = drawn;
      if (position) map.place(position);
      if (fix) map.showFix(fix);
    }).catch(() => { box.hidden = true; });
  show();

  return {
    element: h("div", { class: "field" }, h("span", { class: "label" }, t("report.location")),
      where, badge, grid, box, h("p", { class: "hint" }, t("report.drag_hint")), locateButton),
    start: () => findMe({ reset: false }),
    position: () => position,
    fix: () => fix,
    /** True when the pin was moved off the fix by hand (until "use my location" again). */
    adjusted: () => adjusted,
    focus: () => locateButton.focus(),
    remove: () => {
      removed = true;
      map?.remove();
    },
  };
}

export async function mount(root, { id }, app) {
  const { t } = app;
  const owner = app.owner();
  const existing = id ? await store.viewOne(owner, "reports", id) : null;
  if (id && !existing) {
    root.append(h("section", { class: "narrow" }, h("h1", {}, t("report.missing")),
      h("a", { class: "button secondary", href: "#/reports" }, t("reports.title"))));
    return;
  }
  return existing ? mountEdit(root, existing, app) : mountNew(root, app);
}

async function mountNew(root, app) {
  const { t } = app;
  const owner = app.owner();
  const [categories, regions] = await Promise.all([store.view(owner, "categories"), store.view(owner, "regions")]);
  const picker = categoryPicker(app, categories);
  const description = h("textarea", { id: "description", name: "description", rows: 4, maxlength: 2000 });
  const place = placePicker(app, regions.filter((r) => r.level === "grid"));
  const photos = photoPicker(t);
  const error = h("p", { class: "error", role: "alert" });
  const save = h("button", { type: "submit", class: "primary", id: "save" }, t("report.save"));

  const form = h("form", { id: "report-form", novalidate: true },
    picker.element,
    h("label", { for: "description" }, t("report.description")), description,
    place.element, photos.element, error, save);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    const category = picker.value();
    if (!category) {
      error.textContent = t("report.need_category");
      return picker.focus();
    }
    const position = place.position();
    if (!position) {
      error.textContent = t("report.need_position");
      return place.focus();
    }
    save.disabled = true;
    const picked = await photos.photos();
    const reportId = crypto.randomUUID();
    const fix = place.fix();
    // The bytes first: every hash the outbox names is then already on the phone, and a
    // reload at any point after this loses no photo (the sync client sends them later).
    for (const photo of picked) await store.putBlob(owner, photo.sha256, photo.blob);
    await app.mutate("reports", reportId, "create", {
      category, description: description.value.trim(), lat: position.lat, lon: position.lon,
      // How good the place is, for whoever verifies the case: the fix's accuracy and
      // whether the pin was placed by hand.
      accuracy_m: accuracyOf(fix), location_adjusted: place.adjusted(),
      photos: picked.map((p) => p.sha256), reported_at: new Date().toISOString() });
    // A photo keeps where the phone was when it was taken, even if the pin was moved.
    const taken = fix || position;
    for (const photo of picked) {
      await app.mutate("photos", crypto.randomUUID(), "create", {
        sha256: photo.sha256, record_collection: "reports", record_id: reportId,
        taken_at: photo.taken_at, lat: taken.lat, lon: taken.lon });
    }
    app.toast(t("report.saved_offline"));
    app.navigate("/reports");
  });

  root.append(h("section", { class: "narrow", id: "report-new" }, h("h1", {}, t("report.title_new")), form));
  place.start();
  // Right after the first sign-in the catalogue may still be on its way: fill it in when it lands.
  const stop = app.onChange(async () => picker.update(await store.view(owner, "categories")));
  return () => {
    stop();
    photos.release();
    place.remove();
  };
}

async function mountEdit(root, report, app) {
  const { t } = app;
  const owner = app.owner();
  const category = (await store.view(owner, "categories")).find((c) => c.code === report.category);
  const description = h("textarea", { id: "description", name: "description", rows: 4, maxlength: 2000 });
  description.value = report.description || "";
  const save = h("button", { type: "submit", class: "primary", id: "save" }, t("report.save_changes"));
  const form = h("form", { id: "report-form", novalidate: true },
    h("span", { class: "label" }, t("report.category")),
    h("p", { id: "category-name" }, categoryName(category, app.language()) || report.category),
    h("label", { for: "description" }, t("report.description")), description, save,
    h("a", { class: "button secondary", href: `#/reports/${report.id}` }, t("report.cancel_edit")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const fields = changedFields(report, { description: description.value });
    if (Object.keys(fields).length) await app.mutate("reports", report.id, "update", fields);
    app.toast(t("report.saved_offline"));
    app.navigate(`/reports/${report.id}`);
  });
  root.append(h("section", { class: "narrow", id: "report-edit" },
    h("h1", {}, t("report.title_change")), h("p", { class: "hint" }, report.code || t("reports.no_code")), form));
}
