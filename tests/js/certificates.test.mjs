// The wallet's words and rules: a number masked in the middle, statuses in words (a kept
// copy past its expiry reads expired), how old a kept copy is, the QR's size, and which of a
// clerk's requests still wait for an answer.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { t, useCatalogue } from "../../pwa/app/i18n.js";
import { QUIET_MODULES, qrSymbol, qrVersion } from "../../pwa/app/ui/qr-code.js";
import { answerErrorText, pendingRequests, requestStatus } from "../../pwa/screens/certificate-request.js";
import { useLines } from "../../pwa/screens/certificate.js";
import { certificateStatus, expiryWords, fieldLabel, isStale, maskNumber, offlineWords, savedWhen,
  STALE_AFTER_MS, statusText, typeName } from "../../pwa/screens/certificates.js";

const zh = JSON.parse(readFileSync(new URL("../../pwa/i18n/zh-CN.json", import.meta.url), "utf-8"));
const en = JSON.parse(readFileSync(new URL("../../pwa/i18n/en.json", import.meta.url), "utf-8"));

// The phone is in the city: times read in its zone.
process.env.TZ = "Asia/Shanghai";

const NOW = Date.parse("2026-12-07T02:00:00Z");  // 10:00 in the city

// RFC 9285, to make QR texts of a real certificate's length from random bytes.
const B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
function base45(bytes) {
  let out = "";
  for (let i = 0; i < bytes.length; i += 2) {
    if (i + 1 < bytes.length) {
      let n = bytes[i] * 256 + bytes[i + 1];
      for (let k = 0; k < 3; k += 1) { out += B45[n % 45]; n = Math.floor(n / 45); }
    } else {
      let n = bytes[i];
      for (let k = 0; k < 2; k += 1) { out += B45[n % 45]; n = Math.floor(n / 45); }
    }
  }
  return out;
}

test("a number shows its first and last four, its middle hidden, its length kept", () => {
  assert.equal(maskNumber("371302199001011234"), "3713**********1234");
  assert.equal(maskNumber("3713000012341234"), "3713********1234");
  assert.equal(maskNumber("91371300MA3C123456"), "9137**********3456");
});

test("a short number still hides its middle, and never shows whole", () => {
  assert.equal(maskNumber("LY2026001"), "LY*****01");
  assert.equal(maskNumber("A1234"), "A***4");
  assert.equal(maskNumber("AB"), "**");
  assert.equal(maskNumber(""), "");
  assert.equal(maskNumber(null), "");
});

test("each status is said in words, in both languages", () => {
  useCatalogue("zh-CN", zh);
  assert.deepEqual(["valid", "expired", "revoked", "suspended"].map((s) => statusText(t, s)),
    ["有效", "已过期", "已吊销", "已暂停使用"]);
  useCatalogue("en", en);
  assert.deepEqual(["valid", "expired", "revoked", "suspended"].map((s) => statusText(t, s)),
    ["Valid", "Expired", "Revoked", "Suspended"]);
});

test("a copy read as valid whose expiry has passed since reads expired", () => {
  const kept = { status: "valid", expires_at: "2026-12-06T16:00:00Z" };
  assert.equal(certificateStatus(kept, NOW), "expired");
  assert.equal(certificateStatus({ status: "valid", expires_at: "2027-01-01T00:00:00Z" }, NOW), "valid");
  assert.equal(certificateStatus({ status: "valid", expires_at: null }, NOW), "valid");
});

test("revoked and suspended stay so whatever the date; an unknown status is not called invalid", () => {
  assert.equal(certificateStatus({ status: "revoked", expires_at: "2020-01-01T00:00:00Z" }, NOW), "revoked");
  assert.equal(certificateStatus({ status: "suspended", expires_at: null }, NOW), "suspended");
  assert.equal(certificateStatus({ status: "valid" }, NOW), "valid");
});

test("a copy older than a day is stale; a missing time is stale", () => {
  assert.equal(isStale(new Date(NOW - 60_000).toISOString(), NOW), false);
  assert.equal(isStale(new Date(NOW - STALE_AFTER_MS + 1000).toISOString(), NOW), false);
  assert.equal(isStale(new Date(NOW - STALE_AFTER_MS - 1000).toISOString(), NOW), true);
  assert.equal(isStale(null, NOW), true);
});

test("offline, the wallet says when it was last read: the time today, the date before", () => {
  useCatalogue("zh-CN", zh);
  const now = new Date(NOW);
  assert.equal(offlineWords(t, "2026-12-07T01:41:00Z", "zh-CN", now), "离线 · 09:41 更新");
  assert.match(savedWhen("2026-12-05T01:41:00Z", "zh-CN", now), /^12\D5\D*\s?09:41$/);
  assert.equal(offlineWords(t, null, "zh-CN", now), "离线");
  useCatalogue("en", en);
  assert.equal(offlineWords(t, "2026-12-07T01:41:00Z", "en", now), "Offline · updated 09:41");
});

test("type names and field labels follow the language, Chinese when there is no English", () => {
  const card = { type: "ID", type_name: "居民身份证", type_name_en: "Resident ID card" };
  assert.equal(typeName(card, "zh-CN"), "居民身份证");
  assert.equal(typeName(card, "en"), "Resident ID card");
  assert.equal(typeName({ type: "BL", type_name: "营业执照", type_name_en: null }, "en"), "营业执照");
  assert.equal(fieldLabel({ key: "address", label: "住址", label_en: "Address" }, "en"), "Address");
  assert.equal(fieldLabel({ key: "address", label: "住址", label_en: "" }, "en"), "住址");
});

test("a certificate with no expiry is 长期有效", () => {
  useCatalogue("zh-CN", zh);
  assert.equal(expiryWords(t, { expires_at: null }, "zh-CN"), "长期有效");
  assert.match(expiryWords(t, { expires_at: "2036-05-01T00:00:00+08:00" }, "zh-CN"), /^有效期至 2036年5月1日$/);
});

test("a use says when, how, who and where; a check by nobody named says so", () => {
  useCatalogue("zh-CN", zh);
  const use = { at: "2026-12-07T01:30:00Z", channel: "consent", verifier: "王窗口",
    organisation: "临沂市政务服务中心", place: "临沂市政务服务中心 3号窗口" };
  const words = useLines(t, use, "zh-CN");
  assert.equal(words.channel, "授权出示");
  assert.equal(words.who, "王窗口 · 临沂市政务服务中心");
  assert.equal(words.place, "临沂市政务服务中心 3号窗口");
  assert.match(words.when, /09:30/);
  const anonymous = useLines(t, { at: use.at, channel: "verify", verifier: null, organisation: null, place: null }, "zh-CN");
  assert.equal(anonymous.who, "未具名核验");
  assert.equal(anonymous.channel, "扫码核验");
});

test("a certificate's QR text (Base45, alphanumeric mode) fits version 15 at M, with room", () => {
  // A COSE_Sign1 of one certificate is about 200 bytes; 380 (574 characters) still fits.
  for (const size of [200, 300, 380]) {
    const text = `CG1:${base45(randomBytes(size))}`;
    const symbol = qrSymbol(text);
    assert.equal(symbol.mode, "Alphanumeric");
    assert.ok(symbol.version <= 15, `${size} bytes drew version ${symbol.version}`);
    assert.equal(symbol.size, symbol.version * 4 + 17);
  }
  assert.equal(QUIET_MODULES, 4);
});

test("the alphanumeric mode keeps the code smaller than bytes would", () => {
  const text = `CG1:${base45(randomBytes(300))}`;
  assert.ok(qrVersion(text) < qrVersion(text.toLowerCase()), "lower case forces byte mode: a larger code");
});

test("a pending request past its time is expired; answered ones keep their answer", () => {
  const pending = { status: "pending", expires_at: "2026-12-07T02:05:00Z" };
  assert.equal(requestStatus(pending, NOW), "pending");
  assert.equal(requestStatus(pending, Date.parse("2026-12-07T02:05:01Z")), "expired");
  assert.equal(requestStatus({ status: "approved", expires_at: "2026-12-07T01:00:00Z" }, NOW), "approved");
  assert.equal(requestStatus({ status: "declined" }, NOW), "declined");
});

test("the ticket page shows only this ticket's requests still waiting, oldest first", () => {
  const items = [
    { id: "b", ticket_id: "T1", status: "pending", requested_at: "2026-12-07T01:59:00Z", expires_at: "2026-12-07T02:09:00Z" },
    { id: "a", ticket_id: "T1", status: "pending", requested_at: "2026-12-07T01:58:00Z", expires_at: "2026-12-07T02:08:00Z" },
    { id: "c", ticket_id: "T1", status: "approved", requested_at: "2026-12-07T01:55:00Z", expires_at: "2026-12-07T02:05:00Z" },
    { id: "d", ticket_id: "T1", status: "pending", requested_at: "2026-12-07T01:40:00Z", expires_at: "2026-12-07T01:50:00Z" },
    { id: "e", ticket_id: "T2", status: "pending", requested_at: "2026-12-07T01:59:00Z", expires_at: "2026-12-07T02:09:00Z" },
  ];
  assert.deepEqual(pendingRequests(items, "T1", NOW).map((r) => r.id), ["a", "b"]);
  assert.deepEqual(pendingRequests(undefined, "T1", NOW), []);
});

test("a refused answer is said in the wallet's words, else the app's usual ones", () => {
  useCatalogue("zh-CN", zh);
  assert.equal(answerErrorText(t, { code: "request_closed" }), zh["cert.error.request_closed"]);
  assert.equal(answerErrorText(t, { code: "wrong_certificate" }), zh["cert.error.wrong_certificate"]);
  assert.equal(answerErrorText(t, { status: 0, code: "network" }), zh["error.network"]);
});
