// The citizen's queue without a screen: how waits read, which tickets come first, what hall
// events and pushes mean for one ticket, and a take retried over a failing link.
import assert from "node:assert/strict";
import { test } from "node:test";

import { callSignature, eventConcerns, forgetTakeKey, pushConcerns, reasonsFor, sendWithRetry,
  sortTickets, takeKey, waitingNow, waitWords, watchHallIfAvailable } from "../../pwa/app/queue.js";

test("a wait reads in sensible steps: soon, minutes, fives, hours", () => {
  assert.equal(waitWords(null), null);
  assert.deepEqual(waitWords(0), { key: "queue.wait_soon" });
  assert.deepEqual(waitWords(59), { key: "queue.wait_soon" });
  assert.deepEqual(waitWords(60), { key: "queue.wait_minutes", n: 1 });
  assert.deepEqual(waitWords(7 * 60 + 40), { key: "queue.wait_minutes", n: 8 });
  assert.deepEqual(waitWords(23 * 60), { key: "queue.wait_minutes", n: 25 });
  assert.deepEqual(waitWords(59 * 60), { key: "queue.wait_minutes", n: 60 });
  assert.deepEqual(waitWords(60 * 60), { key: "queue.wait_hours", h: 1 });
  assert.deepEqual(waitWords(96 * 60), { key: "queue.wait_hours_minutes", h: 1, n: 40 });
});

test("open tickets come first, called before waiting, then the newest", () => {
  const tickets = [
    { id: "old-done", status: "done", taken_at: "2026-12-01T01:00:00Z" },
    { id: "waiting", status: "waiting", taken_at: "2026-12-07T01:00:00Z" },
    { id: "new-cancelled", status: "cancelled", taken_at: "2026-12-07T02:00:00Z" },
    { id: "called", status: "called", taken_at: "2026-12-06T01:00:00Z" },
  ];
  assert.deepEqual(sortTickets(tickets).map((x) => x.id), ["called", "waiting", "new-cancelled", "old-done"]);
});

test("a hall event about the ticket's number is read at once, its queue's shortly, others' not", () => {
  const ticket = { number: "A003", service: { id: "svc-a" } };
  assert.equal(eventConcerns({ kind: "called", number: "A003", service_id: "svc-a" }, ticket), "now");
  assert.equal(eventConcerns({ kind: "resync" }, ticket), "now");
  assert.equal(eventConcerns({ kind: "called", number: "A001", service_id: "svc-a" }, ticket), "soon");
  assert.equal(eventConcerns({ kind: "window" }, ticket), "soon");
  assert.equal(eventConcerns({ kind: "called", number: "B001", service_id: "svc-b" }, ticket), null);
});

test("a push is for this ticket page when it names it, or names none", () => {
  assert.equal(pushConcerns({ ticket_id: "t1" }, "t1"), true);
  assert.equal(pushConcerns({ ticket_id: "t2", url: "/#/tickets/t2" }, "t1"), false);
  assert.equal(pushConcerns({ url: "/#/tickets/t1" }, "t1"), true);
  assert.equal(pushConcerns({ title: "x" }, "t1"), true);
});

test("being called, called again or sent to another window is felt once each", () => {
  assert.equal(callSignature({ status: "waiting" }), null);
  const first = callSignature({ status: "called", window: { number: 1 }, recalls: 0 });
  assert.notEqual(first, callSignature({ status: "called", window: { number: 1 }, recalls: 1 }));
  assert.notEqual(first, callSignature({ status: "called", window: { number: 2 }, recalls: 0 }));
});

test("the reasons offered follow the score", () => {
  assert.ok(reasonsFor(5).includes("efficient") && !reasonsFor(5).includes("attitude"));
  assert.ok(reasonsFor(1).includes("attitude") && !reasonsFor(1).includes("efficient"));
  assert.equal(reasonsFor(0).length, 8);
  assert.ok(reasonsFor(3).includes("other"));
});

function memoryStorage() {
  const map = new Map();
  return { getItem: (k) => map.get(k) ?? null, setItem: (k, v) => map.set(k, String(v)), removeItem: (k) => map.delete(k) };
}

test("one intended take keeps one key until it succeeds; each service has its own", () => {
  const storage = memoryStorage();
  let n = 0;
  const make = () => `key-${++n}`;
  const first = takeKey(storage, "u1", "svc-a", make);
  assert.equal(takeKey(storage, "u1", "svc-a", make), first);
  assert.notEqual(takeKey(storage, "u1", "svc-b", make), first);
  assert.notEqual(takeKey(storage, "u2", "svc-a", make), first);
  forgetTakeKey(storage, "u1", "svc-a");
  assert.notEqual(takeKey(storage, "u1", "svc-a", make), first);
});

test("a take is sent again while the link fails, and not when the server says no", async () => {
  const slept = [];
  const sleep = async (ms) => { slept.push(ms); };
  let calls = 0;
  const result = await sendWithRetry(async () => {
    calls += 1;
    if (calls < 3) throw Object.assign(new Error("offline"), { status: 0 });
    return "ticket";
  }, { sleep, random: () => 1 });
  assert.equal(result, "ticket");
  assert.equal(calls, 3);
  assert.deepEqual(slept, [1000, 2000]);

  calls = 0;
  const refused = Object.assign(new Error("fence"), { status: 403, code: "out_of_fence" });
  await assert.rejects(sendWithRetry(async () => { calls += 1; throw refused; }, { sleep }), refused);
  assert.equal(calls, 1);

  calls = 0;
  await assert.rejects(sendWithRetry(async () => { calls += 1; throw Object.assign(new Error("x"), { status: 503 }); },
    { sleep, attempts: 4 }));
  assert.equal(calls, 4);
});

test("the hall's live events are followed when the module is there, and nothing breaks when not", async () => {
  const seen = [];
  let stopped = false;
  const stop = watchHallIfAvailable("h1", (e) => seen.push(e), async () => ({
    watchHall: (hallId, onEvent) => { onEvent({ kind: "taken", hallId }); return () => { stopped = true; }; },
  }));
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(seen, [{ kind: "taken", hallId: "h1" }]);
  stop();
  assert.equal(stopped, true);
  let loaded = false;
  const none = watchHallIfAvailable("h1", (e) => seen.push(e), async () => {
    loaded = true;
    throw new Error("404");
  });
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(loaded, true);  // it tried, the failure was swallowed
  assert.doesNotThrow(none);
  assert.equal(seen.length, 1);  // and nothing more was heard
});

test("the waiting per service comes from the hall's board, or is unknown", async () => {
  const board = { waiting: [{ service_id: "a", waiting: 3 }, { service_id: "b", waiting: 0 }] };
  assert.deepEqual(await waitingNow("h1", async () => ({ fetchBoard: async () => board })), { a: 3, b: 0 });
  assert.equal(await waitingNow("h1", async () => ({ fetchBoard: async () => { throw new Error("503"); } })), null);
});
