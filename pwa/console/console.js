// The supervisor's console (desktop): cases in my region from the synced store, and the
// sync conflicts waiting for review (online).
import { authed } from "../app/api.js";
import * as store from "../app/store.js";
import { formatTime, h, latestOnly } from "../app/ui/dom.js";
import { signOutButton } from "../app/ui/sign-out.js";

async function conflicts() {
  try {
    return (await authed("/api/v1/sync/conflicts?per_page=50")).items;
  } catch {
    return null;  // offline, or not allowed: the section says so
  }
}

export async function mount(root, _params, app) {
  const { t } = app;
  const section = h("section", { id: "console", class: "wide" });
  root.append(section);
  const render = latestOnly(async (isStale) => {
    const [reports, open] = await Promise.all([store.view(app.owner(), "reports"), conflicts()]);
    reports.sort((a, b) => (a.reported_at < b.reported_at ? 1 : -1));
    const now = new Date().toISOString();
    if (isStale()) return;
    section.replaceChildren(
      h("div", { class: "console-head" }, h("h1", {}, t("console.title")),
        h("a", { class: "button secondary", href: "#/console/attendance", id: "to-attendance" },
          t("console.attendance")),
        h("a", { class: "button secondary", href: "#/console/tracks", id: "to-tracks" },
          t("console.tracks")),
        h("a", { class: "button secondary", href: "#/console/posts", id: "to-posts" },
          t("console.posts")),
        app.session()?.user.roles?.includes("admin")
          ? h("a", { class: "button secondary", href: "#/console/audit", id: "to-audit" },
            t("console.audit")) : null,
        signOutButton(app)),
      h("h2", {}, t("console.cases"), ` (${reports.length})`),
      h("table", { class: "table", id: "case-table" },
        h("caption", { class: "sr-only" }, t("console.cases")),
        h("thead", {}, h("tr", {}, ["code", "description", "photos", "status", "reported_at", "deadline"]
          .map((k) => h("th", { scope: "col" }, t(`console.col.${k}`))))),
        h("tbody", {}, reports.length ? null : h("tr", {}, h("td", { colspan: 6, class: "hint" },
          t("console.no_cases"))), reports.map((r) => h("tr", { class: r.deadline_at && r.deadline_at < now
          && !["closed", "cancelled"].includes(r.status) ? "overdue" : "" },
        h("td", {}, h("a", { href: `#/reports/${r.id}` }, r.code || t("reports.no_code"))),
        h("td", {}, r.description || ""),
        h("td", { class: "count" }, String((r.photos || []).length)),
        h("td", {}, t(`status.${r.status || "reported"}`)),
        h("td", {}, formatTime(r.reported_at, app.language())),
        h("td", {}, formatTime(r.deadline_at, app.language())))))),
      h("h2", {}, t("console.conflicts")),
      open === null ? h("p", { class: "hint" }, t("console.conflicts_offline"))
        : open.length ? h("ul", { class: "list", id: "conflict-list" }, open.map((c) => h("li", {},
          h("strong", {}, `${t(`collection.${c.collection}`)} · ${c.field ? t(`field.${c.field}`) : t(`conflict.kind.${c.kind}`)}`),
          h("p", {}, t("console.conflict_values", { losing: JSON.stringify(c.losing_value),
            winning: JSON.stringify(c.winning_value) })))))
          : h("p", { class: "hint" }, t("console.no_conflicts")));
  });
  await render();
  // A sync that landed while the first render was reading is drawn now.
  const off = app.onChange(render);
  render();
  return off;
}
