// The hall manager's console: an alert's subject and facts in words from the real catalogues,
// which alerts are new since the last read (the cue), stars, and which hall is shown.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { alertFacts, alertSubject, newAlerts, pickHall, stars } from "../../pwa/console/hall.js";
import { t, useCatalogue } from "../../pwa/app/i18n.js";

const catalogue = (lang) => JSON.parse(readFileSync(new URL(`../../pwa/i18n/${lang}.json`, import.meta.url), "utf8"));

test("an alert's subject: a ticket at its window, a window, a service", () => {
  useCatalogue("zh-CN", catalogue("zh-CN"));
  assert.equal(alertSubject(t, { kind: "overtime_service", subject_label: "A007", detail: { window: 2 } }),
    "A007（2 号窗口）");
  assert.equal(alertSubject(t, { kind: "idle_window", subject_label: "3", detail: { window: 3 } }), "3 号窗口");
  assert.equal(alertSubject(t, { kind: "paused_window", subject_label: "4", detail: {} }), "4 号窗口");
  assert.equal(alertSubject(t, { kind: "long_wait", subject_label: "C 社保医保", detail: {} }), "C 社保医保");
  useCatalogue("en", catalogue("en"));
  assert.equal(alertSubject(t, { kind: "idle_window", subject_label: "3", detail: { window: 3 } }), "Window 3");
});

test("an alert's facts leave out what it does not carry", () => {
  useCatalogue("en", catalogue("en"));
  assert.equal(alertFacts(t, { detail: { limit_min: 30, waiting: 2 } }, "en"), "limit 30 min · 2 waiting");
  assert.equal(alertFacts(t, { detail: {} }, "en"), "");
  assert.match(alertFacts(t, { detail: { since: "2026-12-07T01:00:00Z" } }, "en"), /^since /);
});

test("every alert kind and rating reason has words in both languages", () => {
  for (const lang of ["zh-CN", "en"]) {
    const words = catalogue(lang);
    for (const kind of ["overtime_service", "idle_window", "paused_window", "long_wait"]) {
      assert.ok(words[`hallmgr.kind.${kind}`], `${lang} ${kind}`);
    }
    for (const reason of ["efficient", "courteous", "clear", "long_wait", "attitude", "unclear", "repeat_visit", "other"]) {
      assert.ok(words[`hallmgr.reason.${reason}`], `${lang} ${reason}`);
    }
  }
});

test("only unacknowledged alerts not read before are new; nothing is new on the first read", () => {
  const alerts = [{ id: "a" }, { id: "b", acknowledged_at: "2026-12-07T01:00:00Z" }, { id: "c" }];
  assert.deepEqual(newAlerts(null, alerts), []);
  assert.deepEqual(newAlerts(new Set(["a"]), alerts).map((a) => a.id), ["c"]);
  assert.deepEqual(newAlerts(new Set(["a", "b", "c"]), alerts), []);
});

test("stars and the hall shown", () => {
  assert.equal(stars(2), "★★☆☆☆");
  assert.equal(stars(5), "★★★★★");
  const halls = [{ id: "h1" }, { id: "h2" }];
  assert.equal(pickHall(halls, "h2").id, "h2");
  assert.equal(pickHall(halls, "nope").id, "h1");
  assert.equal(pickHall([], null), null);
});

test("the bell words the hall's notices and leads them to this page", async () => {
  const { noticePath, noticeText } = await import("../../pwa/app/ui/notification-bell.js");
  useCatalogue("zh-CN", catalogue("zh-CN"));
  const alert = { kind: "hall_alert", subject_id: "x", params: { kind: "idle_window", subject_label: "2" } };
  assert.equal(noticeText(t, alert, "zh-CN"), "大厅告警：窗口空闲 · 2 号窗口");
  const rating = { kind: "bad_rating", subject_id: "y", params: { number: "A011", score: 1 } };
  assert.equal(noticeText(t, rating, "zh-CN"), "差评待整改：A011 获评 1 分");
  assert.equal(noticePath(alert, "console"), "/console/hall");
  assert.equal(noticePath(rating, "phone"), "/console/hall");
});

test("the audit log says which alert was acknowledged and which rating followed up", async () => {
  const { describeDetails } = await import("../../pwa/console/audit.js");
  useCatalogue("zh-CN", catalogue("zh-CN"));
  assert.equal(describeDetails({ action: "hall.alert_acknowledged", details: { kind: "long_wait", subject: "C 社保医保" } }, t),
    "等候过久 · C 社保医保");
  assert.equal(describeDetails({ action: "hall.followup_recorded", details: { number: "A011", score: 1 } }, t),
    "A011 · 1 分（满分 5 分）");
});

test("a hall manager's home is this page", async () => {
  const { deskHome } = await import("../../pwa/screens/home.js");
  assert.equal(deskHome(["hall_manager"]), "/console/hall");
  assert.equal(deskHome(["hall_manager", "admin"]), "/console");
});
