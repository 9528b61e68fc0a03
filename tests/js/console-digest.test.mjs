// The command centre's home: the counts, the reports waiting to be registered and the late
// cases, from what the store holds.
import assert from "node:assert/strict";
import { test } from "node:test";

import { consoleDigest, DIGEST_LINKS, LATE_SHOWN } from "../../pwa/app/cases.js";

const NOW = "2026-12-07T06:00:00.000Z";
const dayOf = (iso) => iso.slice(0, 10);
const report = (id, status, fields = {}) => ({ id, status, reported_at: "2026-12-01T02:00:00Z",
  deadline_at: "2026-12-09T09:00:00Z", step_deadline_at: "2026-12-08T09:00:00Z", ...fields });

test("counts: waiting, in hand, overdue, a late step apart from a late case, new today", () => {
  const reports = [
    report("new", "reported", { reported_at: "2026-12-07T01:00:00Z" }),
    report("old", "reported", { step_deadline_at: "2026-12-02T01:00:00Z" }),
    report("late", "dispatched", { deadline_at: "2026-12-05T09:00:00Z", step_deadline_at: "2026-12-04T09:00:00Z" }),
    report("fine", "handled"),
    report("done", "closed", { deadline_at: "2026-12-02T00:00:00Z" }),
    report("merged", "merged", { deadline_at: "2026-12-02T00:00:00Z" }),
  ];
  const digest = consoleDigest(reports, NOW, "2026-12-07", dayOf);
  assert.deepEqual(digest.counts, { waiting: 2, in_hand: 2, overdue: 1, step_overdue: 1, today: 1, all: 6 });
  assert.deepEqual(digest.waiting.map((r) => r.id), ["new", "old"]);
  // The late case as a whole first, then the case late only at its step; finished ones never.
  assert.deepEqual(digest.late.map((r) => r.id), ["late", "old"]);
  assert.equal(digest.isLate(reports[2]), true);
  assert.equal(digest.isLate(reports[1]), false);
});

test("the late list is cut at LATE_SHOWN, most overdue first, and says how many there are", () => {
  const reports = Array.from({ length: LATE_SHOWN + 5 }, (_, i) => report(`c${i}`, "registered", {
    deadline_at: `2026-11-${String(i + 1).padStart(2, "0")}T09:00:00Z` }));
  const digest = consoleDigest(reports, NOW, "2026-12-07", dayOf);
  assert.equal(digest.late.length, LATE_SHOWN);
  assert.equal(digest.lateTotal, LATE_SHOWN + 5);
  assert.equal(digest.late[0].id, "c0");
});

test("an empty store is all zeros", () => {
  const digest = consoleDigest([], NOW, "2026-12-07", dayOf);
  assert.deepEqual(digest.counts, { waiting: 0, in_hand: 0, overdue: 0, step_overdue: 0, today: 0, all: 0 });
  assert.deepEqual(digest.waiting, []);
});

test("each count leads to the case list filtered the same way", () => {
  assert.equal(DIGEST_LINKS.waiting, "#/console/cases?status=reported");
  assert.equal(DIGEST_LINKS.overdue, "#/console/cases?overdue=true");
  assert.match(DIGEST_LINKS.in_hand, /status=registered&status=dispatched&status=handled&status=verified/);
  assert.equal(DIGEST_LINKS.all, "#/console/cases");
});
