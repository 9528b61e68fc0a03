// The audit trail in the console (审计日志), administrators only: who signed in or failed to,
// who was locked out, who changed an account, a role or a password, who restored a sync
// conflict. Newest first, filtered by area, user and day, a page at a time. Online only: the
// trail lives on the server.
import { authed } from "../app/api.js";
import { formatTime, h } from "../app/ui/dom.js";
import { errorMessage } from "../app/i18n.js";

export const AREAS = ["auth", "account", "case", "hall", "certificate", "sync"];
export const PER_PAGE = 50;

/** The query string for a filter form's values: empty fields left out; "from" and "to" are
 * whole days in the browser's own zone (the console runs where the admin sits). */
export function auditQuery({ area = "", actor = "", from = "", to = "" }, page = 1) {
  const params = new URLSearchParams({ page: String(page), per_page: String(PER_PAGE) });
  if (area) params.set("action", area);
  if (actor.trim()) params.set("actor", actor.trim().toLowerCase());
  if (from) params.set("since", new Date(`${from}T00:00:00`).toISOString());
  if (to) {
    const next = new Date(`${to}T00:00:00`);
    next.setDate(next.getDate() + 1);  // "to" is the last day shown, whole
    params.set("until", next.toISOString());
  }
  return params.toString();
}

/** The one line that says what changed, from an event's details: text only, never markup. */
export function describeDetails(event, t) {
  const d = event.details || {};
  switch (event.action) {
    case "auth.sign_in_failed":
      return t(`audit.reason.${d.reason}`) + (d.known_account === false ? ` · ${t("audit.unknown_account")}` : "");
    case "auth.locked_out":
      return t("audit.locked", { key: t(`audit.key.${d.key}`), seconds: d.seconds, failures: d.failures });
    case "account.roles_changed":
      return `${(d.from || []).map((r) => t(`role.${r}`)).join("、")} → ${(d.to || []).map((r) => t(`role.${r}`)).join("、")}`;
    case "account.created":
      return `${d.username} · ${(d.roles || []).map((r) => t(`role.${r}`)).join("、")}`;
    case "account.updated":
      return Object.entries(d).map(([field, { from, to }]) => `${t(`audit.field.${field}`)}: ${from ?? ""} → ${to ?? ""}`).join("; ");
    case "case.action":
      return `${d.code || ""} · ${t(`status.${d.from}`)} → ${t(`status.${d.to}`)} (${t(`case.action.${d.action}`)})`;
    case "sync.conflict_restored":
    case "sync.conflict_accepted":
      return `${t(`collection.${d.collection}`)} · ${d.field ? t(`field.${d.field}`) : t(`conflict.kind.${d.kind}`)}`;
    case "hall.alert_acknowledged":
      return `${t(`hallmgr.kind.${d.kind}`)} · ${d.subject || ""}`;
    case "hall.followup_recorded":
      return `${d.number || ""} · ${t("hallmgr.score", { score: d.score })}`;
    case "hall.created":
    case "hall.service_added":
    case "hall.service_removed":
      return [d.hall, d.code, d.name].filter(Boolean).join(" · ");
    case "hall.window_added":
    case "hall.window_updated":
    case "hall.window_removed":
      return [t("audit.hall_window", { number: d.number }), ...(d.services || [])].join(" · ");
    case "certificate.issuer_created":
    case "certificate.key_rotated":
      return [d.code, d.retired_kid && `${d.retired_kid} →`, d.kid].filter(Boolean).join(" ");
    case "certificate.type_saved":
      return d.code || "";
    case "certificate.issued":
      return [d.type, d.number, d.holder].filter(Boolean).join(" · ");
    case "certificate.imported":
      return t("audit.certificate_imported", { count: d.issued ?? 0 });
    case "certificate.status_changed":
      return `${d.type || ""} ${d.number || ""} · ${d.from} → ${d.to}${d.reason ? ` (${d.reason})` : ""}`;
    case "hall.managers_set":
      return t("audit.hall_managers", { added: (d.added || []).length, removed: (d.removed || []).length });
    case "hall.slot_added":
    case "hall.slot_removed":
      return `${d.service || ""} · ${d.starts_at ? new Date(d.starts_at).toLocaleString("zh-CN", { hour12: false }) : ""}`;
    default:
      return "";
  }
}

function filterForm(t, onSubmit) {
  const area = h("select", { id: "audit-area", name: "area" },
    h("option", { value: "" }, t("audit.all_areas")),
    AREAS.map((a) => h("option", { value: a }, t(`audit.area.${a}`))));
  const actor = h("input", { id: "audit-actor", name: "actor", type: "search", autocomplete: "off",
    maxlength: 64, placeholder: t("audit.actor_placeholder") });
  const from = h("input", { id: "audit-from", name: "from", type: "date" });
  const to = h("input", { id: "audit-to", name: "to", type: "date" });
  const form = h("form", { class: "toolbar", id: "audit-filters", role: "search" },
    h("label", { for: "audit-area" }, t("audit.area_label")), area,
    h("label", { for: "audit-actor" }, t("audit.actor")), actor,
    h("label", { for: "audit-from" }, t("audit.from")), from,
    h("label", { for: "audit-to" }, t("audit.to")), to,
    h("button", { type: "submit", class: "inline", id: "audit-apply" }, t("audit.apply")));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    onSubmit({ area: area.value, actor: actor.value, from: from.value, to: to.value });
  });
  return form;
}

function eventRow(event, app) {
  const { t } = app;
  return h("tr", { dataset: { action: event.action } },
    h("td", { class: "time" }, formatTime(event.at, app.language())),
    h("td", {}, t(`audit.action.${event.action}`)),
    h("td", {}, event.actor_name || "—"),
    h("td", {}, event.target_type ? `${t(`audit.target.${event.target_type}`)} ${event.target_id.slice(0, 8)}` : ""),
    h("td", {}, describeDetails(event, t)),
    h("td", { class: "meta" }, event.address || ""),
    h("td", { class: "meta" }, event.request_id || ""));
}

export async function mount(root, _params, app) {
  const { t } = app;
  let filters = {};
  let page = 1;
  const body = h("div", { id: "audit-body", "aria-live": "polite" });

  const load = async () => {
    body.replaceChildren(h("p", { class: "loading" }, t("audit.loading")));
    let result;
    try {
      result = await authed(`/api/v1/audit?${auditQuery(filters, page)}`);
    } catch (error) {
      body.replaceChildren(h("p", { class: "hint", role: "alert" },
        navigator.onLine ? errorMessage(error, "audit.failed") : t("audit.offline")));
      return;
    }
    const pager = h("div", { class: "toolbar pager" },
      h("button", { type: "button", class: "inline", id: "audit-newer", disabled: page <= 1 },
        t("audit.newer")),
      h("span", { id: "audit-page" }, t("audit.page", { page: result.page, pages: result.pages, total: result.total })),
      h("button", { type: "button", class: "inline", id: "audit-older", disabled: page >= result.pages },
        t("audit.older")));
    pager.querySelector("#audit-newer").addEventListener("click", () => { page -= 1; load(); });
    pager.querySelector("#audit-older").addEventListener("click", () => { page += 1; load(); });
    body.replaceChildren(
      h("div", { class: "scroll" }, h("table", { class: "table", id: "audit-table" },
        h("caption", { class: "sr-only" }, t("audit.title")),
        h("thead", {}, h("tr", {}, ["at", "action", "actor", "target", "details", "address", "request"]
          .map((k) => h("th", { scope: "col" }, t(`audit.col.${k}`))))),
        h("tbody", {}, result.items.length ? result.items.map((e) => eventRow(e, app))
          : h("tr", {}, h("td", { colspan: 7, class: "hint" }, t("audit.none")))))),
      pager);
  };

  root.append(h("section", { id: "audit-console", class: "wide" },
    h("div", { class: "console-head" }, h("h1", {}, t("audit.title")),
      h("a", { class: "button secondary", href: "#/console" }, t("console.title"))),
    filterForm(t, (values) => { filters = values; page = 1; load(); }),
    body));
  await load();
}
