// The phone's geometry against the vectors the server's is checked against too
// (tests/unit/common/test_geo_vectors.py): the two cannot drift apart.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { circleDistance, fenceDistance, metresBetween, metresPerDegree, regionIdOfPath, regionIdsOfPath } from "../../pwa/app/geo.js";

const vectors = JSON.parse(readFileSync(new URL("../geo_vectors.json", import.meta.url), "utf-8"));
const tolerance = vectors.tolerance_m;

function near(actual, expected, within, what) {
  assert.ok(Math.abs(actual - expected) <= within, `${what}: ${actual} is not within ${within} of ${expected}`);
}

function cases(kind) {
  assert.ok(vectors[kind]?.length > 0, `the vectors file has no ${kind} cases`);
  return vectors[kind];
}

test("metres per degree", () => {
  for (const c of cases("metres_per_degree")) {
    const [perLon, perLat] = metresPerDegree(c.lat);
    near(perLon, c.per_lon_m, 1e-3, `per_lon at ${c.lat}`);
    near(perLat, c.per_lat_m, 1e-3, `per_lat at ${c.lat}`);
  }
});

test("distance on a local projection", () => {
  for (const c of cases("distance_m")) {
    const [a, b] = [c.from, c.to].map(([lat, lon]) => ({ lat, lon }));
    near(metresBetween(a, b), c.metres, tolerance, `${c.from} → ${c.to}`);
  }
});

test("circle verdicts", () => {
  for (const c of cases("circle")) {
    const [lat, lon] = c.centre;
    const got = circleDistance({ lat, lon, radius_m: c.radius_m }, ...c.point);
    assert.equal(got.inside, c.inside, `inside at ${c.point}`);
    near(got.distance_m, c.distance_m, tolerance, `distance at ${c.point}`);
  }
});

test("polygon verdicts", () => {
  for (const c of cases("polygon")) {
    const got = fenceDistance(c.boundary, ...c.point);
    assert.equal(got.inside, c.inside, `inside at ${c.point}`);
    near(got.distance_m, c.distance_m, tolerance, `distance at ${c.point}`);
  }
});

test("region paths", () => {
  for (const c of cases("region_path")) {
    assert.deepEqual(regionIdsOfPath(c.path), c.ids);
    assert.equal(regionIdOfPath(c.path), c.last);
  }
});
