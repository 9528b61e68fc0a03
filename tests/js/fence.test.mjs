// The phone's fence hint agrees with the server's check (tests/unit/attendance/).
import assert from "node:assert/strict";
import { test } from "node:test";

import { fenceDistance } from "../../pwa/app/geo.js";

// A 0.01° grid near the demo city, as in the server's tests.
const GRID = { type: "Polygon", coordinates: [[[118.33, 35.03], [118.34, 35.03], [118.34, 35.04], [118.33, 35.04], [118.33, 35.03]]] };
const DEG_LAT_M = 110_934.3; // metres per degree of latitude near 35.03° N

test("a point inside is inside at 0 m", () => {
  assert.deepEqual(fenceDistance(GRID, 35.035, 118.335), { inside: true, distance_m: 0 });
});

test("a point on the edge or a corner is inside", () => {
  assert.equal(fenceDistance(GRID, 35.03, 118.335).inside, true);
  assert.equal(fenceDistance(GRID, 35.04, 118.34).inside, true);
});

test("a point south of the grid is outside by its distance to the edge", () => {
  const { inside, distance_m } = fenceDistance(GRID, 35.03 - 100 / DEG_LAT_M, 118.335);
  assert.equal(inside, false);
  assert.ok(Math.abs(distance_m - 100) < 0.5, distance_m);
});

test("a point in a hole of the grid is outside", () => {
  const holed = { type: "Polygon", coordinates: [GRID.coordinates[0],
    [[118.334, 35.034], [118.336, 35.034], [118.336, 35.036], [118.334, 35.036], [118.334, 35.034]]] };
  const { inside, distance_m } = fenceDistance(holed, 35.035, 118.335);
  assert.equal(inside, false);
  assert.ok(Math.abs(distance_m - 91.2) < 1, distance_m);
});

test("a MultiPolygon is inside when any part holds the point", () => {
  const multi = { type: "MultiPolygon", coordinates: [[[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]], GRID.coordinates] };
  assert.equal(fenceDistance(multi, 35.035, 118.335).inside, true);
});

test("no boundary gives no verdict", () => {
  assert.deepEqual(fenceDistance(undefined, 35, 118), { inside: null, distance_m: null });
});
