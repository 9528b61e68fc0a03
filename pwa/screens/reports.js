// My reports (事项): everything I reported or may see, newest first, with pending ones marked.
import * as store from "../app/store.js";
import { formatTime, h, latestOnly } from "../app/ui/dom.js";

export async function mount(root, _params, app) {
  const { t } = app;
  const section = h("section", { id: "reports" });
  root.append(section);
  const render = latestOnly(async (isStale) => {
    const reports = (await store.view(app.owner(), "reports"))
      .sort((a, b) => (a.reported_at < b.reported_at ? 1 : -1));
    if (isStale()) return;
    section.replaceChildren(
      h("h1", {}, t("reports.title")),
      h("a", { class: "button primary", href: "#/reports/new" }, t("reports.new")),
      reports.length ? h("ul", { class: "list cards", id: "report-list" }, reports.map((r) =>
        h("li", {}, h("a", { href: `#/reports/${r.id}`, class: "row", dataset: { id: r.id } },
          h("span", { class: "title" }, r.description || t("reports.no_description")),
          h("span", { class: "meta" },
            r.code || t("reports.no_code"), " · ", t(`status.${r.status || "reported"}`), " · ",
            formatTime(r.reported_at, app.language())),
          r._pending ? h("span", { class: "badge" }, t("reports.pending")) : null))))
        : h("p", { class: "hint" }, t("reports.empty")));
  });
  await render();
  return app.onChange(render);
}
