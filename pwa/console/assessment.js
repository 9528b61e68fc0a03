// Assessment (专项考核) in the console: how cases went in each child region of a region for a
// period, as a sortable table (the ranking), two charts and the same rows as CSV or Excel.
// Region and period live in the address, so a drill-down is a page "back" returns from.
// Online only: the server counts. Chart.js (vendored in lib/) loads only on this page.
import { authed } from "../app/api.js";
import { errorMessage } from "../app/i18n.js";
import { h, latestOnly } from "../app/ui/dom.js";
import { download } from "../app/ui/download.js";
import { isNetworkFailure, offlineNotice } from "../app/ui/offline-notice.js";

const CHART_JS = "/lib/chart-4.6.2.umd.min.js";
/** The table's columns in the exports' order (backend/stats/services.py HEADERS). */
export const COLUMNS = ["code", "name", "total", "registered", "closed", "closed_on_spot", "cancelled",
  "open", "overdue", "closed_on_time", "on_time_rate", "avg_handling_h"];
const TEXT_COLUMNS = new Set(["code", "name"]);
const DAY = /^\d{4}-\d{2}-\d{2}$/;

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

/** Region and period from the address; the last 30 days when it has no valid period. */
export function stateFromQuery(query = "", today = new Date()) {
  const params = new URLSearchParams(query || "");
  const from = params.get("from") || "";
  const to = params.get("to") || "";
  const period = DAY.test(from) && DAY.test(to) ? { from, to } : periodPreset("last30", today);
  return { region_id: params.get("region_id") || "", ...period };
}

/** The API's query for a state; `lang` (zh|en) for the exports. */
export function statsQuery(state, lang) {
  const params = new URLSearchParams();
  if (state.region_id) params.set("region_id", state.region_id);
  params.set("from", state.from);
  params.set("to", state.to);
  if (lang) params.set("lang", lang);
  return params.toString();
}

export const assessmentHash = (state) => `#/console/assessment?${statsQuery(state)}`;

/** The exports' header language for the UI's. */
export const exportLanguage = (uiLanguage) => (String(uiLanguage).startsWith("en") ? "en" : "zh");

/** Clicking a column again turns its order round; a new figure starts with the largest. */
export function nextSort(sort, key) {
  if (sort?.key === key) return { key, dir: sort.dir === "asc" ? "desc" : "asc" };
  return { key, dir: TEXT_COLUMNS.has(key) ? "asc" : "desc" };
}

/** Rows ordered by one column; regions without a figure (null) come last either way, and
 * ties keep the server's order (by code). */
export function sortRows(rows, sort) {
  if (!sort?.key) return [...rows];
  const sign = sort.dir === "asc" ? 1 : -1;
  const text = TEXT_COLUMNS.has(sort.key);
  return rows.map((row, index) => ({ row, index })).sort((a, b) => {
    const x = a.row[sort.key];
    const y = b.row[sort.key];
    if (x == null || y == null) return (x == null) - (y == null) || a.index - b.index;
    const order = text ? String(x).localeCompare(String(y), "zh-CN") : x - y;
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
  if (key === "on_time_rate") return formatRate(row[key], lang);
  if (key === "avg_handling_h") return formatHours(row[key], lang);
  return String(row[key] ?? "");
}

/** A row can go one level down unless it is the region itself (a grid has no children). */
export const canDrill = (row, region) => row.region_id !== region.region_id && row.level !== "grid";

// Names and parents of the regions seen, so that clicking down needs no extra request for
// the breadcrumb; a region opened from a bookmark is looked up.
const known = new Map();
let sort = { key: "", dir: "desc" };  // kept across drill-downs: the same ranking one level down

function remember(result) {
  const parent = known.get(result.region.region_id);
  known.set(result.region.region_id, { ...parent, name: result.region.name });
  for (const item of result.items) {
    if (item.region_id !== result.region.region_id) {
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

function headerCell(t, key, onSort) {
  const active = sort.key === key;
  const button = h("button", { type: "button", class: "sort", dataset: { key } }, t(`assessment.col.${key}`),
    h("span", { class: "sort-mark", "aria-hidden": "true" }, active ? (sort.dir === "asc" ? " ▲" : " ▼") : ""));
  button.addEventListener("click", () => onSort(key));
  return h("th", { scope: "col", "aria-sort": active ? (sort.dir === "asc" ? "ascending" : "descending") : null,
    class: TEXT_COLUMNS.has(key) ? "" : "count" }, button);
}

function figureRow(row, { lang, region, state, header }) {
  return h("tr", { dataset: { region: row.region_id } }, COLUMNS.map((key) => {
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
  const total = { ...result.total, name: t("assessment.total_of", { name: result.total.name }) };
  return h("table", { class: "table assessment", id: "assessment-table" },
    h("caption", { class: "sr-only" }, t("assessment.table_caption", { name: result.region.name })),
    h("thead", {}, h("tr", {}, COLUMNS.map((key) => headerCell(t, key, onSort)))),
    h("tbody", {}, rows.map((row) => figureRow(row, { lang, region: result.region, state }))),
    h("tfoot", {}, figureRow(total, { lang, region: result.region, state, header: true })));
}

// Colours with strong contrast on white, the same meaning as the table's (overdue red).
const COLOURS = { bar: "#0b5cad", closed: "#1b6e20", open: "#8a5a00", overdue: "#b00020" };

/** The ranking: children by on-time rate (in %) or by cases reported, best first. */
export function rankingData(items, by) {
  const ranked = sortRows(items, { key: by, dir: "desc" });
  return { labels: ranked.map((r) => r.name),
    values: ranked.map((r) => (by === "on_time_rate" ? (r.on_time_rate == null ? null : Math.round(r.on_time_rate * 1000) / 10) : r[by])) };
}

/** Closed, open within the deadline and overdue per region: the three add up to the cases
 * reported less the cancelled ones, which were never work. */
export function stackData(items) {
  return { labels: items.map((r) => r.name), closed: items.map((r) => r.closed),
    open: items.map((r) => r.open - r.overdue), overdue: items.map((r) => r.overdue) };
}

function drawCharts(Chart, app, result, charts, boxes, by) {
  const { t } = app;
  for (const chart of charts.splice(0)) chart.destroy();
  const common = { responsive: true, maintainAspectRatio: false, animation: false };
  const ranking = rankingData(result.items, by);
  charts.push(new Chart(boxes.ranking, {
    type: "bar",
    data: { labels: ranking.labels, datasets: [{ label: t(`assessment.col.${by}`), data: ranking.values,
      backgroundColor: COLOURS.bar }] },
    options: { ...common, indexAxis: "y", plugins: { legend: { display: false } },
      scales: { x: { beginAtZero: true, ...(by === "on_time_rate" ? { max: 100 } : {}) } } },
  }));
  const stack = stackData(result.items);
  charts.push(new Chart(boxes.stack, {
    type: "bar",
    data: { labels: stack.labels, datasets: [
      { label: t("assessment.col.closed"), data: stack.closed, backgroundColor: COLOURS.closed },
      { label: t("assessment.open_in_time"), data: stack.open, backgroundColor: COLOURS.open },
      { label: t("assessment.col.overdue"), data: stack.overdue, backgroundColor: COLOURS.overdue }] },
    options: { ...common, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
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
  const crumbs = h("nav", { class: "breadcrumb", id: "assessment-crumbs", "aria-label": t("assessment.breadcrumb") });
  const error = h("p", { class: "error", role: "alert", id: "assessment-error" });
  const body = h("div", { id: "assessment-body", "aria-live": "polite" });
  const offline = offlineNotice({ id: "assessment-offline", text: t("assessment.offline") });
  let by = "on_time_rate";
  const charts = [];
  let result = null;
  let unmounted = false;

  const canvas = (id, label) => h("canvas", { id, role: "img", "aria-label": label });
  const boxes = {
    ranking: canvas("assessment-ranking", t("assessment.ranking_label")),
    stack: canvas("assessment-stack", t("assessment.stack_label")),
  };
  const byButton = (key) => h("button", { type: "button", class: "chip", id: `assessment-by-${key}`,
    "aria-pressed": String(key === by), dataset: { by: key } }, t(`assessment.by.${key}`));
  const byButtons = [byButton("on_time_rate"), byButton("total")];
  const chartPart = h("div", { class: "assessment-charts", id: "assessment-charts", hidden: true },
    h("figure", {}, h("figcaption", {}, t("assessment.ranking"), h("span", { class: "toolbar inline-toggle" }, byButtons)),
      h("div", { class: "chart-box" }, boxes.ranking)),
    h("figure", {}, h("figcaption", {}, t("assessment.stack")), h("div", { class: "chart-box" }, boxes.stack)));

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
    drawCharts(Chart, app, result, charts, boxes, by);
  };
  for (const button of byButtons) {
    button.addEventListener("click", () => {
      by = button.dataset.by;
      for (const b of byButtons) b.setAttribute("aria-pressed", String(b === button));
      redrawCharts();
    });
  }

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
    let answer;
    try {
      answer = await authed(`/api/v1/stats/cases?${statsQuery(state)}`);
    } catch (failure) {
      if (unmounted || isStale()) return;
      offline.show(isNetworkFailure(failure));
      body.replaceChildren(h("p", { class: "hint" },
        isNetworkFailure(failure) ? t("assessment.offline") : errorMessage(failure)));
      return;
    }
    if (unmounted || isStale()) return;
    offline.show(!navigator.onLine);
    result = answer;
    if (!state.region_id) known.set(result.region.region_id, { ...known.get(result.region.region_id), top: true });
    remember(result);
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

  const exportFile = (extension) => () => {
    if (!result) return;
    const query = statsQuery({ ...state, region_id: result.region.region_id }, exportLanguage(app.language()));
    download(`/api/v1/stats/cases.${extension}?${query}`,
      `cases-${result.region.code}-${result.from}-${result.to}.${extension}`)
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
    crumbs, error, body, chartPart));
  const stopWatching = offline.watch(() => load());
  await load();
  return () => {
    unmounted = true;
    stopWatching();
    for (const chart of charts.splice(0)) chart.destroy();
  };
}
