// The hall's statistics (大厅统计) in the console: for a period of city days, tickets per hour
// with the mean wait (a chart with a text alternative), a table per service, and a table per
// window, clerk, day or hour (tabs), each downloadable as CSV or Excel with the same rows.
// Online only: the server counts (definitions in backend/queue/stats.py). Hall, period and
// tab live in the address. Chart.js loads on this page only (as on the assessment page).
import { authed } from "../app/api.js";
import { errorMessage } from "../app/i18n.js";
import { h, latestOnly } from "../app/ui/dom.js";
import { download } from "../app/ui/download.js";
import { isNetworkFailure, offlineNotice } from "../app/ui/offline-notice.js";
import { isoDay, loadChartJs } from "./assessment.js";

export const TABS = ["window", "clerk", "day", "hour"];
export const FIGURES = ["tickets", "served", "no_shows", "cancelled", "wait_mean_s", "wait_p90_s",
  "service_mean_s", "service_p90_s", "ratings", "rating_mean", "satisfaction"];
const SECONDS = new Set(["wait_mean_s", "wait_p90_s", "service_mean_s", "service_p90_s"]);
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const COLOURS = { tickets: "#0b5cad", wait: "#b3261e" };

/** 今天, 近7天 (today and the six before) or 近30天. */
export function periodPreset(kind, today = new Date()) {
  const day = new Date(today.getFullYear(), today.getMonth(), today.getDate());
  const start = new Date(day);
  start.setDate(day.getDate() - ({ today: 0, last7: 6, last30: 29 }[kind] ?? 6));
  return { from: isoDay(start), to: isoDay(day) };
}

/** Hall, period and tab from the address; the last 7 days and the windows by default. */
export function stateFromQuery(query = "", today = new Date()) {
  const params = new URLSearchParams(query || "");
  const from = params.get("from") || "";
  const to = params.get("to") || "";
  const period = DAY.test(from) && DAY.test(to) && from <= to ? { from, to } : periodPreset("last7", today);
  const tab = TABS.includes(params.get("group_by")) ? params.get("group_by") : "window";
  // `hall` too: the hall manager's page links here with it.
  return { hall_id: params.get("hall_id") || params.get("hall") || "", ...period, group_by: tab };
}

/** The API's query for a state and a grouping. */
export function statsQuery(state, groupBy) {
  const params = new URLSearchParams();
  if (state.hall_id) params.set("hall_id", state.hall_id);
  params.set("from", state.from);
  params.set("to", state.to);
  params.set("group_by", groupBy);
  return params.toString();
}

export const hallStatsHash = (state) => `#/console/hall-stats?${statsQuery(state, state.group_by)}`;

/** 754.5 s → "12.6" minutes; null → "—". */
export function formatMinutes(seconds, lang = "zh-CN") {
  if (seconds == null) return "—";
  return new Intl.NumberFormat(lang, { maximumFractionDigits: 1, minimumFractionDigits: 1 }).format(seconds / 60);
}

/** 0.8765 → "87.7%"; no ratings → "—". */
export function formatShare(share, lang = "zh-CN") {
  if (share == null) return "—";
  return new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 1 }).format(share);
}

/** A figure as the tables show it: times in minutes, satisfaction as a percentage. */
export function cellText(row, key, lang) {
  if (SECONDS.has(key)) return formatMinutes(row[key], lang);
  if (key === "satisfaction") return formatShare(row[key], lang);
  if (key === "rating_mean") return row[key] == null ? "—" : row[key].toFixed(2);
  return String(row[key] ?? "");
}

/** What a row is called in the reader's language: windows and hours are worded here, a
 * service's or clerk's name is theirs. */
export function rowLabel(t, groupBy, row) {
  if (row.key === "total") return t("hallstats.total");
  if (row.key === "none") return t("hallstats.not_called");
  if (groupBy === "window") return t("hallstats.window_n", { n: row.key });
  if (groupBy === "hour") return t("hallstats.hour_range", { from: `${row.key}:00`, to: `${String(Number(row.key) + 1).padStart(2, "0")}:00` });
  return row.label;
}

/** The chart's series: every hour from the first to the last with tickets, tickets taken
 * and the mean wait in minutes (null for an hour nobody was called in). */
export function hourSeries(rows) {
  if (!rows.length) return { labels: [], tickets: [], waits: [] };
  const byHour = new Map(rows.map((row) => [Number(row.key), row]));
  const hours = [...byHour.keys()];
  const labels = [];
  const tickets = [];
  const waits = [];
  for (let hour = Math.min(...hours); hour <= Math.max(...hours); hour += 1) {
    const row = byHour.get(hour);
    labels.push(`${String(hour).padStart(2, "0")}:00`);
    tickets.push(row ? row.tickets : 0);
    waits.push(row?.wait_mean_s == null ? null : Math.round(row.wait_mean_s / 6) / 10);
  }
  return { labels, tickets, waits };
}

/** The chart in words, for screen readers (the tables hold every figure). */
export function hourSummary(t, rows, lang) {
  const parts = rows.map((row) => t("hallstats.hour_point", { hour: `${row.key}:00`, tickets: row.tickets,
    wait: formatMinutes(row.wait_mean_s, lang) }));
  return t("hallstats.chart_summary", { list: parts.join(t("hallstats.list_separator")) });
}

export function figureTable(app, result, id) {
  const { t } = app;
  const lang = app.language();
  const line = (row) => h("tr", { dataset: { key: row.key } },
    h("th", { scope: "row" }, rowLabel(t, result.group_by, row)),
    FIGURES.map((key) => h("td", { class: "count", dataset: { key } }, cellText(row, key, lang))));
  return h("table", { class: "table assessment", id, dataset: { groupBy: result.group_by } },
    h("caption", { class: "sr-only" }, t(`hallstats.caption.${result.group_by}`, { name: result.hall.name })),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t(`hallstats.group.${result.group_by}`)),
      FIGURES.map((key) => h("th", { scope: "col", class: "count" }, t(`hallstats.col.${key}`))))),
    h("tbody", {}, result.rows.map((row) => line(row))),
    h("tfoot", {}, line(result.totals)));
}

function drawChart(Chart, app, rows, box) {
  const { t } = app;
  const series = hourSeries(rows);
  box.setAttribute("aria-label", hourSummary(t, rows, app.language()));
  return new Chart(box, {
    data: { labels: series.labels, datasets: [
      { type: "bar", label: t("hallstats.col.tickets"), data: series.tickets, backgroundColor: COLOURS.tickets, yAxisID: "y" },
      { type: "line", label: t("hallstats.chart_wait"), data: series.waits, borderColor: COLOURS.wait,
        backgroundColor: COLOURS.wait, yAxisID: "wait", spanGaps: true }] },
    options: { responsive: true, maintainAspectRatio: false, animation: false,
      scales: { y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: t("hallstats.col.tickets") } },
        wait: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false },
          title: { display: true, text: t("hallstats.chart_wait") } } } },
  });
}

function exportButtons(app, id, onExport) {
  const { t } = app;
  return ["csv", "xlsx"].map((extension) => {
    const button = h("button", { type: "button", class: "inline", id: `hallstats-${extension}-${id}` }, t(`hallstats.${extension}`));
    button.addEventListener("click", () => onExport(extension));
    return button;
  });
}

export async function mount(root, params, app) {
  const { t } = app;
  const state = stateFromQuery(params.query);
  const from = h("input", { type: "date", id: "hallstats-from", value: state.from, required: true });
  const to = h("input", { type: "date", id: "hallstats-to", value: state.to, required: true });
  const presets = ["today", "last7", "last30"].map((kind) => {
    const button = h("button", { type: "button", class: "inline", id: `hallstats-${kind}` }, t(`hallstats.preset.${kind}`));
    button.addEventListener("click", () => setPeriod(periodPreset(kind)));
    return button;
  });
  const hallSelect = h("select", { id: "hallstats-hall" });
  const hallPicker = h("span", { hidden: true }, h("label", { for: "hallstats-hall" }, t("hallstats.hall")), " ", hallSelect);
  const tabs = TABS.map((key) => h("button", { type: "button", class: "chip", id: `hallstats-tab-${key}`,
    "aria-pressed": String(key === state.group_by), dataset: { group: key } }, t(`hallstats.group.${key}`)));
  const error = h("p", { class: "error", role: "alert", id: "hallstats-error" });
  const period = h("p", { class: "hint", id: "hallstats-period", "aria-live": "polite" });
  const serviceBody = h("div", { class: "scroll", id: "hallstats-services" });
  const groupBody = h("div", { class: "scroll", id: "hallstats-groups", "aria-live": "polite" });
  const canvas = h("canvas", { id: "hallstats-chart", role: "img" });
  const chartPart = h("div", { class: "assessment-charts", id: "hallstats-charts", hidden: true },
    h("figure", {}, h("figcaption", {}, t("hallstats.chart_title")), h("div", { class: "chart-box" }, canvas)));
  const offline = offlineNotice({ id: "hallstats-offline", text: t("hallstats.offline") });
  let chart = null;
  let shown = null;  // { hour, service, group } answers on screen
  let unmounted = false;

  const exportFile = (which) => (extension) => {
    if (!shown) return;
    const groupBy = which === "service" ? "service" : state.group_by;
    const query = statsQuery({ ...state, hall_id: shown.service.hall.id }, groupBy);
    download(`/api/v1/stats/halls.${extension}?${query}`, `hall-stats-${groupBy}-${state.from}-${state.to}.${extension}`)
      .catch(() => { error.textContent = t("hallstats.export_failed"); });
  };

  const redrawChart = async () => {
    chart?.destroy();
    chart = null;
    if (!shown || !shown.hour.rows.length) { chartPart.hidden = true; return; }
    let Chart;
    try {
      Chart = await loadChartJs();
    } catch {
      chartPart.hidden = true;  // the tables say it all
      return;
    }
    if (unmounted) return;
    chartPart.hidden = false;
    chart = drawChart(Chart, app, shown.hour.rows, canvas);
  };

  const loadHalls = async () => {
    try {
      const halls = await authed("/api/v1/halls");
      if (halls.length < 2) return;
      if (!state.hall_id) state.hall_id = halls[0].id;
      hallSelect.replaceChildren(...halls.map((hall) => h("option", { value: hall.id, selected: hall.id === state.hall_id }, hall.name)));
      hallPicker.hidden = false;
    } catch {
      // One hall is the usual case; the figures say which one, and a failure shows there.
    }
  };

  const load = latestOnly(async (isStale) => {
    history.replaceState(null, "", hallStatsHash(state));
    error.textContent = "";
    groupBody.replaceChildren(h("p", { class: "loading" }, t("hallstats.loading")));
    let answers;
    try {
      answers = await Promise.all(["hour", "service", state.group_by].map((groupBy) =>
        authed(`/api/v1/stats/halls?${statsQuery(state, groupBy)}`)));
    } catch (failure) {
      if (unmounted || isStale()) return;
      offline.show(isNetworkFailure(failure));
      groupBody.replaceChildren(h("p", { class: "hint" },
        isNetworkFailure(failure) ? t("hallstats.offline") : errorMessage(failure)));
      return;
    }
    if (unmounted || isStale()) return;
    offline.show(!navigator.onLine);
    const [hour, service, group] = answers;
    shown = { hour, service, group };
    period.textContent = t("hallstats.period_of", { name: service.hall.name, from: service.from, to: service.to });
    serviceBody.replaceChildren(figureTable(app, service, "hallstats-service-table"));
    groupBody.replaceChildren(figureTable(app, group, "hallstats-group-table"));
    await redrawChart();
  });

  const setPeriod = (next) => {
    from.value = next.from;
    to.value = next.to;
    Object.assign(state, next);
    load();
  };
  const onDate = () => {
    if (!from.value || !to.value) return;
    if (from.value > to.value) { error.textContent = t("hallstats.bad_period"); return; }
    setPeriod({ from: from.value, to: to.value });
  };
  from.addEventListener("change", onDate);
  to.addEventListener("change", onDate);
  hallSelect.addEventListener("change", () => { state.hall_id = hallSelect.value; load(); });
  for (const tab of tabs) {
    tab.addEventListener("click", () => {
      state.group_by = tab.dataset.group;
      for (const other of tabs) other.setAttribute("aria-pressed", String(other === tab));
      load();
    });
  }

  root.append(h("section", { id: "hallstats-console", class: "wide" },
    h("div", { class: "console-head" }, h("h1", {}, t("hallstats.title")),
      h("a", { class: "button secondary", href: "#/console", id: "hallstats-to-console" }, t("console.title"))),
    offline.element,
    h("div", { class: "toolbar" }, hallPicker,
      h("label", { for: "hallstats-from" }, t("hallstats.from")), from,
      h("label", { for: "hallstats-to" }, t("hallstats.to")), to, presets),
    error, period, chartPart,
    h("h2", {}, t("hallstats.by_service")),
    h("div", { class: "toolbar" }, exportButtons(app, "service", exportFile("service"))),
    serviceBody,
    h("h2", { id: "hallstats-group-heading" }, t("hallstats.by_group")),
    h("div", { class: "toolbar", role: "group", "aria-labelledby": "hallstats-group-heading", id: "hallstats-tabs" }, tabs),
    h("div", { class: "toolbar" }, exportButtons(app, "group", exportFile("group"))),
    groupBody));
  const stopWatching = offline.watch(() => load());
  await loadHalls();
  if (unmounted) return undefined;
  await load();
  return () => {
    unmounted = true;
    stopWatching();
    chart?.destroy();
  };
}
