// The audit console's query and its one-line details: filters become the API's query string,
// and details are turned into text in the reader's language.
import assert from "node:assert/strict";
import { test } from "node:test";

import { auditQuery, describeDetails, PER_PAGE } from "../../pwa/console/audit.js";

const t = (key, params = {}) => `${key}${Object.keys(params).length ? JSON.stringify(params) : ""}`;

test("empty filters ask for the first page only", () => {
  assert.equal(auditQuery({}), `page=1&per_page=${PER_PAGE}`);
});

test("an area, a trimmed lower-case user and a page are passed on", () => {
  const query = new URLSearchParams(auditQuery({ area: "auth", actor: "  Worker1 " }, 3));
  assert.equal(query.get("action"), "auth");
  assert.equal(query.get("actor"), "worker1");
  assert.equal(query.get("page"), "3");
});

test("from and to are whole local days: to ends at the next midnight", () => {
  const query = new URLSearchParams(auditQuery({ from: "2026-12-01", to: "2026-12-01" }));
  const since = new Date(query.get("since"));
  const until = new Date(query.get("until"));
  assert.equal(since.getTime(), new Date("2026-12-01T00:00:00").getTime());
  assert.equal(until.getTime(), new Date("2026-12-02T00:00:00").getTime());
});

test("a failed sign-in of an unknown name says so", () => {
  const text = describeDetails({ action: "auth.sign_in_failed",
    details: { reason: "invalid_credentials", known_account: false } }, t);
  assert.equal(text, "audit.reason.invalid_credentials · audit.unknown_account");
});

test("a role change lists the roles before and after", () => {
  const text = describeDetails({ action: "account.roles_changed",
    details: { from: ["worker"], to: ["supervisor", "worker"] } }, t);
  assert.equal(text, "role.worker → role.supervisor、role.worker");
});

test("details of markup stay text: the function returns a string, never nodes", () => {
  const text = describeDetails({ action: "account.updated",
    details: { display_name: { from: "a", to: "<img src=x onerror=alert(1)>" } } }, t);
  assert.equal(typeof text, "string");
  assert.ok(text.endsWith("<img src=x onerror=alert(1)>"));
});

test("an event without details to show gives an empty line", () => {
  assert.equal(describeDetails({ action: "auth.sign_in", details: { user_agent: "x" } }, t), "");
});
