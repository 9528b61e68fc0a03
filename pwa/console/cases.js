// The case list (案件列表) in the console: the command centre's cases of its region, and a
// department's cases dispatched to it (its staff's home). Online: the API filters and pages
// on the server. Filters live in the hash, so "back" from a case returns to the same page.
import { authed, authedAll } from "../app/api.js";
import { bulkBody, caseQuery, casesHash, filtersFromQuery, mainClasses, PER_PAGE, refusedCases, regionChoices,
  selectionState, STATUSES } from "../app/cases.js";
import { categoryName } from "../app/categories.js";
import { errorMessage } from "../app/i18n.js";
import * as store from "../app/store.js";
import { onCaseChange } from "../app/live.js";
import { formatTime, h } from "../app/ui/dom.js";
import { liveStatus } from "../app/ui/live-status.js";
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

/** Supervisors register and dispatch many cases at once (the server says so per case too). */
export const canActOnMany = (user) => (user?.roles || []).includes("supervisor");

/**
 * 批量立案 / 批量派遣 on the page's chosen cases: a bar shown once some are chosen. All or
 * nothing: refused, it lists each case that cannot and why, and the rows say so too.
 */
function bulkBar(app, { departments, chosen, codes, onDone, onRefused }) {
  const { t } = app;
  const count = h("span", { id: "cases-bulk-count", "aria-live": "polite" });
  const result = h("div", { id: "cases-bulk-result", role: "alert" });
  const department = h("select", { id: "cases-bulk-department" },
    h("option", { value: "" }, t("bulk.choose_department")),
    [...departments.values()].map((d) => h("option", { value: d.id }, d.name)));
  const register = h("button", { type: "button", class: "inline", id: "cases-bulk-register" }, t("bulk.register"));
  const dispatch = h("button", { type: "button", class: "inline", id: "cases-bulk-dispatch" }, t("bulk.dispatch"));
  const clear = h("button", { type: "button", class: "inline secondary", id: "cases-bulk-clear" }, t("bulk.clear"));
  const bar = h("div", { class: "bulk-bar", id: "cases-bulk", role: "region", "aria-label": t("bulk.label"), hidden: true },
    h("div", { class: "toolbar" }, count, register,
      h("label", { for: "cases-bulk-department" }, t("bulk.department")), department, dispatch, clear),
    result);
  const run = async (action) => {
    if (action === "dispatch" && !department.value) {
      result.replaceChildren(h("p", { class: "error" }, t("bulk.need_department")));
      department.focus();
      return;
    }
    const ids = [...chosen()];
    result.replaceChildren();
    for (const button of [register, dispatch]) button.disabled = true;
    try {
      const answer = await authed("/api/v1/cases/actions", { method: "POST",
        body: bulkBody(action, ids, { departmentId: department.value }) });
      onDone(t(`bulk.done_${action}`, { n: answer.items.length }));
    } catch (failure) {
      const refused = refusedCases(failure, codes);
      result.replaceChildren(...(refused.length
        ? [h("p", { class: "error" }, t("bulk.refused", { n: refused.length })),
          h("ul", { class: "bulk-refused", id: "cases-bulk-refused" }, refused.map((r) =>
            h("li", { dataset: { id: r.id } }, h("span", { class: "case-code" }, r.code), ": ", errorMessage(r.error))))]
        : [h("p", { class: "error" }, errorMessage(failure))]));
      onRefused(new Set(refused.map((r) => r.id)));
    } finally {
      for (const button of [register, dispatch]) button.disabled = false;
    }
  };
  register.addEventListener("click", () => run("register"));
  dispatch.addEventListener("click", () => run("dispatch"));
  return {
    element: bar,
    clear,
    show(n) {
      bar.hidden = n === 0;
      count.textContent = t("bulk.selected", { n });
      if (!n) result.replaceChildren();
    },
  };
}

function filterForm(app, filters, { classes, departments, showDepartments, regions = [] }, onSubmit) {
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
  // The regions the reader holds, from the top down, indented by depth.
  const region = regions.length > 1 ? h("select", { id: "cases-region", name: "region_id" },
    h("option", { value: "" }, t("cases.all_regions")),
    regions.map((r) => h("option", { value: r.id, selected: r.id === filters.region_id },
      `${"\u3000".repeat(r.depth)}${r.name}`)))
    : null;
  const q = h("input", { id: "cases-q", name: "q", type: "search", autocomplete: "off", maxlength: 40,
    value: filters.q, placeholder: t("cases.q_placeholder") });
  const form = h("form", { id: "cases-filters", role: "search", class: "case-filters" },
    h("fieldset", { class: "status-filter" }, h("legend", {}, t("cases.status_label")), statuses),
    h("div", { class: "toolbar" },
      h("div", { class: "check" }, overdue, h("label", { for: "cases-overdue" }, t("cases.overdue_only"))),
      h("label", { for: "cases-category" }, t("cases.category")), category,
      department ? [h("label", { for: "cases-department" }, t("cases.department")), department] : null,
      region ? [h("label", { for: "cases-region" }, t("cases.region")), region] : null,
      h("label", { for: "cases-q" }, t("cases.q")), q,
      h("button", { type: "submit", class: "inline", id: "cases-apply" }, t("cases.apply")),
      h("button", { type: "button", class: "inline", id: "cases-clear" }, t("cases.clear"))));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    onSubmit({
      status: statuses.map((d) => d.querySelector("input")).filter((i) => i.checked).map((i) => i.value),
      overdue: overdue.checked, category: category.value, department_id: department?.value || "",
      region_id: region?.value || "", q: q.value, page: 1,
    });
  });
  form.querySelector("#cases-clear").addEventListener("click", () => {
    form.reset();
    for (const input of form.querySelectorAll("input[type=checkbox]")) input.checked = false;
    q.value = "";
    category.value = "";
    if (department) department.value = "";
    if (region) region.value = "";
    form.requestSubmit();
  });
  return form;
}

function caseRow(app, c, names, selection = null) {
  const { t } = app;
  const lang = app.language();
  const href = `#/console/cases/${c.id}`;
  const row = h("tr", { class: c.overdue ? "overdue" : "", dataset: { id: c.id, status: c.status } },
    selection ? h("td", { class: "select" }, selection.box(c)) : null,
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
    if (!e.target.closest("a, input, label, td.select")) app.navigate(href.slice(1));
  });
  return row;
}

/**
 * A live change redraws the list in place (keeping the focused row), a moment after a burst
 * of changes ends; while rows are chosen for a bulk action it only offers to refresh.
 */
function liveReload(app, body, note, load) {
  let timer = null;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      if (!body.isConnected) return;
      if (body.querySelector(".case-select:checked")) {
        const refresh = h("button", { type: "button", class: "inline", id: "cases-live-refresh" }, app.t("live.refresh"));
        refresh.addEventListener("click", () => load());
        note.replaceChildren(app.t("live.list_changed"), " ", refresh);
        return;
      }
      const focused = body.contains(document.activeElement) ? document.activeElement.closest("tr")?.dataset.id : null;
      await load({ quiet: true });
      if (focused) body.querySelector(`tr[data-id="${focused}"] a`)?.focus();
    }, 300);
  };
}

export async function mount(root, params, app) {
  const { t } = app;
  const user = app.session().user;
  let filters = filtersFromQuery(params.query);
  const [categories, departments] = await Promise.all([store.view(app.owner(), "categories"), departmentsById()]);
  const names = { categories: new Map(categories.map((c) => [c.code, c])), departments };
  const body = h("div", { id: "cases-body", "aria-live": "polite" });
  const liveNote = h("p", { class: "hint case-changed", id: "cases-live", role: "status" });
  let unmounted = false;

  const load = async ({ quiet = false } = {}) => {
    // The address says which page of which filters: "back" from a case returns here.
    history.replaceState(null, "", casesHash(filters));
    if (!quiet) body.replaceChildren(h("p", { class: "loading" }, t("cases.loading")));
    liveNote.replaceChildren();
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
    const selection = canActOnMany(user) && result.items.length ? pageSelection(result.items) : null;
    body.replaceChildren(
      selection ? selection.bar.element : null,
      h("div", { class: "scroll" }, h("table", { class: "table", id: "cases-table" },
        h("caption", { class: "sr-only" }, t("cases.title")),
        h("thead", {}, h("tr", {}, selection ? h("th", { scope: "col", class: "select" }, selection.all) : null,
          ["code", "category", "status", "tier", "holder", "reported_at", "deadline"]
            .map((k) => h("th", { scope: "col" }, t(`cases.col.${k}`))))),
        h("tbody", {}, result.items.length ? result.items.map((c) => caseRow(app, c, names, selection))
          : h("tr", {}, h("td", { colspan: 7, class: "hint" }, t("cases.none")))))),
      pager);
  };

  // The page's chosen rows: a box per row, one for the whole page, and the bulk bar.
  const pageSelection = (items) => {
    const chosen = new Set();
    const boxes = new Map();
    const codes = new Map(items.map((c) => [c.id, c.code || c.id]));
    const all = h("input", { type: "checkbox", id: "cases-select-all", "aria-label": t("cases.select_all") });
    const bar = bulkBar(app, {
      departments, chosen: () => chosen, codes,
      onDone: (message) => { notice.textContent = message; load(); },
      onRefused: (refused) => {
        for (const [id, box] of boxes) box.closest("tr").classList.toggle("refused", refused.has(id));
      },
    });
    const update = () => {
      const state = selectionState(chosen.size, items.length);
      all.checked = state === "all";
      all.indeterminate = state === "some";
      bar.show(chosen.size);
    };
    const choose = (id, on) => {
      if (on) chosen.add(id);
      else chosen.delete(id);
      boxes.get(id).checked = on;
    };
    all.addEventListener("change", () => {
      for (const id of boxes.keys()) choose(id, all.checked);
      update();
    });
    bar.clear.addEventListener("click", () => {
      for (const id of boxes.keys()) choose(id, false);
      update();
      all.focus();
    });
    return {
      all, bar,
      box(c) {
        const box = h("input", { type: "checkbox", class: "case-select", dataset: { id: c.id },
          "aria-label": t("cases.select_one", { code: c.code || t("reports.no_code") }) });
        box.addEventListener("change", () => { choose(c.id, box.checked); update(); });
        boxes.set(c.id, box);
        return box;
      },
    };
  };
  const notice = h("p", { class: "hint", id: "cases-bulk-notice", role: "status" });

  const form = filterForm(app, filters, {
    classes: mainClasses(categories), departments,
    // Department staff see only their own department's cases: the filter would say nothing.
    showDepartments: hasConsole(user),
    regions: hasConsole(user) ? regionChoices(await store.view(app.owner(), "regions")) : [],
  }, (values) => { notice.textContent = ""; filters = values; load(); });
  const bell = notificationBell(app, { where: "console" });
  const live = liveStatus(app);
  root.append(h("section", { id: "cases-console", class: "wide" },
    h("div", { class: "console-head" }, h("h1", {}, t("cases.title")), live.element, bell.element,
      hasConsole(user) ? h("a", { class: "button secondary", href: "#/console", id: "cases-to-console" }, t("console.title")) : null,
      // Department staff issue and revoke the certificates of their department's issuers.
      !hasConsole(user) && user?.roles?.includes("department")
        ? h("a", { class: "button secondary", href: "#/console/certificates", id: "cases-to-certificates" },
          t("certconsole.title")) : null,
      signOutButton(app)),
    form, notice, liveNote, body));
  await load();
  const offLive = onCaseChange(liveReload(app, body, liveNote, load));
  return () => { unmounted = true; bell.stop(); live.stop(); offLive(); };
}
