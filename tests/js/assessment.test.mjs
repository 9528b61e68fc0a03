// The assessment console's pure parts: period presets, the address and API query, the
// ranking's sort order, and how rates and hours read.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  assessmentHash, canDrill, cellText, columnLabel, exportLanguage, formatRate, nextSort, periodPreset,
  rankingData, rankingKeys, rankingSummary, sortRows, stateFromQuery, statsQuery, trendBucket, trendData,
  trendQuery, trendSummary,
} from "../../pwa/console/assessment.js";

const WEDNESDAY = new Date(2026, 11, 9, 15, 30);  // 2026-12-09

test("the last 30 days are today and the 29 before it", () => {
  assert.deepEqual(periodPreset("last30", WEDNESDAY), { from: "2026-11-10", to: "2026-12-09" });
});

test("this week starts on Monday, also when today is Sunday", () => {
  assert.deepEqual(periodPreset("week", WEDNESDAY), { from: "2026-12-07", to: "2026-12-09" });
  assert.deepEqual(periodPreset("week", new Date(2026, 11, 13)), { from: "2026-12-07", to: "2026-12-13" });
  assert.deepEqual(periodPreset("week", new Date(2026, 11, 7)), { from: "2026-12-07", to: "2026-12-07" });
});

test("this month starts on the 1st", () => {
  assert.deepEqual(periodPreset("month", WEDNESDAY), { from: "2026-12-01", to: "2026-12-09" });
  assert.deepEqual(periodPreset("month", new Date(2026, 0, 1)), { from: "2026-01-01", to: "2026-01-01" });
});

test("the address gives region, period and grouping; without a valid period, the last 30 days", () => {
  assert.deepEqual(stateFromQuery("region_id=abc&from=2026-12-01&to=2026-12-05&group_by=worker", WEDNESDAY),
    { region_id: "abc", from: "2026-12-01", to: "2026-12-05", group_by: "worker" });
  assert.deepEqual(stateFromQuery(undefined, WEDNESDAY),
    { region_id: "", from: "2026-11-10", to: "2026-12-09", group_by: "region" });
  assert.deepEqual(stateFromQuery("from=yesterday&to=2026-12-05&group_by=grid", WEDNESDAY),
    { region_id: "", from: "2026-11-10", to: "2026-12-09", group_by: "region" });
});

test("the query names a grouping other than regions, and for exports the table's order", () => {
  const state = { region_id: "r1", from: "2026-12-01", to: "2026-12-09", group_by: "department" };
  const query = new URLSearchParams(statsQuery(state, "zh", { key: "closed", dir: "asc" }));
  assert.equal(query.get("group_by"), "department");
  assert.equal(query.get("sort"), "closed");
  assert.equal(query.get("dir"), "asc");
  assert.equal(new URLSearchParams(statsQuery({ ...state, group_by: "region" })).get("group_by"), null);
  assert.equal(new URLSearchParams(statsQuery(state, "zh", { key: "" })).get("sort"), null);
});

test("the trend counts by day up to a quarter, by week up to a year, then by month", () => {
  assert.equal(trendBucket("2026-01-01", "2026-04-01"), "day");     // 91 days
  assert.equal(trendBucket("2026-01-01", "2026-04-02"), "day");     // 92
  assert.equal(trendBucket("2026-01-01", "2026-04-03"), "week");    // 93
  assert.equal(trendBucket("2025-01-01", "2025-12-31"), "week");    // 365
  assert.equal(trendBucket("2024-01-01", "2024-12-31"), "week");    // 366 (leap)
  assert.equal(trendBucket("2024-01-01", "2025-01-01"), "month");   // 367
  const query = new URLSearchParams(trendQuery({ region_id: "r", from: "2026-01-01", to: "2026-12-31", group_by: "worker" }));
  assert.equal(query.get("bucket"), "week");
  assert.equal(query.get("group_by"), null);
});

test("the query leaves out an empty region and carries the export's language", () => {
  assert.equal(statsQuery({ region_id: "", from: "2026-12-01", to: "2026-12-09" }), "from=2026-12-01&to=2026-12-09");
  const query = new URLSearchParams(statsQuery({ region_id: "r1", from: "2026-12-01", to: "2026-12-09" }, "en"));
  assert.equal(query.get("region_id"), "r1");
  assert.equal(query.get("lang"), "en");
  assert.equal(assessmentHash({ region_id: "r1", from: "2026-12-01", to: "2026-12-09" }),
    "#/console/assessment?region_id=r1&from=2026-12-01&to=2026-12-09");
});

test("exports are in English only for an English UI", () => {
  assert.equal(exportLanguage("en"), "en");
  assert.equal(exportLanguage("zh-CN"), "zh");
});

test("a new figure sorts largest first, a name A to Z, and a second click turns it round", () => {
  assert.deepEqual(nextSort({ key: "", dir: "desc" }, "total"), { key: "total", dir: "desc" });
  assert.deepEqual(nextSort({ key: "total", dir: "desc" }, "total"), { key: "total", dir: "asc" });
  assert.deepEqual(nextSort({ key: "total", dir: "asc" }, "name"), { key: "name", dir: "asc" });
});

const rows = [
  { name: "b", total: 5, on_time_rate: null },
  { name: "a", total: 9, on_time_rate: 0.5 },
  { name: "c", total: 5, on_time_rate: 0.9 },
];

test("sorting keeps ties in the server's order and puts regions without a rate last", () => {
  assert.deepEqual(sortRows(rows, { key: "total", dir: "desc" }).map((r) => r.name), ["a", "b", "c"]);
  assert.deepEqual(sortRows(rows, { key: "total", dir: "asc" }).map((r) => r.name), ["b", "c", "a"]);
  assert.deepEqual(sortRows(rows, { key: "on_time_rate", dir: "desc" }).map((r) => r.name), ["c", "a", "b"]);
  assert.deepEqual(sortRows(rows, { key: "on_time_rate", dir: "asc" }).map((r) => r.name), ["a", "c", "b"]);
  assert.deepEqual(sortRows(rows, { key: "name", dir: "asc" }).map((r) => r.name), ["a", "b", "c"]);
  // Text by code point, as the server orders an export (not by pinyin).
  const names = [{ name: "罗庄区" }, { name: "兰山区" }, { name: "Z" }];
  assert.deepEqual(sortRows(names, { key: "name", dir: "asc" }).map((r) => r.name), ["Z", "兰山区", "罗庄区"]);
  assert.deepEqual(sortRows(rows, { key: "" }).map((r) => r.name), ["b", "a", "c"]);
});

test("rates read as percentages, and no closed case as a dash", () => {
  assert.equal(formatRate(0.8765, "en"), "87.7%");
  assert.equal(formatRate(1, "en"), "100%");
  assert.equal(formatRate(0, "en"), "0%");
  assert.equal(formatRate(null, "en"), "—");
  assert.equal(cellText({ avg_handling_h: 12.25 }, "avg_handling_h", "en"), "12.3");
  assert.equal(cellText({ avg_handling_h: null }, "avg_handling_h", "en"), "—");
  assert.equal(cellText({ overdue: 0 }, "overdue", "en"), "0");
});

test("a region goes down unless it is the region shown or a grid; workers and departments do not", () => {
  const region = { region_id: "d1" };
  assert.equal(canDrill({ region_id: "s1", level: "street" }, region), true);
  assert.equal(canDrill({ region_id: "d1", level: "district" }, region), false);
  assert.equal(canDrill({ region_id: "g1", level: "grid" }, region), false);
  assert.equal(canDrill({ worker_id: "w1" }, region), false);
});

test("the rows' own columns are named for the grouping, the figures alike everywhere", () => {
  assert.equal(columnLabel("name", "worker"), "assessment.label.worker.name");
  assert.equal(columnLabel("region_name", "worker"), "assessment.label.worker.region_name");
  assert.equal(columnLabel("closed", "department"), "assessment.col.closed");
  assert.deepEqual(rankingKeys("region"), ["on_time_rate", "closed"]);
  assert.deepEqual(rankingKeys("department"), ["handled_on_time_rate", "closed"]);
});

test("the ranking is best first, in percent", () => {
  assert.deepEqual(rankingData(rows, "on_time_rate"), { labels: ["c", "a", "b"], values: [90, 50, null] });
  assert.deepEqual(rankingData(rows, "total").labels, ["a", "b", "c"]);
  assert.deepEqual(rankingData([{ name: "x", handled_on_time_rate: 0.25 }], "handled_on_time_rate").values, [25]);
});

const t = (key, values = {}) => `${key}(${Object.entries(values).map(([k, v]) => `${k}=${v}`).join(",")})`;

test("the charts say in words what they draw", () => {
  const series = [{ period: "2026-03", reported: 11, closed: 6 }, { period: "2026-04", reported: 5, closed: 2 }];
  assert.deepEqual(trendData(series), { labels: ["2026-03", "2026-04"], reported: [11, 5], closed: [6, 2] });
  const words = trendSummary(t, series);
  assert.match(words, /period=2026-03,reported=11,closed=6/);
  assert.match(words, /period=2026-04,reported=5,closed=2/);
  const ranking = rankingSummary(t, rows, "on_time_rate", "en");
  assert.match(ranking, /c 90%.*a 50%.*b —/);
});
