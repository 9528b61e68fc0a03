// The clerk console's rules: which buttons a window's state allows, what a key press asks
// for, what each action sends.
import assert from "node:assert/strict";
import { test } from "node:test";

import { actionRequest, allowedActions, minutes, shortcutAction, transferBody } from "../../pwa/console/clerk.js";

const free = { id: "w1", status: "open", current: null };
const busy = { id: "w1", status: "open", current: { id: "t1", number: "A001", can_no_show: false } };
const recalled = { ...busy, current: { ...busy.current, can_no_show: true } };

test("a free open window calls; a busy one recalls, transfers and finishes; no-show after a recall", () => {
  assert.deepEqual(allowedActions(free), { call: true, recall: false, no_show: false, transfer: false,
    finish: false, pause: true, resume: false });
  assert.deepEqual(allowedActions(busy), { call: false, recall: true, no_show: false, transfer: true,
    finish: true, pause: true, resume: false });
  assert.equal(allowedActions(recalled).no_show, true);
});

test("a paused or closed window does not call but resumes, and still finishes its ticket", () => {
  for (const status of ["paused", "closed"]) {
    const allowed = allowedActions({ ...busy, status });
    assert.equal(allowed.call, false);
    assert.equal(allowed.pause, false);
    assert.equal(allowed.resume, true);
    assert.equal(allowed.finish, true);
  }
  assert.equal(Object.values(allowedActions(null)).some(Boolean), false);
});

const key = (k, extra = {}) => ({ key: k, target: { tagName: "BODY" }, ...extra });

test("shortcuts: a bare letter, either case, only when allowed", () => {
  assert.equal(shortcutAction(key("n"), allowedActions(free)), "call");
  assert.equal(shortcutAction(key("N"), allowedActions(free)), "call");
  assert.equal(shortcutAction(key("n"), allowedActions(busy)), null);
  assert.equal(shortcutAction(key("f"), allowedActions(busy)), "finish");
  assert.equal(shortcutAction(key("x"), allowedActions(busy)), null);
  assert.equal(shortcutAction(key("x"), allowedActions(recalled)), "no_show");
  assert.equal(shortcutAction(key("p"), allowedActions(free)), "pause");
  assert.equal(shortcutAction(key("p"), allowedActions({ ...free, status: "paused" })), "resume");
  assert.equal(shortcutAction(key("q"), allowedActions(free)), null);
});

test("shortcuts are not taken from typing or from browser shortcuts", () => {
  const allowed = allowedActions(free);
  for (const tagName of ["INPUT", "SELECT", "TEXTAREA"]) assert.equal(shortcutAction(key("n", { target: { tagName } }), allowed), null);
  assert.equal(shortcutAction(key("n", { target: { tagName: "DIV", isContentEditable: true } }), allowed), null);
  for (const modifier of ["ctrlKey", "altKey", "metaKey", "repeat"]) assert.equal(shortcutAction(key("n", { [modifier]: true }), allowed), null);
});

test("each action's request", () => {
  assert.deepEqual(actionRequest("call", busy), ["/api/v1/windows/w1/call", {}]);
  assert.deepEqual(actionRequest("pause", busy), ["/api/v1/windows/w1/pause", {}]);
  assert.deepEqual(actionRequest("resume", busy), ["/api/v1/windows/w1/resume", {}]);
  assert.deepEqual(actionRequest("recall", busy), ["/api/v1/tickets/t1/recall", {}]);
  assert.deepEqual(actionRequest("no_show", busy), ["/api/v1/tickets/t1/no-show", {}]);
  assert.deepEqual(actionRequest("finish", busy), ["/api/v1/tickets/t1/finish", {}]);
  assert.deepEqual(actionRequest("transfer", busy, { window_id: "w2" }), ["/api/v1/tickets/t1/transfer", { window_id: "w2" }]);
});

test("a transfer's body names exactly one target", () => {
  assert.deepEqual(transferBody("service:s1"), { service_id: "s1" });
  assert.deepEqual(transferBody("window:w2"), { window_id: "w2" });
  for (const bad of ["", null, "service:", "desk:x"]) assert.equal(transferBody(bad), null);
});

test("waited minutes are whole and never negative", () => {
  assert.equal(minutes(59), 0);
  assert.equal(minutes(61), 1);
  assert.equal(minutes(-30), 0);
  assert.equal(minutes(undefined), 0);
});
