// My reports (我的事项): everything I reported or may see, newest first, from IndexedDB. Each
// card says the status (colour and words), case code, category, time, photos and whether
// it still waits to sync; chips narrow the list to open or closed cases.
import * as store from "../app/store.js";
import { categoryName } from "../app/categories.js";
import { filterReports, isOverdue } from "../app/reports.js";
import { formatTime, h, latestOnly } from "../app/ui/dom.js";
import { statusChip } from "../app/ui/status-chip.js";

const FILTERS = ["all", "open", "closed"];
let filter = "all";  // kept while the app is open: back from a detail, the same list

function card(app, report, categories) {
  const { t } = app;
  const category = categories.get(report.category);
  const photos = (report.photos || []).length;
  return h("li", {}, h("a", { href: `#/reports/${report.id}`, class: "row report-card", dataset: { id: report.id } },
    h("span", { class: "card-head" }, statusChip(t, report.status),
      h("span", { class: "code" }, report.code || t("reports.no_code"))),
    h("span", { class: "title" }, report.description || t("reports.no_description")),
    h("span", { class: "meta" }, categoryName(category, app.language()) || report.category,
      " · ", formatTime(report.reported_at, app.language()),
      photos ? [" · ", h("span", { class: "photo-count" }, t("reports.photo_n", { n: photos }))] : null),
    h("span", { class: "card-badges" },
      report._pending ? h("span", { class: "badge pending" }, t("reports.pending")) : null,
      isOverdue(report) ? h("span", { class: "badge overdue" }, t("report.overdue")) : null)));
}

export async function mount(root, _params, app) {
  const { t } = app;
  const section = h("section", { id: "reports" });
  root.append(section);
  const render = latestOnly(async (isStale) => {
    const [all, categories] = await Promise.all([store.view(app.owner(), "reports"),
      store.view(app.owner(), "categories")]);
    all.sort((a, b) => (a.reported_at < b.reported_at ? 1 : -1));
    const reports = filterReports(all, filter);
    const byCode = new Map(categories.map((c) => [c.code, c]));
    if (isStale()) return;
    section.replaceChildren(
      h("h1", {}, t("reports.title")),
      h("a", { class: "button primary", href: "#/reports/new" }, t("reports.new")),
      h("div", { class: "chips", role: "group", "aria-label": t("reports.filter") }, FILTERS.map((name) =>
        h("button", { type: "button", class: "chip", id: `filter-${name}`, "aria-pressed": String(filter === name),
          onclick: () => { filter = name; render(); } },
        t(`reports.filter_${name}`), ` (${filterReports(all, name).length})`))),
      reports.length ? h("ul", { class: "list cards", id: "report-list" }, reports.map((r) => card(app, r, byCode)))
        : h("p", { class: "hint", id: "report-list-empty" }, t(all.length ? "reports.none_in_filter" : "reports.empty")));
  });
  await render();
  // A sync that landed while the first render was reading is drawn now.
  const off = app.onChange(render);
  render();
  return off;
}
