// The report form's category search and the report helpers: offline, pure functions.
import assert from "node:assert/strict";
import { test } from "node:test";

import { categoryName, searchCategories } from "../../pwa/app/categories.js";
import { canEdit, canGiveFeedback, filterReports, isOverdue, regionAt, timelineOf } from "../../pwa/app/reports.js";

const CATALOGUE = [
  { code: "sanitation", name: "市容环卫", name_en: "Sanitation", parent_code: null, time_limit_h: 72 },
  { code: "road", name: "道路交通", name_en: "Roads", parent_code: null, time_limit_h: 72 },
  { code: "road.pothole", name: "道路破损", name_en: "Damaged road", parent_code: "road", time_limit_h: 48 },
  { code: "road.manhole", name: "井盖缺失破损", name_en: "Missing or broken manhole cover", parent_code: "road", time_limit_h: 4 },
  { code: "sanitation.garbage", name: "垃圾暴露", name_en: "Exposed garbage", parent_code: "sanitation", time_limit_h: 8 },
  { code: "misc.other", name: "其他事项", name_en: "Other", parent_code: "misc", time_limit_h: 72 },
];

const codes = (groups) => groups.map((g) => [g.parent?.code ?? null, g.items.map((c) => c.code)]);

test("no query lists every concrete category under its parent, unknown parents last", () => {
  assert.deepEqual(codes(searchCategories(CATALOGUE, "")), [
    ["road", ["road.manhole", "road.pothole"]],
    ["sanitation", ["sanitation.garbage"]],
    [null, ["misc.other"]],
  ]);
});

test("the Chinese name, the English name and the code all find a category", () => {
  for (const query of ["井盖", "MANHOLE", "road.manh"]) {
    assert.deepEqual(codes(searchCategories(CATALOGUE, query)), [["road", ["road.manhole"]]], query);
  }
});

test("a parent's name finds all its children, and every word must match", () => {
  assert.deepEqual(codes(searchCategories(CATALOGUE, "道路")), [["road", ["road.manhole", "road.pothole"]]]);
  assert.deepEqual(codes(searchCategories(CATALOGUE, "road broken")), [["road", ["road.manhole"]]]);
  assert.deepEqual(searchCategories(CATALOGUE, "不存在"), []);
});

test("the English name is shown in English when there is one", () => {
  assert.equal(categoryName(CATALOGUE[2], "en"), "Damaged road");
  assert.equal(categoryName(CATALOGUE[2], "zh-CN"), "道路破损");
  assert.equal(categoryName({ name: "仅中文", name_en: "" }, "en"), "仅中文");
});

test("open and closed filters split the list; cancelled counts as closed", () => {
  const reports = [{ id: 1, status: "reported" }, { id: 2, status: "handled" }, { id: 3, status: "closed" },
    { id: 4, status: "cancelled" }, { id: 5 }];
  assert.deepEqual(filterReports(reports, "open").map((r) => r.id), [1, 2, 5]);
  assert.deepEqual(filterReports(reports, "closed").map((r) => r.id), [3, 4]);
  assert.equal(filterReports(reports, "all").length, 5);
});

test("the reporter and supervisors may edit an open case; nobody a closed one", () => {
  const worker = { id: "u1", roles: ["worker"] };
  const boss = { id: "u2", roles: ["supervisor"] };
  assert.equal(canEdit({ status: "reported", reporter_id: "u1" }, worker), true);
  assert.equal(canEdit({ status: "reported", reporter_id: "u9" }, worker), false);
  assert.equal(canEdit({ status: "registered", reporter_id: "u9" }, boss), true);
  assert.equal(canEdit({ status: "closed", reporter_id: "u1" }, worker), false);
  assert.equal(canEdit({ reported_at: "x" }, worker), true, "not synced yet: mine");
});

test("overdue means past the deadline and still open", () => {
  const now = new Date("2026-11-24T00:00:00Z");
  assert.equal(isOverdue({ status: "dispatched", deadline_at: "2026-11-23T00:00:00Z" }, now), true);
  assert.equal(isOverdue({ status: "closed", deadline_at: "2026-11-23T00:00:00Z" }, now), false);
  assert.equal(isOverdue({ status: "reported", deadline_at: "2026-11-25T00:00:00Z" }, now), false);
  assert.equal(isOverdue({ status: "reported" }, now), false);
});

test("the server's timeline is shown oldest first; before sync, reported then waiting", () => {
  const server = [{ at: "2026-11-22T09:00:00Z", event: "status", status: "registered" },
    { at: "2026-11-22T07:40:00Z", event: "reported" }, { at: "2026-11-22T08:00:00Z", event: "received", code: "X" }];
  assert.deepEqual(timelineOf({ timeline: server }).map((s) => s.event), ["reported", "received", "status"]);
  assert.deepEqual(timelineOf({ reported_at: "2026-11-22T07:40:00Z", _pending: true }).map((s) => s.event),
    ["reported", "waiting"]);
});

test("the region under the pin is the smallest one holding it", () => {
  const square = (x0, y0, size) => ({ type: "Polygon",
    coordinates: [[[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]] });
  const regions = [{ name: "街道", level: "street", boundary: square(118, 35, 1) },
    { name: "网格", level: "grid", boundary: square(118.1, 35.1, 0.1) }];
  assert.equal(regionAt(regions, 35.15, 118.15).name, "网格");
  assert.equal(regionAt(regions, 35.5, 118.5).name, "街道");
  assert.equal(regionAt(regions, 40, 100), null);
});

test("feedback is the reporter's, on a finished case of others' doing, once", () => {
  const me = "u-citizen";
  const closedByOthers = { status: "closed", reporter_id: me, satisfaction: null,
    timeline: [{ at: "2026-11-22T08:00:00Z", event: "reported", by: me },
      { at: "2026-11-23T08:00:00Z", event: "action", status: "closed", by: "u-boss" }] };
  assert.equal(canGiveFeedback(closedByOthers, me), true);
  assert.equal(canGiveFeedback({ ...closedByOthers, status: "cancelled" }, me), true);
  assert.equal(canGiveFeedback(closedByOthers, "u-other"), false);
  assert.equal(canGiveFeedback({ ...closedByOthers, status: "handled" }, me), false);
  assert.equal(canGiveFeedback({ ...closedByOthers, satisfaction: "satisfied" }, me), false);
  const withdrawn = { ...closedByOthers, status: "cancelled",
    timeline: [...closedByOthers.timeline.slice(0, 1),
      { at: "2026-11-22T09:00:00Z", event: "action", status: "cancelled", by: me }] };
  assert.equal(canGiveFeedback(withdrawn, me), false);
});
