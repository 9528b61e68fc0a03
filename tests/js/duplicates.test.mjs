// Duplicates, merging and acting on many cases, as the PWA words and builds them: pure
// functions, with the real catalogues where words are checked.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import {
  bulkBody, caseQuery, describeStep, filtersFromQuery, refusedCases, regionChoices, selectionState, STATUSES,
} from "../../pwa/app/cases.js";
import { t, useCatalogue } from "../../pwa/app/i18n.js";
import { canEdit, canGiveFeedback, filterReports, isOpen, mergedIntoCode } from "../../pwa/app/reports.js";
import { noticePath, noticeText } from "../../pwa/app/ui/notification-bell.js";

const catalogue = (lang) => JSON.parse(readFileSync(new URL(`../../pwa/i18n/${lang}.json`, import.meta.url), "utf8"));

test("merged is a status of its own, in both catalogues", () => {
  assert.ok(STATUSES.includes("merged"));
  for (const lang of ["zh-CN", "en"]) assert.ok(catalogue(lang)["status.merged"], lang);
});

test("a merged report is no longer open: not editable, no feedback, listed with the finished", () => {
  const merged = { id: "r1", status: "merged", reporter_id: "u1", timeline: [
    { at: "2026-11-22T08:00:00Z", event: "reported", by: "u1" },
    { at: "2026-11-22T09:00:00Z", event: "action", action: "merge", status: "merged", merged_into_code: "C-7", by: "s1" }] };
  assert.equal(isOpen(merged), false);
  assert.equal(canEdit(merged, { id: "u1", roles: ["worker"] }), false);
  assert.equal(canGiveFeedback(merged, "u1"), false);
  assert.deepEqual(filterReports([merged], "closed"), [merged]);
  assert.equal(mergedIntoCode(merged), "C-7");
  // Moved along with a later merge: the newest code.
  const along = { ...merged, timeline: [...merged.timeline,
    { at: "2026-11-23T09:00:00Z", event: "merged_along", merged_into_code: "C-9" }] };
  assert.equal(mergedIntoCode(along), "C-9");
  assert.equal(mergedIntoCode({ status: "reported" }), null);
});

test("the timeline says what a merge did, on both cases", () => {
  useCatalogue("en", catalogue("en"));
  assert.equal(describeStep({ event: "action", action: "merge", status: "merged", merged_into_code: "C-7",
    by_name: "Lee", role: "supervisor" }, t).what, "Merged into case C-7");
  assert.equal(describeStep({ event: "merged_in", report_code: "R-2", reporter_name: "Wang" }, t).what,
    "Duplicate report R-2 merged in (reported by Wang)");
  assert.equal(describeStep({ event: "merged_along", merged_into_code: "C-9" }, t).what, "Moved along into case C-9");
});

test("a followed case's closing is worded and leads to the follower's own report", () => {
  useCatalogue("zh-CN", catalogue("zh-CN"));
  const notice = { kind: "followed_case_closed", subject_id: "r1", params: { code: "C-7", report_code: "R-2" } };
  assert.equal(noticeText(t, notice, "zh-CN"), "您的上报 R-2 已并入的案件 C-7 已结案");
  assert.equal(noticePath(notice, "phone"), "/reports/r1");
});

test("a bulk body names each case once and only what the action takes", () => {
  assert.deepEqual(bulkBody("register", ["a", "b", "a"], { departmentId: "d1", note: "  " }),
    { ids: ["a", "b"], action: "register" });
  assert.deepEqual(bulkBody("dispatch", ["a"], { departmentId: "d1", note: " 尽快 " }),
    { ids: ["a"], action: "dispatch", department_id: "d1", note: "尽快" });
});

test("the select-all box is clear, mixed or checked", () => {
  assert.equal(selectionState(0, 20), "none");
  assert.equal(selectionState(3, 20), "some");
  assert.equal(selectionState(20, 20), "all");
  assert.equal(selectionState(0, 0), "none");
});

test("a refused bulk request lists each case by its code with the server's reason", () => {
  const failure = { body: { error: { code: "invalid_transition", refused: [
    { id: "a", status: 409, code: "invalid_transition", current: { status: "registered" } },
    { id: "z", status: 404, code: "not_found" }] } } };
  const refused = refusedCases(failure, new Map([["a", "C-1"]]));
  assert.deepEqual(refused.map((r) => [r.code, r.error.code]), [["C-1", "invalid_transition"], ["z", "not_found"]]);
  assert.deepEqual(refusedCases(new Error("offline")), []);
});

test("the list narrows by region, kept in the address", () => {
  const filters = filtersFromQuery("region_id=r9&q=0420");
  assert.equal(filters.region_id, "r9");
  assert.match(caseQuery(filters), /region_id=r9/);
  assert.equal(filtersFromQuery("").region_id, "");
});

test("regions are offered from the top down, each under its parent", () => {
  const regions = [
    { id: "g1", parent_id: "s1", level: "grid", code: "3", name: "G1" },
    { id: "s1", parent_id: "d1", level: "street", code: "2", name: "S1" },
    { id: "d1", parent_id: "c", level: "district", code: "1", name: "D1" },
    { id: "s2", parent_id: "d1", level: "street", code: "4", name: "S2" },
  ];
  assert.deepEqual(regionChoices(regions).map((r) => [r.name, r.depth]),
    [["D1", 0], ["S1", 1], ["G1", 2], ["S2", 1]]);
});
