// The case list (案件列表) in the console: the command centre's cases of its region, and a
// department's cases dispatched to it (its staff's home). Online: the API filters and pages
// on the server. Filters live in the hash, so "back" from a case returns to the same page.
import { authed, authedAll } from "../app/api.js";
import { caseQuery, casesHash, filtersFromQuery, mainClasses, PER_PAGE, STATUSES } from "../app/cases.js";
import { categoryName } from "../app/categories.js";
import { errorMessage } from "../app/i18n.js";
import * as store from "../app/store.js";
import { formatTime, h } from "../app/ui/dom.js";
import { notificationBell } from "../app/ui/notification-bell.js";
import { signOutButton } from "../app/ui/sign-out.js";
import { statusChip } from "../app/ui/status-chip.js";

/** Supervisors and admins have the whole console; department staff only the cases. */
export const hasConsole = (user) => (user?.roles || []).some((r) => ["supervisor", "admin"].includes(r));

/** Departments by id (names for the table and the dispatch form); empty when offline. */
export async function departmentsById() {
  try {
    return new Map((await authedAll("/api/v1/departments?")).map((d) => [d.id, d]));
  } catch {
    return new Map();
  }
}

/** Who has the case now: its department, a grid worker it went back to, or nobody yet. */
export function holderText(t, caseData, departments, workers = new Map()) {
  if (caseData.department_id) return departments.get(caseData.department_id)?.name || t("case.department_unknown");
  if (caseData.assignee_id) {
    const worker = workers.get(caseData.assignee_id);
    return worker ? t("case.assignee_named", { name: worker.display_name || worker.username }) : t("case.assignee_worker");
  }
  return "—";
}

function filterForm(app, filters, { classes, departments, showDepartments }, onSubmit) {
  const { t } = app;
  const lang = app.language();
  const statuses = STATUSES.map((status) => h("div", { class: "check" },
    h("input", { type: "checkbox", id: `cases-status-${status}`, name: "status", value: status,
      checked: filters.status.includes(status) }),
    h("label", { for: `cases-status-${status}` }, t(`status.${status}`))));
  const overdue = h("input", { type: "checkbox", id: "cases-overdue", name: "overdue", checked: filters.overdue });
  const category = h("select", { id: "cases-category", name: "category" },
    h("option", { value: "" }, t("cases.all_categories")),
    classes.map((c) => h("option", { value: c.code, selected: c.code === filters.category }, categoryName(c, lang))));
  const department = showDepartments ? h("select", { id: "cases-department", name: "department_id" },
    h("option", { value: "" }, t("cases.all_departments")),
    [...departments.values()].map((d) => h("option", { value: d.id, selected: d.id === filters.department_id }, d.name)))
    : null;
  const q = h("input", { id: "cases-q", name: "q", type: "search", autocomplete: "off", maxlength: 40,
    value: filters.q, placeholder: t("cases.q_placeholder") });
  const form = h("form", { id: "cases-filters", role: "search", class: "case-filters" },
    h("fieldset", { class: "status-filter" }, h("legend", {}, t("cases.status_label")), statuses),
    h("div", { class: "toolbar" },
      h("div", { class: "check" }, overdue, h("label", { for: "cases-overdue" }, t("cases.overdue_only"))),
      h("label", { for: "cases-category" }, t("cases.category")), category,
      department ? [h("label", { for: "cases-department" }, t("cases.department")), department] : null,
      h("label", { for: "cases-q" }, t("cases.q")), q,
      h("button", { type: "submit", class: "inline", id: "cases-apply" }, t("cases.apply")),
      h("button", { type: "button", class: "inline", id: "cases-clear" }, t("cases.clear"))));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    onSubmit({
      status: statuses.map((d) => d.querySelector("input")).filter((i) => i.checked).map((i) => i.value),
      overdue: overdue.checked, category: category.value, department_id: department?.value || "",
      q: q.value, page: 1,
    });
  });
  form.querySelector("#cases-clear").addEventListener("click", () => {
    form.reset();
    for (const input of form.querySelectorAll("input[type=checkbox]")) input.checked = false;
    q.value = "";
    category.value = "";
    if (department) department.value = "";
    form.requestSubmit();
  });
  return form;
}

function caseRow(app, c, names) {
  const { t } = app;
  const lang = app.language();
  const href = `#/console/cases/${c.id}`;
  const row = h("tr", { class: c.overdue ? "overdue" : "", dataset: { id: c.id, status: c.status } },
    h("td", {}, h("a", { href, class: "case-code" }, c.code || t("reports.no_code"))),
    h("td", {}, categoryName(names.categories.get(c.category), lang) || c.category),
    h("td", {}, statusChip(t, c.status)),
    h("td", {}, t(`case.tier.${c.tier || "street"}`)),
    h("td", {}, holderText(t, c, names.departments)),
    h("td", { class: "time" }, formatTime(c.reported_at, lang)),
    h("td", { class: c.overdue ? "time deadline overdue" : "time deadline" }, formatTime(c.deadline_at, lang),
      c.overdue ? h("span", { class: "badge overdue" }, t("report.overdue"))
        : c.step_overdue ? h("span", { class: "badge overdue step-overdue", title: t(`case.step.${c.step}`) },
          t("case.step_overdue")) : null));
  // The whole row opens the case for a mouse; the code's link is the keyboard's way in.
  row.addEventListener("click", (e) => {
    if (!e.target.closest("a")) app.navigate(href.slice(1));
  });
  return row;
}

export async function mount(root, params, app) {
  const { t } = app;
  const user = app.session().user;
  let filters = filtersFromQuery(params.query);
  const [categories, departments] = await Promise.all([store.view(app.owner(), "categories"), departmentsById()]);
  const names = { categories: new Map(categories.map((c) => [c.code, c])), departments };
  const body = h("div", { id: "cases-body", "aria-live": "polite" });
  let unmounted = false;

  const load = async () => {
    // The address says which page of which filters: "back" from a case returns here.
    history.replaceState(null, "", casesHash(filters));
    body.replaceChildren(h("p", { class: "loading" }, t("cases.loading")));
    let result;
    try {
      result = await authed(`/api/v1/cases?${caseQuery(filters, PER_PAGE)}`);
    } catch (error) {
      if (unmounted) return;
      body.replaceChildren(h("p", { class: "error", role: "alert", id: "cases-error" },
        navigator.onLine ? errorMessage(error) : t("cases.offline")));
      return;
    }
    if (unmounted) return;
    const pager = h("div", { class: "toolbar pager" },
      h("button", { type: "button", class: "inline", id: "cases-prev", disabled: filters.page <= 1 }, t("cases.prev")),
      h("span", { id: "cases-page" }, t("cases.page", { page: result.page, pages: Math.max(result.pages, 1), total: result.total })),
      h("button", { type: "button", class: "inline", id: "cases-next", disabled: filters.page >= result.pages }, t("cases.next")));
    pager.querySelector("#cases-prev").addEventListener("click", () => { filters = { ...filters, page: filters.page - 1 }; load(); });
    pager.querySelector("#cases-next").addEventListener("click", () => { filters = { ...filters, page: filters.page + 1 }; load(); });
    body.replaceChildren(
      h("div", { class: "scroll" }, h("table", { class: "table", id: "cases-table" },
        h("caption", { class: "sr-only" }, t("cases.title")),
        h("thead", {}, h("tr", {}, ["code", "category", "status", "tier", "holder", "reported_at", "deadline"]
          .map((k) => h("th", { scope: "col" }, t(`cases.col.${k}`))))),
        h("tbody", {}, result.items.length ? result.items.map((c) => caseRow(app, c, names))
          : h("tr", {}, h("td", { colspan: 7, class: "hint" }, t("cases.none")))))),
      pager);
  };

  const form = filterForm(app, filters, {
    classes: mainClasses(categories), departments,
    // Department staff see only their own department's cases: the filter would say nothing.
    showDepartments: hasConsole(user),
  }, (values) => { filters = values; load(); });
  const bell = notificationBell(app, { where: "console" });
  root.append(h("section", { id: "cases-console", class: "wide" },
    h("div", { class: "console-head" }, h("h1", {}, t("cases.title")), bell.element,
      hasConsole(user) ? h("a", { class: "button secondary", href: "#/console", id: "cases-to-console" }, t("console.title")) : null,
      signOutButton(app)),
    form, body));
  await load();
  return () => { unmounted = true; bell.stop(); };
}
