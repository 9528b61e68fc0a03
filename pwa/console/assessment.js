// Assessment (专项考核) in the console: how the cases of a period went per child region (with
// drill-down), per grid worker or per department, as a sortable table (the ranking and the
// source of truth), a trend chart and a ranking chart (each with a text alternative), and the
// same rows and columns as CSV or Excel in the order shown. Region, period and grouping live
// in the address, so a drill-down is a page "back" returns from. Online only: the server
// counts (definitions in backend/stats/services.py). Chart.js (vendored in lib/) loads only
// on this page.
import { authed } from "../app/api.js";
import { errorMessage } from "../app/i18n.js";
import { h, latestOnly } from "../app/ui/dom.js";
import { download } from "../app/ui/download.js";
import { isNetworkFailure, offlineNotice } from "../app/ui/offline-notice.js";

const CHART_JS = "/lib/chart-4.6.2.umd.min.js";
export const GROUPINGS = ["region", "worker", "department"];
const TEXT_COLUMNS = new Set(["code", "name", "region_name"]);
const RATE_COLUMNS = new Set(["on_time_rate", "handled_on_time_rate", "satisfaction_rate"]);
const HOUR_COLUMNS = new Set(["avg_handling_h", "avg_dispatch_to_handled_h"]);
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

/** A local calendar day as YYYY-MM-DD. */
export function isoDay(date) {
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, "0")}-${String(date.getDate()).padStart(2, "0")}`;
}

/** 本周 (Monday to today), 本月 (the 1st to today) or 近30天 (today and the 29 days before). */
export function periodPreset(kind, today = new Date()) {
  const day = new Date(today.getFullYear(), today.getMonth(), today.getDate());
  const start = new Date(day);
  if (kind === "week") start.setDate(day.getDate() - ((day.getDay() + 6) % 7));
  else if (kind === "month") start.setDate(1);
  else start.setDate(day.getDate() - 29);
  return { from: isoDay(start), to: isoDay(day) };
}

/** Region, period and grouping from the address; the last 30 days when it has no valid
 * period, the regions when it names no known grouping. */
export function stateFromQuery(query = "", today = new Date()) {
  const params = new URLSearchParams(query || "");
  const from = params.get("from") || "";
  const to = params.get("to") || "";
  const period = DAY.test(from) && DAY.test(to) ? { from, to } : periodPreset("last30", today);
  const groupBy = GROUPINGS.includes(params.get("group_by")) ? params.get("group_by") : "region";
  return { region_id: params.get("region_id") || "", ...period, group_by: groupBy };
}

/** The API's query for a state; `lang` (zh|en) and the table's order for the exports. */
export function statsQuery(state, lang, sort) {
  const params = new URLSearchParams();
  if (state.region_id) params.set("region_id", state.region_id);
  params.set("from", state.from);
  params.set("to", state.to);
  if (state.group_by && state.group_by !== "region") params.set("group_by", state.group_by);
  if (lang) params.set("lang", lang);
  if (sort?.key) {
    params.set("sort", sort.key);
    params.set("dir", sort.dir);
  }
  return params.toString();
}

/** The trend's bucket for a period: days up to a quarter, weeks up to a year, then months
 * (the API's limits for each). */
export function trendBucket(from, to) {
  const days = Math.round((Date.parse(to) - Date.parse(from)) / DAY_MS) + 1;
  return days <= 92 ? "day" : days <= 366 ? "week" : "month";
}

export const trendQuery = (state) => `${statsQuery({ ...state, group_by: "region" })}&bucket=${trendBucket(state.from, state.to)}`;

export const assessmentHash = (state) => `#/console/assessment?${statsQuery(state)}`;

/** The exports' header language for the UI's. */
export const exportLanguage = (uiLanguage) => (String(uiLanguage).startsWith("en") ? "en" : "zh");

/** Clicking a column again turns its order round; a new figure starts with the largest. */
export function nextSort(sort, key) {
  if (sort?.key === key) return { key, dir: sort.dir === "asc" ? "desc" : "asc" };
  return { key, dir: TEXT_COLUMNS.has(key) ? "asc" : "desc" };
}

/** Rows ordered by one column; rows without a figure (null) come last either way, and ties
 * keep the server's order. Text compares by code point, as the exports' order does. */
export function sortRows(rows, sort) {
  if (!sort?.key) return [...rows];
  const sign = sort.dir === "asc" ? 1 : -1;
  const text = TEXT_COLUMNS.has(sort.key);
  return rows.map((row, index) => ({ row, index })).sort((a, b) => {
    const x = a.row[sort.key];
    const y = b.row[sort.key];
    if (x == null || y == null) return (x == null) - (y == null) || a.index - b.index;
    const order = text ? (String(x) < String(y) ? -1 : String(x) > String(y) ? 1 : 0) : x - y;
    return sign * order || a.index - b.index;
  }).map(({ row }) => row);
}

/** 0.8765 → "87.7%" in the reader's language; no closed case → "—". */
export function formatRate(rate, lang = "zh-CN") {
  if (rate == null) return "—";
  return new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 1 }).format(rate);
}

export function formatHours(hours, lang = "zh-CN") {
  if (hours == null) return "—";
  return new Intl.NumberFormat(lang, { maximumFractionDigits: 1 }).format(hours);
}

/** A cell's text, as the table shows it. */
export function cellText(row, key, lang) {
  if (RATE_COLUMNS.has(key)) return formatRate(row[key], lang);
  if (HOUR_COLUMNS.has(key)) return formatHours(row[key], lang);
  return String(row[key] ?? "");
}

/** A column's heading key in the catalogue: the row's own columns are named for what the
 * rows are (区域 / 网格员 / 部门). */
export const columnLabel = (key, groupBy) => (TEXT_COLUMNS.has(key) ? `assessment.label.${groupBy}.${key}` : `assessment.col.${key}`);

/** A row can go one level down unless it is the region itself (a grid has no children). */
export const canDrill = (row, region) => Boolean(row.region_id) && row.region_id !== region.region_id && row.level !== "grid";

/** What the ranking ranks for a grouping: the on-time rate of closing (regions) or of
 * handling (workers, departments), or the cases closed. */
export const rankingKeys = (groupBy) => [groupBy === "region" ? "on_time_rate" : "handled_on_time_rate", "closed"];

// Names and parents of the regions seen, so that clicking down needs no extra request for
// the breadcrumb; a region opened from a bookmark is looked up.
const known = new Map();
let sort = { key: "", dir: "desc" };  // kept across drill-downs: the same ranking one level down

function remember(result) {
  const parent = known.get(result.region.region_id);
  known.set(result.region.region_id, { ...parent, name: result.region.name });
  for (const item of result.items) {
    if (item.region_id && item.region_id !== result.region.region_id) {
      known.set(item.region_id, { name: item.name, parentId: result.region.region_id });
    }
  }
}

/** The regions from the top of my scope down to this one, as [{id, name}]. */
async function lineage(regionId) {
  const trail = [];
  let id = regionId;
  for (let depth = 0; id && depth < 8; depth += 1) {
    let node = known.get(id);
    if (!node || node.parentId === undefined) {
      try {
        const region = await authed(`/api/v1/regions/${id}`);
        node = { ...node, name: region.name, parentId: region.parent_id };
        known.set(id, node);
      } catch {
        break;  // above my scope
      }
    }
    trail.unshift({ id, name: node.name });
    if (node.top) break;
    id = node.parentId;
  }
  return trail;
}

let chartLoading = null;

export function loadChartJs() {
  if (globalThis.Chart) return Promise.resolve(globalThis.Chart);
  chartLoading ??= new Promise((resolve, reject) => {
    const script = Object.assign(document.createElement("script"), { src: CHART_JS });
    script.onload = () => resolve(globalThis.Chart);
    script.onerror = () => { chartLoading = null; reject(new Error("chart.js")); };
    document.head.append(script);
  });
  return chartLoading;
}

function headerCell(t, key, groupBy, onSort) {
  const active = sort.key === key;
  const button = h("button", { type: "button", class: "sort", dataset: { key } }, t(columnLabel(key, groupBy)),
    h("span", { class: "sort-mark", "aria-hidden": "true" }, active ? (sort.dir === "asc" ? " ▲" : " ▼") : ""));
  button.addEventListener("click", () => onSort(key));
  return h("th", { scope: "col", "aria-sort": active ? (sort.dir === "asc" ? "ascending" : "descending") : null,
    class: TEXT_COLUMNS.has(key) ? "" : "count" }, button);
}

function figureRow(row, columns, { lang, region, state, header }) {
  return h("tr", { dataset: { id: row.region_id || row.worker_id || row.department_id || "" } }, columns.map((key) => {
    const text = cellText(row, key, lang);
    if (key === "name") {
      return h("th", { scope: "row" }, header || !canDrill(row, region) ? text
        : h("a", { href: assessmentHash({ ...state, region_id: row.region_id }), class: "drill" }, text));
    }
    const classes = [TEXT_COLUMNS.has(key) ? "" : "count", key === "overdue" && row.overdue > 0 ? "overdue" : ""];
    return h("td", { class: classes.join(" ").trim() || null, dataset: { key } }, text);
  }));
}

export function figureTable(app, result, state, onSort) {
  const { t } = app;
  const lang = app.language();
  const rows = sortRows(result.items, sort);
  const columns = result.columns;
  const total = { ...result.total, name: t("assessment.total_of", { name: result.total.name }) };
  return h("table", { class: "table assessment", id: "assessment-table", dataset: { groupBy: result.group_by } },
    h("caption", { class: "sr-only" }, t(`assessment.table_caption.${result.group_by}`, { name: result.region.name })),
    h("thead", {}, h("tr", {}, columns.map((key) => headerCell(t, key, result.group_by, onSort)))),
    h("tbody", {}, rows.map((row) => figureRow(row, columns, { lang, region: result.region, state }))),
    h("tfoot", {}, figureRow(total, columns, { lang, region: result.region, state, header: true })));
}

// Colours with strong contrast on white; overdue keeps the table's red.
const COLOURS = { bar: "#0b5cad", reported: "#0b5cad", closed: "#1b6e20" };

/** The ranking: rows by one figure, best first (rates in %); rows without it last. */
export function rankingData(items, by) {
  const ranked = sortRows(items, { key: by, dir: "desc" });
  const rate = RATE_COLUMNS.has(by);
  return { labels: ranked.map((r) => r.name),
    values: ranked.map((r) => (rate ? (r[by] == null ? null : Math.round(r[by] * 1000) / 10) : r[by])) };
}

/** The trend's lines: cases reported and closed per bucket. */
export function trendData(series) {
  return { labels: series.map((p) => p.period), reported: series.map((p) => p.reported),
    closed: series.map((p) => p.closed) };
}

/** The charts' text alternatives: what they draw, in words (the table holds every figure). */
export function rankingSummary(t, items, by, lang) {
  const ranked = rankingData(items, by);
  const parts = ranked.labels.slice(0, 10).map((label, i) => `${label} ${RATE_COLUMNS.has(by)
    ? formatRate(ranked.values[i] == null ? null : ranked.values[i] / 100, lang) : ranked.values[i]}`);
  return t("assessment.ranking_summary", { figure: t(`assessment.col.${by}`), list: parts.join(t("assessment.list_separator")) });
}

export function trendSummary(t, series) {
  const parts = series.map((p) => t("assessment.trend_point", { period: p.period, reported: p.reported, closed: p.closed }));
  return t("assessment.trend_summary", { list: parts.join(t("assessment.list_separator")) });
}

function drawRanking(Chart, app, result, charts, box, by) {
  const { t } = app;
  const ranking = rankingData(result.items, by);
  box.setAttribute("aria-label", rankingSummary(t, result.items, by, app.language()));
  charts.push(new Chart(box, {
    type: "bar",
    data: { labels: ranking.labels, datasets: [{ label: t(`assessment.col.${by}`), data: ranking.values,
      backgroundColor: COLOURS.bar }] },
    options: { responsive: true, maintainAspectRatio: false, animation: false, indexAxis: "y",
      plugins: { legend: { display: false } },
      scales: { x: { beginAtZero: true, ...(RATE_COLUMNS.has(by) ? { max: 100 } : {}) } } },
  }));
}

function drawTrend(Chart, app, trend, charts, box) {
  const { t } = app;
  const data = trendData(trend.series);
  box.setAttribute("aria-label", trendSummary(t, trend.series));
  charts.push(new Chart(box, {
    type: "line",
    data: { labels: data.labels, datasets: [
      { label: t("assessment.col.total"), data: data.reported, borderColor: COLOURS.reported, backgroundColor: COLOURS.reported },
      { label: t("assessment.col.closed"), data: data.closed, borderColor: COLOURS.closed, backgroundColor: COLOURS.closed }] },
    options: { responsive: true, maintainAspectRatio: false, animation: false,
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  }));
}

export async function mount(root, params, app) {
  const { t } = app;
  const state = stateFromQuery(params.query);
  const from = h("input", { type: "date", id: "assessment-from", value: state.from, required: true });
  const to = h("input", { type: "date", id: "assessment-to", value: state.to, required: true });
  const preset = (kind) => h("button", { type: "button", class: "inline", id: `assessment-${kind}`, dataset: { preset: kind } },
    t(`assessment.preset.${kind}`));
  const presets = ["week", "month", "last30"].map(preset);
  const csvButton = h("button", { type: "button", class: "inline", id: "assessment-csv" }, t("assessment.csv"));
  const xlsxButton = h("button", { type: "button", class: "inline", id: "assessment-xlsx" }, t("assessment.xlsx"));
  const groupButtons = GROUPINGS.map((key) => h("button", { type: "button", class: "chip", id: `assessment-group-${key}`,
    "aria-pressed": String(key === state.group_by), dataset: { group: key } }, t(`assessment.group.${key}`)));
  const crumbs = h("nav", { class: "breadcrumb", id: "assessment-crumbs", "aria-label": t("assessment.breadcrumb") });
  const error = h("p", { class: "error", role: "alert", id: "assessment-error" });
  const body = h("div", { id: "assessment-body", "aria-live": "polite" });
  const offline = offlineNotice({ id: "assessment-offline", text: t("assessment.offline") });
  let by = "";
  const charts = [];
  let result = null;
  let trend = null;
  let unmounted = false;

  const canvas = (id) => h("canvas", { id, role: "img" });
  const boxes = { ranking: canvas("assessment-ranking"), trend: canvas("assessment-trend") };
  const byBox = h("span", { class: "toolbar inline-toggle" });
  const trendCaption = h("span", { id: "assessment-trend-caption" });
  const chartPart = h("div", { class: "assessment-charts", id: "assessment-charts", hidden: true },
    h("figure", {}, h("figcaption", {}, trendCaption), h("div", { class: "chart-box" }, boxes.trend)),
    h("figure", {}, h("figcaption", {}, t("assessment.ranking"), byBox), h("div", { class: "chart-box" }, boxes.ranking)));

  const drawByButtons = () => {
    const keys = rankingKeys(state.group_by);
    if (!keys.includes(by)) [by] = keys;
    byBox.replaceChildren(...keys.map((key) => {
      const button = h("button", { type: "button", class: "chip", id: `assessment-by-${key}`,
        "aria-pressed": String(key === by), dataset: { by: key } }, t(`assessment.by.${key}`));
      button.addEventListener("click", () => { by = key; drawByButtons(); redrawCharts(); });
      return button;
    }));
  };

  const redrawCharts = async () => {
    if (!result || result.items.length < 1) { chartPart.hidden = true; return; }
    let Chart;
    try {
      Chart = await loadChartJs();
    } catch {
      chartPart.hidden = true;  // the table says it all
      return;
    }
    if (unmounted) return;
    chartPart.hidden = false;
    for (const chart of charts.splice(0)) chart.destroy();
    if (trend) {
      trendCaption.textContent = t(`assessment.trend.${trend.bucket}`);
      drawTrend(Chart, app, trend, charts, boxes.trend);
    }
    drawRanking(Chart, app, result, charts, boxes.ranking, by);
  };

  const drawTable = () => {
    const table = figureTable(app, result, state, (key) => {
      sort = nextSort(sort, key);
      drawTable();
      body.querySelector(`th button[data-key="${key}"]`)?.focus();
    });
    body.replaceChildren(h("p", { class: "hint", id: "assessment-period" },
      t("assessment.period_of", { name: result.region.name, from: result.from, to: result.to })),
    h("div", { class: "scroll" }, table));
  };

  const drawCrumbs = async () => {
    const trail = await lineage(result.region.region_id);
    if (unmounted) return;
    crumbs.replaceChildren(h("ol", {}, trail.map((step, i) => h("li", {}, i === trail.length - 1
      ? h("span", { "aria-current": "page" }, step.name)
      : h("a", { href: assessmentHash({ ...state, region_id: step.id }) }, step.name)))));
  };

  const load = latestOnly(async (isStale) => {
    history.replaceState(null, "", assessmentHash(state));
    error.textContent = "";
    body.replaceChildren(h("p", { class: "loading" }, t("assessment.loading")));
    let answers;
    try {
      answers = await Promise.all([authed(`/api/v1/stats/cases?${statsQuery(state)}`),
        authed(`/api/v1/stats/cases/trend?${trendQuery(state)}`)]);
    } catch (failure) {
      if (unmounted || isStale()) return;
      offline.show(isNetworkFailure(failure));
      body.replaceChildren(h("p", { class: "hint" },
        isNetworkFailure(failure) ? t("assessment.offline") : errorMessage(failure)));
      return;
    }
    if (unmounted || isStale()) return;
    offline.show(!navigator.onLine);
    [result, trend] = answers;
    if (!state.region_id) known.set(result.region.region_id, { ...known.get(result.region.region_id), top: true });
    remember(result);
    if (sort.key && !result.columns.includes(sort.key)) sort = { key: "", dir: "desc" };
    drawByButtons();
    drawTable();
    await Promise.all([drawCrumbs(), redrawCharts()]);
  });

  const setPeriod = (period) => {
    from.value = period.from;
    to.value = period.to;
    Object.assign(state, period);
    load();
  };
  presets.forEach((button) => button.addEventListener("click", () => setPeriod(periodPreset(button.dataset.preset))));
  const onDate = () => {
    if (!from.value || !to.value) return;
    if (from.value > to.value) { error.textContent = t("assessment.bad_period"); return; }
    setPeriod({ from: from.value, to: to.value });
  };
  from.addEventListener("change", onDate);
  to.addEventListener("change", onDate);
  for (const button of groupButtons) {
    button.addEventListener("click", () => {
      state.group_by = button.dataset.group;
      for (const b of groupButtons) b.setAttribute("aria-pressed", String(b === button));
      load();
    });
  }

  const exportFile = (extension) => () => {
    if (!result) return;
    const shown = { ...state, region_id: result.region.region_id, group_by: result.group_by };
    const query = statsQuery(shown, exportLanguage(app.language()), sort);
    const by = result.group_by === "region" ? "" : `-${result.group_by}`;
    download(`/api/v1/stats/cases.${extension}?${query}`,
      `cases-${result.region.code}${by}-${result.from}-${result.to}.${extension}`)
      .catch(() => { error.textContent = t("assessment.export_failed"); });
  };
  csvButton.addEventListener("click", exportFile("csv"));
  xlsxButton.addEventListener("click", exportFile("xlsx"));

  root.append(h("section", { id: "assessment-console", class: "wide" },
    h("div", { class: "console-head" }, h("h1", {}, t("assessment.title")),
      h("a", { class: "button secondary", href: "#/console", id: "assessment-to-console" }, t("console.title"))),
    offline.element,
    h("div", { class: "toolbar" },
      h("label", { for: "assessment-from" }, t("assessment.from")), from,
      h("label", { for: "assessment-to" }, t("assessment.to")), to,
      presets, csvButton, xlsxButton),
    h("div", { class: "toolbar", role: "group", "aria-label": t("assessment.group_label"), id: "assessment-groups" }, groupButtons),
    crumbs, error, body, chartPart));
  const stopWatching = offline.watch(() => load());
  await load();
  return () => {
    unmounted = true;
    stopWatching();
    for (const chart of charts.splice(0)) chart.destroy();
  };
}
