// The hall statistics page's pure parts: the period and tab from the address, the API query,
// how times and satisfaction read, row labels, and the per-hour chart's series and words.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  cellText, formatMinutes, formatShare, hallStatsHash, hourSeries, hourSummary, periodPreset, rowLabel,
  stateFromQuery, statsQuery,
} from "../../pwa/console/hall-stats.js";

const WEDNESDAY = new Date(2026, 11, 9, 15, 30);  // 2026-12-09
const t = (key, params = {}) => `${key}${Object.keys(params).length ? JSON.stringify(params) : ""}`;

test("presets: today, the last 7 days, the last 30 days", () => {
  assert.deepEqual(periodPreset("today", WEDNESDAY), { from: "2026-12-09", to: "2026-12-09" });
  assert.deepEqual(periodPreset("last7", WEDNESDAY), { from: "2026-12-03", to: "2026-12-09" });
  assert.deepEqual(periodPreset("last30", WEDNESDAY), { from: "2026-11-10", to: "2026-12-09" });
});

test("the address gives hall, period and tab; otherwise the last 7 days and the windows", () => {
  assert.deepEqual(stateFromQuery("hall_id=h1&from=2026-12-01&to=2026-12-05&group_by=clerk", WEDNESDAY),
    { hall_id: "h1", from: "2026-12-01", to: "2026-12-05", group_by: "clerk" });
  assert.deepEqual(stateFromQuery("from=2026-12-05&to=2026-12-01&group_by=service", WEDNESDAY),
    { hall_id: "", from: "2026-12-03", to: "2026-12-09", group_by: "window" });
  assert.equal(stateFromQuery("hall=h2", WEDNESDAY).hall_id, "h2");  // the manager page's link
  assert.deepEqual(stateFromQuery(undefined, WEDNESDAY),
    { hall_id: "", from: "2026-12-03", to: "2026-12-09", group_by: "window" });
});

test("the query names the grouping asked for, and the hall when known", () => {
  const state = { hall_id: "", from: "2026-12-01", to: "2026-12-09", group_by: "day" };
  assert.equal(statsQuery(state, "hour"), "from=2026-12-01&to=2026-12-09&group_by=hour");
  assert.equal(statsQuery({ ...state, hall_id: "h" }, "service"), "hall_id=h&from=2026-12-01&to=2026-12-09&group_by=service");
  assert.equal(hallStatsHash(state), "#/console/hall-stats?from=2026-12-01&to=2026-12-09&group_by=day");
});

test("times read in minutes, satisfaction as a percentage, nothing as a dash", () => {
  assert.equal(formatMinutes(754.5, "en"), "12.6");
  assert.equal(formatMinutes(60, "en"), "1.0");
  assert.equal(formatMinutes(null), "—");
  assert.equal(formatShare(0.8765, "en"), "87.7%");
  assert.equal(formatShare(null), "—");
  const row = { tickets: 3, wait_mean_s: 120, satisfaction: 1, rating_mean: 4.5, service_p90_s: null };
  assert.equal(cellText(row, "tickets", "en"), "3");
  assert.equal(cellText(row, "wait_mean_s", "en"), "2.0");
  assert.equal(cellText(row, "satisfaction", "en"), "100%");
  assert.equal(cellText(row, "rating_mean", "en"), "4.50");
  assert.equal(cellText(row, "service_p90_s", "en"), "—");
});

test("windows and hours are worded by the page, services and clerks by their names", () => {
  assert.equal(rowLabel(t, "window", { key: "2", label: "2号窗口" }), 'hallstats.window_n{"n":"2"}');
  assert.equal(rowLabel(t, "hour", { key: "09", label: "" }), 'hallstats.hour_range{"from":"09:00","to":"10:00"}');
  assert.equal(rowLabel(t, "clerk", { key: "none", label: "未叫号" }), "hallstats.not_called");
  assert.equal(rowLabel(t, "service", { key: "total", label: "合计" }), "hallstats.total");
  assert.equal(rowLabel(t, "clerk", { key: "u1", label: "=王芳" }), "=王芳");
});

test("the chart runs from the first hour with tickets to the last, gaps as zero", () => {
  const rows = [{ key: "09", tickets: 12, wait_mean_s: 300 }, { key: "11", tickets: 4, wait_mean_s: null }];
  assert.deepEqual(hourSeries(rows), { labels: ["09:00", "10:00", "11:00"], tickets: [12, 0, 4], waits: [5, null, null] });
  assert.deepEqual(hourSeries([]), { labels: [], tickets: [], waits: [] });
  const summary = hourSummary(t, rows, "en");
  assert.ok(summary.startsWith("hallstats.chart_summary") && summary.includes('\\"tickets\\":12,\\"wait\\":\\"5.0\\"'), summary);
});
