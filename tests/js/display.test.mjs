// The hall's display (display/display.js): which call is shown big, which events chime, how a
// window's state reads, and the board reload's debounce; with the real catalogues' sentence.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mock, test } from "node:test";

import { chimes, currentCall, debounce, windowStateKey } from "../../pwa/display/display.js";

const catalogue = (lang) => JSON.parse(readFileSync(new URL(`../../pwa/i18n/${lang}.json`, import.meta.url), "utf8"));

const BOARD = {
  calls: [
    { number: "A012", window: 3, service_code: "A", service_name: "不动产登记", called_at: "t2", recalls: 0 },
    { number: "B004", window: 1, service_code: "B", service_name: "企业开办", called_at: "t1", recalls: 1 },
  ],
};

test("the board's latest call is shown big until an event brings a newer one", () => {
  assert.deepEqual(currentCall(BOARD), { number: "A012", window: 3, recalled: false });
  assert.deepEqual(currentCall(BOARD, { kind: "called", number: "C001", window: 4 }),
    { number: "C001", window: 4, recalled: false });
  assert.deepEqual(currentCall(BOARD, { kind: "recalled", number: "B004", window: 1 }),
    { number: "B004", window: 1, recalled: true });
  // Other events leave the board's call.
  assert.deepEqual(currentCall(BOARD, { kind: "taken", number: "A020" }), currentCall(BOARD));
  assert.equal(currentCall({ calls: [] }), null);
  assert.equal(currentCall(null), null);
});

test("only calls and recalls chime", () => {
  assert.equal(chimes({ kind: "called", number: "A1", window: 2 }), true);
  assert.equal(chimes({ kind: "recalled", number: "A1", window: 2 }), true);
  for (const kind of ["taken", "cancelled", "finished", "no_show", "transferred", "resync"]) {
    assert.equal(chimes({ kind, number: "A1" }), false, kind);
  }
});

test("a window shows its number, or that it is free, paused or closed", () => {
  assert.equal(windowStateKey({ status: "open", serving: "A012" }), null);
  assert.equal(windowStateKey({ status: "open", serving: null }), "display.window_free");
  assert.equal(windowStateKey({ status: "paused", serving: "A012" }), "display.window_paused");
  assert.equal(windowStateKey({ status: "closed", serving: null }), "display.window_closed");
});

test("a burst of events reloads the board once, after the last", () => {
  mock.timers.enable({ apis: ["setTimeout"] });
  try {
    let loads = 0;
    const reload = debounce(() => { loads += 1; }, 100);
    reload();
    mock.timers.tick(60);
    reload();
    mock.timers.tick(60);
    reload();
    assert.equal(loads, 0);
    mock.timers.tick(100);
    assert.equal(loads, 1);
    reload();
    reload.cancel();
    mock.timers.tick(500);
    assert.equal(loads, 1);
  } finally {
    mock.timers.reset();
  }
});

test("the call's sentence has both blanks in both languages", () => {
  for (const lang of ["zh-CN", "en"]) {
    const text = catalogue(lang)["display.call"];
    assert.ok(text.includes("{number}") && text.includes("{window}"), lang);
  }
  assert.equal(catalogue("zh-CN")["display.call"], "请 {number} 到 {window} 号窗口");
});
