// Attendance in the console (考勤): a month of results, worker by day, with each region's
// totals, and the month as CSV or Excel. Online only: the results are computed by the server.
import { authed } from "../app/api.js";
import { h } from "../app/ui/dom.js";
import { download } from "../app/ui/download.js";

const STATUSES = ["on_time", "late", "left_early", "absent", "outside_fence", "missing_punch"];

function thisMonth() {
  const now = new Date();
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, "0")}`;
}

function dayCell(day, t) {
  if (day.is_rest_day) return h("td", { class: "day rest", title: t("attendance.rest_day") }, "·");
  const statuses = day.statuses;
  const worst = statuses.find((s) => s !== "on_time") || statuses[0];
  const flags = [day.is_accuracy_flagged && t("attendance.accuracy_flagged"),
    day.is_clock_skewed && t("attendance.clock_skewed")].filter(Boolean);
  const title = [statuses.map((s) => t(`attendance.status.${s}`)).join("、")
    || t(day.is_in_progress ? "attendance.in_progress" : "attendance.no_result"), ...flags].join(" · ");
  return h("td", { class: `day ${worst || "none"}`, title, dataset: { date: day.date, statuses: statuses.join(" ") } },
    worst ? t(`attendance.short.${worst}`) : "", flags.length ? h("sup", {}, "!") : null);
}

export async function mount(root, _params, app) {
  const { t } = app;
  const month = h("input", { type: "month", id: "month", value: thisMonth(), required: true });
  const body = h("div", { id: "attendance-body", "aria-live": "polite" });
  const error = h("p", { class: "error", role: "alert" });
  const csv = (kind) => h("button", { type: "button", class: "inline", id: `csv-${kind}` },
    t(`attendance.csv_${kind}`));
  const summaryButton = csv("summary");
  const daysButton = csv("days");
  const excelButton = csv("xlsx");

  const load = async () => {
    error.textContent = "";
    body.replaceChildren(h("p", { class: "loading" }, t("attendance.loading")));
    let calendar;
    let summary;
    try {
      [calendar, summary] = await Promise.all([
        authed(`/api/v1/attendance/calendar?month=${month.value}`),
        authed(`/api/v1/attendance/summary?month=${month.value}`)]);
    } catch {
      body.replaceChildren(h("p", { class: "hint" }, t("attendance.console_offline")));
      return;
    }
    const dates = calendar.workers[0]?.days.map((d) => d.date) || [];
    body.replaceChildren(
      h("h2", {}, t("attendance.by_worker")),
      h("div", { class: "scroll" }, h("table", { class: "table calendar", id: "attendance-table" },
        h("caption", { class: "sr-only" }, t("attendance.by_worker")),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("attendance.col.worker")),
          dates.map((d) => h("th", { scope: "col" }, String(Number(d.slice(8))))))),
        h("tbody", {}, calendar.workers.map((row) => h("tr", { dataset: { worker: row.worker.username } },
          h("th", { scope: "row" }, row.worker.display_name || row.worker.username,
            row.region ? h("span", { class: "meta" }, ` ${row.region.name}`) : null),
          row.days.map((d) => dayCell(d, t))))))),
      h("p", { class: "hint legend" }, STATUSES.map((s) =>
        `${t(`attendance.short.${s}`)} ${t(`attendance.status.${s}`)}`).join(" · ")),
      h("h2", {}, t("attendance.by_region")),
      h("table", { class: "table", id: "attendance-regions" },
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("attendance.col.region")),
          h("th", { scope: "col" }, t("attendance.col.workers")),
          STATUSES.map((s) => h("th", { scope: "col" }, t(`attendance.status.${s}`))))),
        h("tbody", {}, summary.regions.map((r) => h("tr", {},
          h("th", { scope: "row" }, r.region.name), h("td", {}, r.workers),
          STATUSES.map((s) => h("td", {}, r[s])))))));
  };

  summaryButton.addEventListener("click", () => download(
    `/api/v1/attendance/summary.csv?month=${month.value}`, `attendance-summary-${month.value}.csv`)
    .catch(() => { error.textContent = t("attendance.csv_failed"); }));
  daysButton.addEventListener("click", () => download(
    `/api/v1/attendance/days.csv?month=${month.value}`, `attendance-days-${month.value}.csv`)
    .catch(() => { error.textContent = t("attendance.csv_failed"); }));
  excelButton.addEventListener("click", () => download(
    `/api/v1/attendance/month.xlsx?month=${month.value}`, `attendance-${month.value}.xlsx`)
    .catch(() => { error.textContent = t("attendance.csv_failed"); }));
  month.addEventListener("change", () => month.value && load());

  root.append(h("section", { id: "attendance-console", class: "wide" },
    h("div", { class: "console-head" }, h("h1", {}, t("attendance.console_title")),
      h("a", { class: "button secondary", href: "#/console" }, t("console.title"))),
    h("div", { class: "toolbar" }, h("label", { for: "month" }, t("attendance.month")), month,
      summaryButton, daysButton, excelButton),
    error, body));
  await load();
}
