// The supervisor's console (desktop): at a glance, from the synced store (so offline too),
// the counts of my region's cases, the reports waiting to be registered and the late
// cases; and the sync conflicts waiting for review (online).
import { authed } from "../app/api.js";
import { errorMessage } from "../app/i18n.js";
import * as store from "../app/store.js";
import { onCaseChange } from "../app/live.js";
import { syncSoon } from "../app/scheduler.js";
import { consoleDigest, DIGEST_LINKS } from "../app/cases.js";
import { formatTime, h, latestOnly } from "../app/ui/dom.js";
import { liveStatus } from "../app/ui/live-status.js";
import { notificationBell } from "../app/ui/notification-bell.js";
import { signOutButton } from "../app/ui/sign-out.js";
import { hasConsole } from "./cases.js";

async function conflicts() {
  try {
    return (await authed("/api/v1/sync/conflicts?per_page=50")).items;
  } catch {
    return null;  // offline, or not allowed: the section says so
  }
}

/** One open conflict with its two decisions; a refusal (e.g. the losing move is no longer
 * the user's to make) is said beside it, and a success redraws the list. */
function conflictItem(app, c, onResolved) {
  const { t } = app;
  const error = h("p", { class: "error", role: "alert", id: `conflict-error-${c.id}` });
  const decide = (decision) => async (event) => {
    const buttons = item.querySelectorAll("button");
    buttons.forEach((b) => { b.disabled = true; });
    error.replaceChildren();
    try {
      await authed(`/api/v1/sync/conflicts/${c.id}/resolve`, { method: "POST", body: { decision } });
      app.toast(t(`console.conflict_${decision}d`));
      onResolved();
    } catch (failure) {
      buttons.forEach((b) => { b.disabled = false; });
      error.textContent = errorMessage(failure);
      event.target.focus();
    }
  };
  const item = h("li", { dataset: { id: c.id } },
    h("strong", {}, `${t(`collection.${c.collection}`)} · ${c.field ? t(`field.${c.field}`) : t(`conflict.kind.${c.kind}`)}`),
    h("p", {}, t("console.conflict_values", { losing: JSON.stringify(c.losing_value),
      winning: JSON.stringify(c.winning_value) })),
    h("div", { class: "toolbar conflict-actions" },
      h("button", { type: "button", class: "inline", dataset: { decision: "restore" }, onclick: decide("restore") },
        t("console.conflict_restore")),
      h("button", { type: "button", class: "inline", dataset: { decision: "accept" }, onclick: decide("accept") },
        t("console.conflict_accept"))),
    error);
  return item;
}

// The home's day: the browser's own (the console is used in the city it watches).
const localDay = (iso) => new Date(iso).toLocaleDateString("sv-SE");

/** The counts at a glance, each leading to the case list filtered alike. */
function digestCounts(app, counts) {
  const { t } = app;
  return h("ul", { class: "digest", id: "case-digest" }, Object.entries(counts).map(([key, n]) => {
    const body = [h("strong", { class: "digest-count" }, String(n)), h("span", {}, t(`console.digest.${key}`))];
    const late = (key === "overdue" || key === "step_overdue") && n > 0;
    return h("li", { class: late ? "late" : "", dataset: { key } },
      DIGEST_LINKS[key] ? h("a", { href: DIGEST_LINKS[key] }, body) : h("div", {}, body));
  }));
}

/** A table of reports from the store; each opens its report page (which works offline). */
function reportTable(app, id, caption, reports, { now, steps = false, empty }) {
  const { t } = app;
  const lang = app.language();
  return h("table", { class: "table", id },
    h("caption", { class: "sr-only" }, caption),
    h("thead", {}, h("tr", {}, ["code", "description", "photos", "status", "reported_at", "deadline"]
      .map((k) => h("th", { scope: "col" }, t(`console.col.${k}`))))),
    h("tbody", {}, reports.length ? null : h("tr", {}, h("td", { colspan: 6, class: "hint" }, empty)),
      reports.map((r) => {
        // The late list shows a case late as a whole by its deadline, else by its step's.
        const wholeLate = Boolean(r.deadline_at && r.deadline_at < now);
        const due = steps && !wholeLate && r.step_deadline_at ? r.step_deadline_at : r.deadline_at;
        const late = Boolean(due && due < now);
        return h("tr", { class: late ? "overdue" : "", dataset: { id: r.id } },
          h("td", {}, h("a", { href: `#/reports/${r.id}` }, r.code || t("reports.no_code"))),
          h("td", {}, r.description || ""),
          h("td", { class: "count" }, String((r.photos || []).length)),
          h("td", {}, t(`status.${r.status || "reported"}`)),
          h("td", {}, formatTime(r.reported_at, lang)),
          h("td", { class: late ? "overdue" : "" }, formatTime(due, lang),
            !late ? null : h("span", { class: "badge overdue" },
              t(wholeLate ? "report.overdue" : "case.step_overdue"))));
      })));
}

/** The home's case part: counts, the street's inbox (waiting to be registered), the late. */
function digestParts(app, reports) {
  const { t } = app;
  const now = new Date().toISOString();
  const digest = consoleDigest(reports, now, localDay(now), localDay);
  return [
    h("h2", {}, t("console.cases"), ` (${reports.length})`),
    digestCounts(app, digest.counts),
    h("h3", {}, t("console.waiting"), ` (${digest.waiting.length})`),
    reportTable(app, "case-table", t("console.waiting"), digest.waiting,
      { now, empty: t(reports.length ? "console.none_waiting" : "console.no_cases") }),
    h("h3", {}, t("console.late"), ` (${digest.lateTotal})`),
    reportTable(app, "late-table", t("console.late"), digest.late,
      { now, steps: true, empty: t("console.none_late") }),
    digest.lateTotal > digest.late.length
      ? h("p", {}, h("a", { href: DIGEST_LINKS.overdue, id: "more-late" },
        t("console.more_late", { n: digest.lateTotal - digest.late.length }))) : null,
    h("p", {}, h("a", { class: "button secondary", href: DIGEST_LINKS.all, id: "all-cases" },
      t("console.all_cases", { n: reports.length }))),
  ];
}

export async function mount(root, _params, app) {
  const { t } = app;
  // Department staff have only the case list in the console.
  if (!hasConsole(app.session().user)) {
    app.navigate("/console/cases");
    return undefined;
  }
  // The cases part is redrawn on every sync; the conflicts part only when its conflicts
  // change, so that a refusal said by an item, and the keyboard's focus, stay put.
  // The head is drawn once, outside both, so the bell's open list survives a sync.
  const bell = notificationBell(app, { where: "console" });
  const live = liveStatus(app);
  const head = h("div", { class: "console-head" }, h("h1", {}, t("console.title")),
    live.element, bell.element,
    h("a", { class: "button secondary", href: "#/console/cases", id: "to-cases" },
      t("console.case_list")),
    h("a", { class: "button secondary", href: "#/console/map", id: "to-map" }, t("console.map")),
    h("a", { class: "button secondary", href: "#/console/attendance", id: "to-attendance" },
      t("console.attendance")),
    h("a", { class: "button secondary", href: "#/console/tracks", id: "to-tracks" },
      t("console.tracks")),
    h("a", { class: "button secondary", href: "#/console/posts", id: "to-posts" },
      t("console.posts")),
    h("a", { class: "button secondary", href: "#/console/assessment", id: "to-assessment" },
      t("console.assessment")),
    h("a", { class: "button secondary", href: "#/console/hall-stats", id: "to-hall-stats" },
      t("console.hall_stats")),
    app.session()?.user.roles?.includes("admin")
      ? h("a", { class: "button secondary", href: "#/console/audit", id: "to-audit" },
        t("console.audit")) : null,
    app.session()?.user.roles?.includes("admin")
      ? h("a", { class: "button secondary", href: "#/console/halls", id: "to-halls" },
        t("console.halls")) : null,
    app.session()?.user.roles?.includes("admin")
      ? h("a", { class: "button secondary", href: "#/console/hall", id: "to-hall" },
        t("console.hall")) : null,
    app.session()?.user.roles?.includes("admin")
      ? h("a", { class: "button secondary", href: "#/console/certificates", id: "to-certificates" },
        t("certconsole.title")) : null,
    signOutButton(app));
  const casesPart = h("div", {});
  const conflictsBody = h("div", { id: "conflicts", "aria-live": "polite" });
  const section = h("section", { id: "console", class: "wide" }, head, casesPart,
    h("h2", {}, t("console.conflicts")), conflictsBody);
  root.append(section);
  const items = new Map();
  let shown = null;
  const drawConflicts = (open) => {
    const key = open === null ? "offline" : open.map((c) => c.id).join();
    if (key === shown) return;
    shown = key;
    for (const id of items.keys()) if (!open?.some((c) => c.id === id)) items.delete(id);
    for (const c of open || []) if (!items.has(c.id)) items.set(c.id, conflictItem(app, c, () => render()));
    conflictsBody.replaceChildren(open === null ? h("p", { class: "hint" }, t("console.conflicts_offline"))
      : open.length ? h("ul", { class: "list", id: "conflict-list" }, open.map((c) => items.get(c.id)))
        : h("p", { class: "hint" }, t("console.no_conflicts")));
  };
  const render = latestOnly(async (isStale) => {
    const [reports, open] = await Promise.all([store.view(app.owner(), "reports"), conflicts()]);
    if (isStale()) return;
    drawConflicts(open);
    casesPart.replaceChildren(...digestParts(app, reports).filter(Boolean));
  });
  await render();
  // A sync that landed while the first render was reading is drawn now.
  const off = app.onChange(render);
  render();
  // A case changed elsewhere: sync now, and the synced store redraws the list.
  const offLive = onCaseChange(() => syncSoon());
  return () => { off(); bell.stop(); live.stop(); offLive(); };
}
