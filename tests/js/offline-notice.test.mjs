// When an online-only console page says "offline": the call failed for want of a network.
import assert from "node:assert/strict";
import { test } from "node:test";

import { isNetworkFailure } from "../../pwa/app/ui/offline-notice.js";

test("no answer at all is the network's failure", () => {
  assert.equal(isNetworkFailure({ status: 0 }, true), true);
});

test("an answer that says no is not, while online", () => {
  assert.equal(isNetworkFailure({ status: 403, code: "forbidden" }, true), false);
  assert.equal(isNetworkFailure({ status: 500 }, true), false);
});

test("anything is, once the browser is offline", () => {
  assert.equal(isNetworkFailure({ status: 409 }, false), true);
  assert.equal(isNetworkFailure(null, false), true);
});
