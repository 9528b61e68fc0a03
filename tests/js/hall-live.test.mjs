// Following a hall (app/hall-live.js) with a stand-in EventSource: hall frames reach the
// caller; every reopening (after a dropped network, a planned end, a refusal) tells it to
// resync; a refused stream, which EventSource gives up on, is tried again later; a stream
// silent for three pings, or a browser gone offline, is closed and reopened.
import assert from "node:assert/strict";
import { mock, test } from "node:test";

import { hallEvent, retryDelay, staleAfterMs, watchHall } from "../../pwa/app/hall-live.js";

class FakeSource {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSED = 2;
  static made = [];

  constructor(url) {
    this.url = url;
    this.readyState = FakeSource.CONNECTING;
    this.listeners = {};
    this.closed = false;
    FakeSource.made.push(this);
  }

  addEventListener(name, fn) {
    (this.listeners[name] ||= []).push(fn);
  }

  close() {
    this.closed = true;
    this.readyState = FakeSource.CLOSED;
  }

  // What the browser would do.
  open() {
    this.readyState = FakeSource.OPEN;
    this.onopen?.();
  }

  frame(name, data) {
    for (const fn of this.listeners[name] || []) fn({ data: JSON.stringify(data) });
  }

  fail(readyState) {
    this.readyState = readyState;
    this.onerror?.();
  }
}

function follow() {
  FakeSource.made = [];
  const events = [];
  const states = [];
  const stop = watchHall("h-1", (e) => events.push(e), {
    EventSourceImpl: FakeSource, onState: (s) => states.push(s),
  });
  return { events, states, stop, last: () => FakeSource.made.at(-1) };
}

test("hall frames reach the caller with every field, absent ones as null", () => {
  const { events, last, stop } = follow();
  assert.equal(last().url, "/api/v1/halls/h-1/events");
  last().open();
  last().frame("hall", { id: "h-1", kind: "called", number: "A012", window: 3, service_id: "s", waiting: { s: 4 }, at: "t" });
  assert.deepEqual(events, [{ kind: "called", number: "A012", window: 3, service_id: "s", waiting: { s: 4 }, alert: null, at: "t" }]);
  stop();
  assert.equal(last().closed, true);
});

test("the first open is no resync; reopening after a dropped network is", () => {
  const { events, states, last, stop } = follow();
  last().open();
  assert.deepEqual(events, []);
  last().fail(FakeSource.CONNECTING);  // the browser retries by itself
  assert.equal(states.at(-1), "reconnecting");
  assert.equal(FakeSource.made.length, 1);
  last().open();
  assert.deepEqual(events, [{ kind: "resync" }]);
  assert.deepEqual(states, ["connecting", "live", "reconnecting", "live"]);
  stop();
});

test("a resync frame is passed on", () => {
  const { events, last, stop } = follow();
  last().open();
  last().frame("resync", {});
  assert.deepEqual(events, [{ kind: "resync" }]);
  stop();
});

test("a planned end reopens at once, and the new stream resyncs", () => {
  const { events, last, stop } = follow();
  const first = last();
  first.open();
  first.frame("end", {});
  assert.equal(first.closed, true);
  assert.equal(FakeSource.made.length, 2);
  last().open();
  assert.deepEqual(events, [{ kind: "resync" }]);
  stop();
});

test("a refused stream (EventSource gives up) is tried again after a pause", () => {
  mock.timers.enable({ apis: ["setTimeout"] });
  try {
    const { events, last, stop } = follow();
    last().open();
    last().fail(FakeSource.CLOSED);  // e.g. 503 too_many_streams
    assert.equal(FakeSource.made.length, 1);
    mock.timers.tick(1_000);
    assert.equal(FakeSource.made.length, 1);
    mock.timers.tick(2_000);
    assert.equal(FakeSource.made.length, 2);
    last().open();
    assert.deepEqual(events, [{ kind: "resync" }]);
    stop();
    last().fail(FakeSource.CLOSED);  // nothing listens any more
    mock.timers.tick(120_000);
    assert.equal(FakeSource.made.length, 2);
  } finally {
    mock.timers.reset();
  }
});

test("stop() before a retry cancels it", () => {
  mock.timers.enable({ apis: ["setTimeout"] });
  try {
    const { last, stop } = follow();
    last().fail(FakeSource.CLOSED);
    stop();
    mock.timers.tick(120_000);
    assert.equal(FakeSource.made.length, 1);
  } finally {
    mock.timers.reset();
  }
});

test("a caller that throws does not stop the stream", () => {
  FakeSource.made = [];
  const seen = [];
  const error = console.error;
  console.error = () => {};
  try {
    const stop = watchHall("h", (e) => { seen.push(e.number); throw new Error("boom"); }, { EventSourceImpl: FakeSource });
    const source = FakeSource.made[0];
    source.open();
    source.frame("hall", { kind: "taken", number: "A001" });
    source.frame("hall", { kind: "taken", number: "A002" });
    assert.deepEqual(seen, ["A001", "A002"]);
    stop();
  } finally {
    console.error = error;
  }
});

test("retry pauses grow to a minute, spread by a quarter either way", () => {
  assert.equal(retryDelay(1, () => 0.5), 2_000);
  assert.equal(retryDelay(2, () => 0.5), 4_000);
  assert.equal(retryDelay(10, () => 0.5), 60_000);
  assert.equal(retryDelay(1, () => 0), 1_500);
  assert.equal(retryDelay(1, () => 1), 2_500);
});

test("a frame that is not JSON still tells its kind as null, not a crash", () => {
  assert.deepEqual(hallEvent(null), { kind: null, number: null, window: null, service_id: null, waiting: null, alert: null, at: null });
});

test("a stream silent for three pings is reopened; pings and events keep it", () => {
  mock.timers.enable({ apis: ["setTimeout", "setInterval"] });
  let clock = 0;
  FakeSource.made = [];
  const events = [];
  const states = [];
  const stop = watchHall("h", (e) => events.push(e), {
    EventSourceImpl: FakeSource, now: () => clock, onState: (s) => states.push(s), events: null,
  });
  try {
    FakeSource.made[0].open();
    FakeSource.made[0].frame("ping", { every_s: 15 });
    for (let i = 0; i < 8; i += 1) {  // two minutes of pings every 15 s: alive
      clock += 15_000;
      mock.timers.tick(15_000);
      FakeSource.made[0].frame("ping", { every_s: 15 });
    }
    assert.equal(FakeSource.made.length, 1);
    clock += 50_000;  // then nothing for 50 s: dead
    mock.timers.tick(50_000);
    assert.equal(FakeSource.made.length, 2);
    assert.equal(FakeSource.made[0].closed, true);
    assert.equal(states.at(-1), "reconnecting");
    FakeSource.made[1].open();
    assert.deepEqual(events, [{ kind: "resync" }]);
  } finally {
    stop();
    mock.timers.reset();
  }
});

test("going offline closes the stream at once; coming online reopens it and resyncs", () => {
  FakeSource.made = [];
  const target = new EventTarget();
  const events = [];
  const states = [];
  const stop = watchHall("h", (e) => events.push(e), {
    EventSourceImpl: FakeSource, onState: (s) => states.push(s), events: target,
  });
  FakeSource.made[0].open();
  target.dispatchEvent(new Event("offline"));
  assert.equal(FakeSource.made[0].closed, true);
  assert.equal(states.at(-1), "reconnecting");
  target.dispatchEvent(new Event("online"));
  assert.equal(FakeSource.made.length, 2);
  FakeSource.made[1].open();
  assert.deepEqual(events, [{ kind: "resync" }]);
  stop();
  target.dispatchEvent(new Event("online"));  // stopped: nothing more
  assert.equal(FakeSource.made.length, 2);
});

test("silence counts as death after three pings' time, never under 30 s", () => {
  assert.equal(staleAfterMs(15), 45_000);
  assert.equal(staleAfterMs(1), 30_000);
  assert.equal(staleAfterMs(undefined), 60_000);
});
