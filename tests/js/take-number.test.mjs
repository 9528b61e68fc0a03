// The take screen's words: distances to the fence, and a refused take's reason per code,
// filled from the error's details, with the app's usual words for a code it does not know.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { t, useCatalogue } from "../../pwa/app/i18n.js";
import { distanceWords, queueErrorText } from "../../pwa/screens/take-number.js";

const zh = JSON.parse(readFileSync(new URL("../../pwa/i18n/zh-CN.json", import.meta.url), "utf-8"));
const en = JSON.parse(readFileSync(new URL("../../pwa/i18n/en.json", import.meta.url), "utf-8"));

// The phone is in the city: times read in its zone.
process.env.TZ = "Asia/Shanghai";

const refused = (status, code, details = {}) => ({ status, code, body: { error: { code, message: "…", ...details } } });

test("a distance reads in metres below a kilometre, then in kilometres", () => {
  useCatalogue("zh-CN", zh);
  assert.equal(distanceWords(t, 0.4), "1 米");
  assert.equal(distanceWords(t, 909.4), "909 米");
  assert.equal(distanceWords(t, 1260), "1.3 公里");
});

test("each refusal of a take is said in words with its details", () => {
  useCatalogue("zh-CN", zh);
  assert.equal(queueErrorText(t, refused(409, "ticket_open", { number: "A007", ticket_id: "x" }), "zh-CN"),
    "您已经有这项业务的号 A007，办完或取消后才能再取。");
  assert.match(queueErrorText(t, refused(422, "position_too_coarse", { accuracy_m: 312.7 }), "zh-CN"), /约 313 米/);
  assert.match(queueErrorText(t, refused(409, "daily_limit_reached", { daily_limit: 200 }), "zh-CN"), /每天 200 个/);
  assert.match(queueErrorText(t, refused(409, "hall_closed", { opens_at: "2026-12-08T08:30:00+08:00" }), "zh-CN"),
    /12月8日.*08:30 开始取号/);
  assert.equal(queueErrorText(t, refused(409, "hall_closed", { opens_at: null }), "zh-CN"), zh["queue.error.hall_closed_long"]);
  // A code the queue does not word: the app's usual message for it.
  assert.equal(queueErrorText(t, refused(403, "forbidden"), "zh-CN"), zh["error.forbidden"]);
  assert.equal(queueErrorText(t, { status: 0, code: "network" }, "zh-CN"), zh["error.network"]);
});

test("the English catalogue words them too", () => {
  useCatalogue("en", en);
  assert.match(queueErrorText(t, refused(409, "already_rated"), "en"), /already been rated/);
  assert.equal(distanceWords(t, 1500), "1.5 km");
});
