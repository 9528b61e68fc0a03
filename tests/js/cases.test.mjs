// The console's cases: the list's query and its round trip through the hash, what each
// action's form asks for (workflow.py's table), the body it sends, and the timeline in words.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  actionBody, actionForm, caseQuery, casesHash, describeStep, filtersFromQuery, mainClasses,
  missingInput, parseTarget, PER_PAGE, timelineSteps,
} from "../../pwa/app/cases.js";

const t = (key, params = {}) => `${key}${Object.keys(params).length ? JSON.stringify(params) : ""}`;

test("no filters ask for the first page only", () => {
  assert.equal(caseQuery({}), `page=1&per_page=${PER_PAGE}`);
});

test("statuses repeat, overdue is true or left out, the code search is trimmed", () => {
  const query = new URLSearchParams(caseQuery({ status: ["registered", "dispatched"], overdue: true,
    category: "road", department_id: "d1", q: "  3713 ", page: 2 }));
  assert.deepEqual(query.getAll("status"), ["registered", "dispatched"]);
  assert.equal(query.get("overdue"), "true");
  assert.equal(query.get("category"), "road");
  assert.equal(query.get("department_id"), "d1");
  assert.equal(query.get("q"), "3713");
  assert.equal(query.get("page"), "2");
  assert.equal(new URLSearchParams(caseQuery({ overdue: false, q: "  " })).has("overdue"), false);
  assert.equal(new URLSearchParams(caseQuery({ q: "  " })).has("q"), false);
});

test("filters survive the hash: what the list writes, it reads back", () => {
  const filters = { status: ["handled"], overdue: true, category: "sanitation", department_id: "d2", region_id: "r4", q: "A1",
    page: 3 };
  const hash = casesHash(filters);
  assert.match(hash, /^#\/console\/cases\?/);
  assert.deepEqual(filtersFromQuery(hash.split("?")[1]), filters);
  assert.equal(casesHash({}), "#/console/cases");
});

test("a hand-made hash cannot ask for statuses that do not exist or page zero", () => {
  const filters = filtersFromQuery("status=closed&status=<img>&page=0");
  assert.deepEqual(filters.status, ["closed"]);
  assert.equal(filters.page, 1);
});

test("each action's form asks for what workflow.py requires", () => {
  assert.deepEqual(actionForm("register"), { note: "optional", photos: null, target: false });
  assert.deepEqual(actionForm("dispatch"), { note: "optional", photos: null, target: true });
  assert.deepEqual(actionForm("handle"), { note: "required", photos: "optional", target: false });
  assert.deepEqual(actionForm("close_on_spot"), { note: "optional", photos: "required", target: false });
  for (const action of ["escalate", "send_back", "reopen"]) assert.equal(actionForm(action).note, "required");
  for (const action of ["verify", "close", "cancel"]) assert.equal(actionForm(action).note, "optional");
});

test("what is missing is named by the server's own error code", () => {
  assert.equal(missingInput("handle", { note: "  " }), "note_required");
  assert.equal(missingInput("handle", { note: "已清理" }), null);
  assert.equal(missingInput("close_on_spot", {}), "photos_required");
  assert.equal(missingInput("dispatch", { target: "" }), "dispatch_target_required");
  assert.equal(missingInput("dispatch", { target: "department:d1" }), null);
  assert.equal(missingInput("verify", {}), null);
});

test("a dispatch target is a department or a worker, never both", () => {
  assert.deepEqual(parseTarget("worker:w1"), { kind: "worker", id: "w1" });
  assert.equal(parseTarget("region:r1"), null);
  assert.deepEqual(actionBody("dispatch", { target: "department:d1", note: " 请处理 " }),
    { action: "dispatch", department_id: "d1", note: "请处理" });
  assert.deepEqual(actionBody("dispatch", { target: "worker:w1" }), { action: "dispatch", worker_id: "w1" });
});

test("only the actions that take photos or a target send them", () => {
  assert.deepEqual(actionBody("handle", { note: "done", photos: ["ab"] }), { action: "handle", note: "done", photos: ["ab"] });
  assert.deepEqual(actionBody("verify", { photos: ["ab"], target: "department:d1" }), { action: "verify" });
});

test("main classes are the categories others name as their parent", () => {
  const categories = [{ code: "road.pothole", parent_code: "road" }, { code: "road" },
    { code: "sanitation" }, { code: "order" }, { code: "order.vendor", parent_code: "order" }];
  assert.deepEqual(mainClasses(categories).map((c) => c.code), ["order", "road"]);
});

test("a timeline action says what, who and in what capacity; a phone's move says so", () => {
  const step = { event: "action", action: "dispatch", status: "dispatched", by_name: "兰山街道指挥分中心", role: "supervisor" };
  assert.deepEqual(describeStep(step, t), {
    what: 'case.event.action{"action":"case.action.dispatch","status":"status.dispatched"}',
    who: "兰山街道指挥分中心 · case.party.supervisor" });
  const synced = describeStep({ event: "action", action: "close_on_spot", status: "closed", by: "u1", via: "sync" }, t,
    { reporterId: "u1" });
  assert.equal(synced.who, "case.the_reporter · case.via_sync");
  assert.equal(describeStep({ event: "received", code: "X1" }, t).what, 'case.event.received{"code":"X1"}');
});

test("the timeline reads oldest first", () => {
  const steps = timelineSteps({ timeline: [{ at: "2026-12-02T00:00:00Z" }, { at: "2026-12-01T00:00:00Z" }] });
  assert.deepEqual(steps.map((s) => s.at), ["2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z"]);
});

test("the overdue job's timeline entry says the case went past its deadline", () => {
  const t = (key) => key;
  assert.equal(describeStep({ event: "overdue", status: "handled" }, t).what, "case.event.overdue");
});
