// The shared grid map's pieces that need no Leaflet: text-only tooltips; wrapped longitudes (geo.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { wrapLongitude } from "../../pwa/app/geo.js";
import { textTooltip } from "../../pwa/app/ui/grid-map.js";

test("a tooltip is handed to Leaflet as a node with text, never as a string of markup", () => {
  globalThis.document = { createElement: (tag) => ({ tag }) };
  try {
    const layer = { bindTooltip(content, options) { this.content = content; this.options = options; return this; } };
    const name = '<img src=x onerror="alert(1)">';
    assert.equal(textTooltip(layer, name, { sticky: true }), layer);
    assert.equal(typeof layer.content, "object");
    assert.equal(layer.content.textContent, name);
    assert.equal(layer.content.innerHTML, undefined);
    assert.deepEqual(layer.options, { sticky: true });
  } finally {
    delete globalThis.document;
  }
});

test("longitudes wrap into −180…180; one within stays exactly as it is", () => {
  assert.equal(wrapLongitude(118.3), 118.3);
  assert.equal(wrapLongitude(118.5 + 360), 118.5);
  assert.equal(wrapLongitude(118.5 - 720), 118.5);
  assert.equal(wrapLongitude(-181), 179);
  assert.equal(wrapLongitude(181), -179);
  assert.equal(wrapLongitude(180), 180);
  assert.equal(wrapLongitude(-180), -180);
});
