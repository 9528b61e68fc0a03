// The assessment console's pure parts: period presets, the address and API query, the
// ranking's sort order, and how rates and hours read.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  assessmentHash, canDrill, cellText, exportLanguage, formatRate, nextSort, periodPreset,
  rankingData, sortRows, stackData, stateFromQuery, statsQuery,
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

test("the address gives region and period; without a valid period, the last 30 days", () => {
  assert.deepEqual(stateFromQuery("region_id=abc&from=2026-12-01&to=2026-12-05", WEDNESDAY),
    { region_id: "abc", from: "2026-12-01", to: "2026-12-05" });
  assert.deepEqual(stateFromQuery(undefined, WEDNESDAY), { region_id: "", from: "2026-11-10", to: "2026-12-09" });
  assert.deepEqual(stateFromQuery("from=yesterday&to=2026-12-05", WEDNESDAY),
    { region_id: "", from: "2026-11-10", to: "2026-12-09" });
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

test("a region goes down unless it is the region shown or a grid", () => {
  const region = { region_id: "d1" };
  assert.equal(canDrill({ region_id: "s1", level: "street" }, region), true);
  assert.equal(canDrill({ region_id: "d1", level: "district" }, region), false);
  assert.equal(canDrill({ region_id: "g1", level: "grid" }, region), false);
});

test("the ranking is best first, in percent; the stack splits open into in time and overdue", () => {
  assert.deepEqual(rankingData(rows, "on_time_rate"), { labels: ["c", "a", "b"], values: [90, 50, null] });
  assert.deepEqual(rankingData(rows, "total").labels, ["a", "b", "c"]);
  assert.deepEqual(stackData([{ name: "x", closed: 3, open: 4, overdue: 1 }]),
    { labels: ["x"], closed: [3], open: [3], overdue: [1] });
});
