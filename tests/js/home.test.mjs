// Home by role: desk roles go to their console page, phone roles get tiles.
import assert from "node:assert/strict";
import { test } from "node:test";

import { deskHome, tilesFor } from "../../pwa/screens/home.js";

test("supervisors and admins land on the console, department staff on their cases", () => {
  assert.equal(deskHome(["supervisor"]), "/console");
  assert.equal(deskHome(["admin"]), "/console");
  assert.equal(deskHome(["department"]), "/console/cases");
  assert.equal(deskHome(["department", "supervisor"]), "/console");
  assert.equal(deskHome(["clerk"]), "/console/clerk");
});

test("anyone who also works on a phone gets the tiles", () => {
  assert.equal(deskHome(["worker"]), null);
  assert.equal(deskHome(["supervisor", "worker"]), null);
  assert.equal(deskHome(["clerk", "citizen"]), null);
});

test("citizens report and see their reports beside their other tiles; each screen once", () => {
  const keys = (roles) => tilesFor(roles).map((tile) => tile.key);
  assert.deepEqual(keys(["citizen"]).slice(0, 2), ["citizen_report", "citizen_reports"]);
  assert.ok(keys(["citizen"]).includes("take_number"));
  assert.deepEqual(tilesFor(["citizen"]).slice(0, 2).map((tile) => tile.href), ["#/reports/new", "#/reports"]);
  const both = tilesFor(["worker", "citizen"]).map((tile) => tile.href);
  assert.equal(both.filter((href) => href === "#/reports/new").length, 1);
});

test("an official works on the phone, with the certificate verifier as a tile", () => {
  assert.equal(deskHome(["official"]), null);
  assert.deepEqual(tilesFor(["official"]).map((tile) => tile.href), ["#/verify"]);
});
