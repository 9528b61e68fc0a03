// The sync client's pure logic: local views over the outbox, retry timing, batching.
// Run by `make test` with node's built-in test runner.
import assert from "node:assert/strict";
import { test } from "node:test";

import { BASE_DELAY_MS, MAX_DELAY_MS, batches, nextDelay } from "../../pwa/app/backoff.js";
import { applyPending, changedFields, isNewer, viewCollection } from "../../pwa/app/merge.js";

const server = { id: "r1", version: 3, description: "old", status: "reported" };
const m = (mid, op, fields = {}, id = "r1", collection = "reports") => ({ mid, op, fields, id, collection });

test("a record without pending changes is the server's, unmarked", () => {
  assert.deepEqual(applyPending(server, []), server);
});

test("pending updates apply on top of the server record, in order, and mark it pending", () => {
  const view = applyPending(server, [m(1, "update", { description: "a" }), m(2, "update", { description: "b", note: "n" })]);
  assert.equal(view.description, "b");
  assert.equal(view.note, "n");
  assert.equal(view.status, "reported");
  assert.equal(view._pending, true);
  assert.equal(server.description, "old", "the server record itself is not changed");
});

test("a pending create shows before the server has it", () => {
  const view = applyPending(undefined, [m(1, "create", { description: "new" }, "r2")]);
  assert.deepEqual(view, { description: "new", id: "r2", version: 0, _pending: true });
});

test("a pending delete hides the record; an update after it does not bring it back", () => {
  assert.equal(applyPending(server, [m(1, "delete")]), undefined);
  assert.equal(applyPending(server, [m(1, "delete"), m(2, "update", { description: "x" })]), undefined);
});

test("an update of a record the phone does not hold stays invisible", () => {
  assert.equal(applyPending(undefined, [m(1, "update", { description: "x" }, "gone")]), undefined);
});

test("a collection view merges server records and outbox, other collections untouched", () => {
  const outbox = [m(2, "update", { description: "mine" }), m(1, "create", { description: "fresh" }, "r2"),
    m(3, "create", { lat: 1 }, "p1", "patrols")];
  const view = viewCollection([server, { id: "r3", version: 1, description: "other" }], outbox, "reports");
  const byId = Object.fromEntries(view.map((r) => [r.id, r]));
  assert.deepEqual(Object.keys(byId).sort(), ["r1", "r2", "r3"]);
  assert.equal(byId.r1.description, "mine");
  assert.equal(byId.r3._pending, undefined);
});

test("mutations of one record apply in mid order even if the outbox lists them otherwise", () => {
  const view = viewCollection([server], [m(5, "update", { description: "later" }), m(4, "update", { description: "earlier" })], "reports");
  assert.equal(view[0].description, "later");
});

test("only changed fields are sent", () => {
  assert.deepEqual(changedFields(server, { description: "old", status: "closed" }), { status: "closed" });
  assert.deepEqual(changedFields({ photos: ["a"] }, { photos: ["a"] }), {});
});

test("an older version never replaces a newer one", () => {
  assert.equal(isNewer(2, { version: 3 }), false);
  assert.equal(isNewer(3, { version: 3 }), true);
  assert.equal(isNewer(1, undefined), true);
});

test("back-off grows exponentially, stays under the cap, and is jittered but never zero", () => {
  assert.equal(nextDelay(1, () => 1), BASE_DELAY_MS);
  assert.equal(nextDelay(3, () => 1), BASE_DELAY_MS * 4);
  assert.equal(nextDelay(50, () => 1), MAX_DELAY_MS);
  assert.equal(nextDelay(3, () => 0), BASE_DELAY_MS * 4 * 0.1);
  const samples = new Set(Array.from({ length: 20 }, () => nextDelay(4)));
  assert.ok(samples.size > 1, "random jitter spreads retries");
  for (const delay of samples) assert.ok(delay >= BASE_DELAY_MS * 8 * 0.1 && delay <= BASE_DELAY_MS * 8);
});

test("batches respect the count and byte limits and keep mid order", () => {
  const outbox = Array.from({ length: 7 }, (_, i) => m(i + 1, "update", { description: "x".repeat(100) }));
  const byCount = batches(outbox, 3);
  assert.deepEqual(byCount.map((b) => b.length), [3, 3, 1]);
  assert.deepEqual(byCount.flat().map((x) => x.mid), [1, 2, 3, 4, 5, 6, 7]);
  const size = JSON.stringify(outbox[0]).length;
  assert.deepEqual(batches(outbox, 100, size * 2).map((b) => b.length), [2, 2, 2, 1]);
  assert.deepEqual(batches([m(1, "create", { description: "x".repeat(5000) })], 10, 100).map((b) => b.length), [1],
    "a single mutation larger than the byte budget still goes, alone");
});
