// The e-certificates console's rules: a type's field rows and form → payload, one
// certificate's payload, the CSV template and a file's text, the import's progress, which
// status changes a certificate allows; and the clerk's request panel's (which request is the
// ticket's, the verdict, the certificate's facts).
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  certificatesHash, csvCell, csvTemplate, decodeCsv, endOfDay, fieldRowsOf, fieldsFromRows, importColumns,
  importView, issuePayload, keysNewestFirst, searchQuery, stateFromQuery, statusActions, typePayload,
} from "../../pwa/console/certificates.js";
import { certificateFacts, isPending, latestRequestFor, verdictOf } from "../../pwa/console/certificate-request-panel.js";

const ID = { id: "t1", code: "ID", name: "居民身份证", name_en: "Resident ID card", issuer_id: "i1", validity_days: 7300,
  fields: [{ key: "sex", label: "性别", label_en: "Sex" }, { key: "birth_date", label: "出生日期", label_en: "Date of birth" },
    { key: "address", label: "住址", label_en: "Address" }] };

test("field rows: a type's as copies, one blank row for a new type", () => {
  const rows = fieldRowsOf(ID);
  assert.deepEqual(rows[1], { key: "birth_date", label: "出生日期", label_en: "Date of birth" });
  rows[0].key = "changed";
  assert.equal(ID.fields[0].key, "sex");
  assert.deepEqual(fieldRowsOf(null), [{ key: "", label: "", label_en: "" }]);
  assert.deepEqual(fieldRowsOf({ fields: [{ key: "a", label: "甲" }] }), [{ key: "a", label: "甲", label_en: "" }]);
});

test("field rows → fields: trimmed, blank rows left out, the English label defaults to the Chinese", () => {
  const rows = [{ key: " sex ", label: " 性别 ", label_en: "" }, { key: "", label: "", label_en: "" },
    { key: "address", label: "住址", label_en: "Address" }];
  assert.deepEqual(fieldsFromRows(rows), { fields: [{ key: "sex", label: "性别", label_en: "性别" },
    { key: "address", label: "住址", label_en: "Address" }] });
  assert.deepEqual(fieldsFromRows([]), { fields: [] });
});

test("field rows: a bad, reserved or repeated key, or no label, is refused by row", () => {
  const row = (key, label = "名") => ({ key, label, label_en: "" });
  assert.deepEqual(fieldsFromRows([row("ok"), row("Birth")]).error, { index: 1, key: "certconsole.field_key_bad" });
  assert.deepEqual(fieldsFromRows([row("1st")]).error, { index: 0, key: "certconsole.field_key_bad" });
  assert.deepEqual(fieldsFromRows([row("a".repeat(33))]).error, { index: 0, key: "certconsole.field_key_bad" });
  assert.deepEqual(fieldsFromRows([row("holder_name")]).error, { index: 0, key: "certconsole.field_key_reserved" });
  assert.deepEqual(fieldsFromRows([row("sex"), row("x"), row("sex")]).error, { index: 2, key: "certconsole.field_key_twice" });
  assert.deepEqual(fieldsFromRows([row("sex", " ")]).error, { index: 0, key: "certconsole.field_label_needed" });
});

test("type form → payload: code upper-cased, validity in days or null for never expires", () => {
  const values = { code: " bl ", name: "营业执照", name_en: "", issuer_id: "i1", never_expires: false, validity_days: "1825",
    rows: [{ key: "scope", label: "经营范围", label_en: "Business scope" }] };
  assert.deepEqual(typePayload(values).payload, { code: "BL", name: "营业执照", name_en: "营业执照", issuer_id: "i1",
    validity_days: 1825, fields: [{ key: "scope", label: "经营范围", label_en: "Business scope" }] });
  assert.equal(typePayload({ ...values, never_expires: true, validity_days: "" }).payload.validity_days, null);
});

test("type form: each missing or bad value names its field", () => {
  const values = { code: "BL", name: "营业执照", issuer_id: "i1", never_expires: false, validity_days: "30", rows: [] };
  assert.equal(typePayload({ ...values, code: "1X" }).error.field, "code");
  assert.equal(typePayload({ ...values, code: "" }).error.field, "code");
  assert.equal(typePayload({ ...values, name: "  " }).error.field, "name");
  assert.equal(typePayload({ ...values, issuer_id: "" }).error.field, "issuer");
  for (const days of ["", "0", "1.5", "abc"]) assert.equal(typePayload({ ...values, validity_days: days }).error.field, "validity", days);
  assert.deepEqual(typePayload({ ...values, rows: [{ key: "Bad", label: "x" }] }).error,
    { field: "fields", index: 0, key: "certconsole.field_key_bad" });
});

test("one certificate: every field of the type, optional number and expiry only when given", () => {
  const values = { type: "ID", holder: " citizen1 ", holder_name: " 张三 ", number: "", expires_on: "",
    fields: { sex: "男", birth_date: "1990-01-01", address: " 兰山区 ", extra: "ignored" } };
  assert.deepEqual(issuePayload(values, ID).payload, { type: "ID", holder: "citizen1", holder_name: "张三",
    fields: { sex: "男", birth_date: "1990-01-01", address: "兰山区" } });
  const full = issuePayload({ ...values, number: " 371302199001011234 ", expires_on: "2099-12-31" }, ID).payload;
  assert.equal(full.number, "371302199001011234");
  assert.equal(full.expires_at, new Date("2099-12-31T23:59:59").toISOString());
});

test("one certificate: no type, holder, name, a blank field or a past expiry is refused", () => {
  const values = { holder: "citizen1", holder_name: "张三", fields: { sex: "男", birth_date: "1990-01-01", address: "x" } };
  assert.equal(issuePayload(values, null).error.field, "type");
  assert.equal(issuePayload({ ...values, holder: " " }, ID).error.field, "holder");
  assert.equal(issuePayload({ ...values, holder_name: "" }, ID).error.field, "holder_name");
  assert.deepEqual(issuePayload({ ...values, fields: { sex: "男", address: "x" } }, ID).error,
    { field: "field-birth_date", key: "certconsole.need_field", label: "出生日期" });
  assert.equal(issuePayload({ ...values, expires_on: "2001-01-01" }, ID).error.field, "expires");
  assert.equal(issuePayload({ ...values, expires_on: "31/12/2099" }, ID).error.field, "expires");
  assert.equal(endOfDay("nonsense"), null);
});

test("the CSV template: the fixed columns, the type's field keys, a row to fill with the type", () => {
  assert.deepEqual(importColumns(ID), ["type", "holder", "holder_name", "number", "expires_at", "sex", "birth_date", "address"]);
  const text = csvTemplate(ID);
  assert.ok(text.startsWith("\uFEFF"), "a BOM, for Excel");
  assert.equal(text, "\uFEFFtype,holder,holder_name,number,expires_at,sex,birth_date,address\r\nID,,,,,,,\r\n");
  assert.equal(csvTemplate({ code: "X", fields: [] }), "\uFEFFtype,holder,holder_name,number,expires_at\r\nX,,,,\r\n");
});

test("CSV cells are quoted only when they must be", () => {
  assert.equal(csvCell("plain"), "plain");
  assert.equal(csvCell("a,b"), '"a,b"');
  assert.equal(csvCell('say "hi"'), '"say ""hi"""');
  assert.equal(csvCell("two\nlines"), '"two\nlines"');
  assert.equal(csvCell(null), "");
});

test("a CSV file's text: UTF-8 without its BOM, or GB18030 as Excel saves it", () => {
  const utf8 = new TextEncoder().encode("\uFEFFtype,holder_name\r\nID,张三\r\n");
  assert.equal(decodeCsv(utf8), "type,holder_name\r\nID,张三\r\n");
  // "张三" in GB18030 (GBK): D5 C5 C8 FD.
  const gbk = Uint8Array.from([...new TextEncoder().encode("ID,"), 0xd5, 0xc5, 0xc8, 0xfd]);
  assert.equal(decodeCsv(gbk), "ID,张三");
});

test("the import's progress: phase, done of total, errors by line once failed, the count once done", () => {
  assert.deepEqual(importView({ status: "checking", total: 0, done: 0 }),
    { phase: "checking", total: 0, done: 0, finished: false, percent: null, errors: [], issued: 0 });
  assert.equal(importView({ status: "signing", total: 200, done: 50 }).percent, 25);
  assert.equal(importView({ status: "writing", total: 10, done: 12 }).done, 10);
  const failed = importView({ status: "failed", total: 3, done: 3, issued: 0,
    errors: [{ line: 4, code: "unknown_holder", message: "…" }, { line: 2, code: "wrong_fields", message: "…" }] });
  assert.equal(failed.finished, true);
  assert.deepEqual(failed.errors.map((e) => e.line), [2, 4]);
  assert.equal(failed.issued, 0);
  const done = importView({ status: "done", total: 3, done: 3, issued: 3, errors: [] });
  assert.deepEqual([done.finished, done.issued, done.percent], [true, 3, 100]);
});

test("status changes: valid suspends or revokes, suspended reinstates or revokes, revoked is final", () => {
  assert.deepEqual(statusActions("valid"), ["suspended", "revoked"]);
  assert.deepEqual(statusActions("suspended"), ["valid", "revoked"]);
  assert.deepEqual(statusActions("expired"), ["revoked"]);
  assert.deepEqual(statusActions("revoked"), []);
});

test("the page's address: tab and search round-trip; the API gets only the filters set", () => {
  const state = stateFromQuery("tab=certificates&q=张&type=ID&status=revoked&page=3");
  assert.deepEqual(state, { tab: "certificates", q: "张", type: "ID", status: "revoked", page: 3 });
  assert.deepEqual(stateFromQuery(certificatesHash(state).split("?")[1]), state);
  assert.deepEqual(stateFromQuery("tab=nope&status=bogus&page=-2"), { tab: "certificates", q: "", type: "", status: "", page: 1 });
  assert.equal(searchQuery({ q: "  ", type: "", status: "", page: 1 }), "page=1&per_page=20");
  assert.equal(searchQuery({ q: " 张三 ", type: "ID", status: "valid", page: 2 }), "q=%E5%BC%A0%E4%B8%89&type=ID&status=valid&page=2&per_page=20");
});

test("an issuer's keys, newest first", () => {
  const keys = [{ kid: "old", created_at: "2026-01-01T00:00:00+00:00" }, { kid: "new", created_at: "2026-06-01T00:00:00+00:00" }];
  assert.deepEqual(keysNewestFirst(keys).map((k) => k.kid), ["new", "old"]);
  assert.deepEqual(keysNewestFirst(undefined), []);
});

test("the clerk's request: the ticket's newest, pending until answered", () => {
  const requests = [{ id: "a", ticket_id: "t1", requested_at: "2026-12-07T01:00:00+00:00", status: "declined" },
    { id: "b", ticket_id: "t1", requested_at: "2026-12-07T01:05:00+00:00", status: "pending" },
    { id: "c", ticket_id: "t2", requested_at: "2026-12-07T01:09:00+00:00", status: "pending" }];
  assert.equal(latestRequestFor(requests, "t1").id, "b");
  assert.equal(latestRequestFor(requests, "t3"), null);
  assert.equal(isPending(requests[1]), true);
  assert.equal(isPending(requests[0]), false);
});

test("the verdict: only on an approved request's certificate; red says why", () => {
  assert.equal(verdictOf({ status: "pending", certificate: null }), null);
  assert.deepEqual(verdictOf({ status: "approved", certificate: { verification: { valid: true, reason: "valid" } } }),
    { valid: true, reason: "valid" });
  assert.deepEqual(verdictOf({ status: "approved", certificate: { verification: { valid: false, reason: "revoked" } } }),
    { valid: false, reason: "revoked" });
});

test("an approved certificate's facts: holder, type, number, issuer, expiry, then every field in its language", () => {
  const certificate = { type: "ID", type_name: "居民身份证", type_name_en: "Resident ID card", number: "3713", holder_name: "张三",
    issuer: "LYGA", issuer_name: "临沂市公安局", expires_at: null,
    fields: [{ key: "sex", label: "性别", label_en: "Sex", value: "男" }, { key: "address", label: "住址", label_en: "", value: "兰山区" }] };
  const zh = certificateFacts(certificate, "zh-CN");
  assert.deepEqual(zh.map((f) => f.key), ["holder", "type", "number", "issuer", "expires", "field:sex", "field:address"]);
  assert.deepEqual(zh.slice(5).map((f) => [f.label, f.value]), [["性别", "男"], ["住址", "兰山区"]]);
  const en = certificateFacts(certificate, "en");
  assert.equal(en[1].value, "Resident ID card");
  assert.deepEqual(en.slice(5).map((f) => f.label), ["Sex", "住址"]);
  assert.equal(en[4].value, null);
  assert.deepEqual(certificateFacts(null, "en"), []);
});
