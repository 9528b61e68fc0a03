// latestOnly: a screen's slow, older render must not paint over a newer one.
import assert from "node:assert/strict";
import { test } from "node:test";

import { latestOnly } from "../../pwa/app/ui/dom.js";

test("an older render that finishes last does not draw", async () => {
  const drawn = [];
  const delays = [30, 1];  // the first call waits longer than the second
  let call = 0;
  const render = latestOnly(async (isStale) => {
    const mine = call++;
    await new Promise((resolve) => setTimeout(resolve, delays[mine]));
    if (isStale()) return;
    drawn.push(mine);
  });
  await Promise.all([render(), render()]);
  assert.deepEqual(drawn, [1]);
});

test("a render alone draws", async () => {
  const drawn = [];
  const render = latestOnly(async (isStale) => { if (!isStale()) drawn.push("x"); });
  await render();
  assert.deepEqual(drawn, ["x"]);
});
