// Home by role: desk roles go to their console page, phone roles get tiles.
import assert from "node:assert/strict";
import { test } from "node:test";

import { deskHome } from "../../pwa/screens/home.js";

test("supervisors and admins land on the console, department staff on their cases", () => {
  assert.equal(deskHome(["supervisor"]), "/console");
  assert.equal(deskHome(["admin"]), "/console");
  assert.equal(deskHome(["department"]), "/console/cases");
  assert.equal(deskHome(["department", "supervisor"]), "/console");
});

test("anyone who also works on a phone, and clerks, get the tiles", () => {
  assert.equal(deskHome(["worker"]), null);
  assert.equal(deskHome(["supervisor", "worker"]), null);
  assert.equal(deskHome(["clerk"]), null);
});
