// A report (事项上报): make one, offline or not, or look at and edit one.
// Saving writes to the outbox; the server adds the case code, grid and deadline on sync.
// Photos are shrunk as they are picked and kept on the phone until their bytes are uploaded.
import * as store from "../app/store.js";
import { changedFields } from "../app/merge.js";
import { MAX_PHOTOS, photoSource, shrinkPhoto } from "../app/photos.js";
import { formatTime, h } from "../app/ui/dom.js";

const POSITION_TIMEOUT_MS = 15_000;

function categoryOptions(categories, selected, app) {
  const label = (c) => (app.language() === "en" && c.name_en ? c.name_en : c.name);
  const parents = new Set(categories.map((c) => c.parent_code).filter(Boolean));
  const groups = new Map();
  for (const c of categories) {
    if (parents.has(c.code)) continue;  // pick a concrete kind, not a heading
    const parent = categories.find((p) => p.code === c.parent_code);
    const key = parent ? label(parent) : "";
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(c);
  }
  const option = (c) => h("option", { value: c.code, selected: c.code === selected }, label(c));
  return [...groups.entries()].map(([name, items]) =>
    name ? h("optgroup", { label: name }, items.map(option)) : items.map(option));
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

/** A report's photos: the phone's copy, the server's thumbnail, or "photo pending". */
function photoGallery(app, report) {
  const { t } = app;
  const owner = app.owner();
  const list = h("ul", { class: "photo-list", id: "report-photos" });
  let urls = [];
  let generation = 0;
  const refresh = async () => {
    const mine = ++generation;
    const records = new Map();
    for (const record of await store.view(owner, "photos")) {
      if (record.record_id !== report.id) continue;
      if (!records.get(record.sha256)?.has_blob) records.set(record.sha256, record);
    }
    const sources = await Promise.all((report.photos || []).map(
      (sha) => photoSource(owner, sha, records.get(sha))));
    const fresh = sources.map((s) => s.url).filter(Boolean);
    if (mine !== generation) return fresh.forEach((url) => URL.revokeObjectURL(url));
    urls.forEach((url) => URL.revokeObjectURL(url));
    urls = fresh;
    list.replaceChildren(...sources.map((source, i) => h("li", { dataset: { state: source.state || "shown" } },
      source.url ? h("img", { src: source.url, alt: t("report.photo_alt", { n: i + 1 }) })
        : h("span", { class: "photo-placeholder" },
          t(source.state === "pending" ? "report.photo_pending" : "report.photo_unavailable")))));
  };
  return {
    element: h("div", { class: "field" }, h("span", { class: "label" }, t("report.photos_saved")),
      (report.photos || []).length ? list : h("p", { class: "hint" }, t("report.no_photos"))),
    refresh,
    release: () => {
      generation += 1;
      urls.forEach((url) => URL.revokeObjectURL(url));
    },
  };
}

export async function mount(root, { id }, app) {
  const { t } = app;
  const owner = app.owner();
  const categories = await store.view(owner, "categories");
  const existing = id ? await store.viewOne(owner, "reports", id) : null;
  if (id && !existing) {
    root.append(h("section", { class: "narrow" }, h("h1", {}, t("report.missing")),
      h("a", { class: "button secondary", href: "#/reports" }, t("reports.title"))));
    return;
  }
  let position = existing ? { lat: existing.lat, lon: existing.lon } : null;

  const category = h("select", { id: "category", name: "category", required: true, disabled: !!existing },
    h("option", { value: "" }, t("report.choose_category")),
    categoryOptions(categories, existing?.category, app));
  const description = h("textarea", { id: "description", name: "description", rows: 4, maxlength: 2000 });
  description.value = existing?.description || "";
  const where = h("p", { id: "where", class: "hint", "aria-live": "polite" });
  const locateButton = h("button", { type: "button", class: "secondary", id: "locate" }, t("report.locate"));
  const error = h("p", { class: "error", role: "alert" });
  const save = h("button", { type: "submit", class: "primary", id: "save" }, t(existing ? "report.save_changes" : "report.save"));

  const showWhere = (accuracy) => {
    where.textContent = position
      ? t("report.at", { lat: position.lat.toFixed(5), lon: position.lon.toFixed(5),
        accuracy: accuracy ? Math.round(accuracy) : "—" })
      : t("report.no_position");
  };
  const findMe = async () => {
    where.textContent = t("report.locating");
    try {
      const { coords } = await locate();
      position = { lat: coords.latitude, lon: coords.longitude };
      showWhere(coords.accuracy);
    } catch {
      showWhere();
      if (!position) where.textContent = t("report.position_failed");
    }
  };
  locateButton.addEventListener("click", findMe);
  const picker = existing ? null : photoPicker(t);
  const gallery = existing ? photoGallery(app, existing) : null;

  const form = h("form", { id: "report-form", novalidate: true },
    h("label", { for: "category" }, t("report.category")), category,
    h("label", { for: "description" }, t("report.description")), description,
    existing ? null : h("div", { class: "field" }, h("span", { class: "label" }, t("report.location")), where, locateButton),
    picker?.element, gallery?.element, error, save);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    if (existing) {
      const fields = changedFields(existing, { description: description.value });
      if (Object.keys(fields).length) await app.mutate("reports", id, "update", fields);
      app.toast(t("report.saved_offline"));
      app.navigate("/reports");
      return;
    }
    if (!category.value) {
      error.textContent = t("report.need_category");
      return category.focus();
    }
    if (!position) {
      error.textContent = t("report.need_position");
      return locateButton.focus();
    }
    save.disabled = true;
    const photos = await picker.photos();
    const reportId = crypto.randomUUID();
    // The bytes first: every hash the outbox names is then already on the phone, and a
    // reload at any point after this loses no photo (the sync client sends them later).
    for (const photo of photos) await store.putBlob(owner, photo.sha256, photo.blob);
    await app.mutate("reports", reportId, "create", {
      category: category.value, description: description.value.trim(), lat: position.lat,
      lon: position.lon, photos: photos.map((p) => p.sha256), reported_at: new Date().toISOString() });
    for (const photo of photos) {
      await app.mutate("photos", crypto.randomUUID(), "create", {
        sha256: photo.sha256, record_collection: "reports", record_id: reportId,
        taken_at: photo.taken_at, lat: position.lat, lon: position.lon });
    }
    app.toast(t("report.saved_offline"));
    app.navigate("/reports");
  });

  const facts = existing ? h("dl", { class: "card facts" },
    h("dt", {}, t("report.code")), h("dd", { id: "report-code" }, existing.code || t("reports.no_code")),
    h("dt", {}, t("report.status")), h("dd", { id: "report-status" }, t(`status.${existing.status || "reported"}`)),
    existing.deadline_at ? [h("dt", {}, t("report.deadline")),
      h("dd", {}, formatTime(existing.deadline_at, app.language()))] : null,
    existing._pending ? [h("dt", {}, t("report.sync")), h("dd", {}, t("reports.pending"))] : null) : null;

  root.append(h("section", { class: "narrow", id: existing ? "report-detail" : "report-new" },
    h("h1", {}, t(existing ? "report.title_edit" : "report.title_new")), facts, form));
  if (!existing) {
    showWhere();
    findMe();
  }
  gallery?.refresh();
  // Right after the first sign-in the catalogue may still be on its way: fill it in when it lands.
  const stop = app.onChange(async () => {
    gallery?.refresh();  // a photo's bytes may have arrived
    if (category.options.length > 1) return;
    category.append(...[categoryOptions(await store.view(owner, "categories"), null, app)].flat(Infinity));
  });
  return () => {
    stop();
    picker?.release();
    gallery?.release();
  };
}
