// A report's saved photos: the phone's own copy, else the server's thumbnail, else
// "photo pending" while the bytes have reached no server yet (or "unavailable" offline).
// Used by the report detail, on the phone and from the console.
import * as store from "../store.js";
import { photoSource } from "../photos.js";
import { h } from "./dom.js";

/** { element, refresh(), release() }; refresh() again when synced data changes. */
export function photoGallery(app, report) {
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
