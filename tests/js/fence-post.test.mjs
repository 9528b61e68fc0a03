// A post's circle (岗位) on the phone agrees with the server (tests/unit/attendance/), and
// the worker's fence is their post when they hold one in their grid, else the grid.
import assert from "node:assert/strict";
import { test } from "node:test";

import { workerFence } from "../../pwa/app/fence.js";
import { circleDistance } from "../../pwa/app/geo.js";

const POST = { id: "p1", name: "学校门口", region_id: "g1", lat: 35.0576, lon: 118.3658, radius_m: 80 };
const DEG_LAT_M = 110_937.6; // metres per degree of latitude near 35.06° N
const north = (m) => POST.lat + m / DEG_LAT_M;
const GRID = { id: "g1", boundary: { type: "Polygon", coordinates: [[[118.36, 35.05], [118.37, 35.05], [118.37, 35.06], [118.36, 35.06], [118.36, 35.05]]] } };

test("the centre and points within the radius are inside at 0 m", () => {
  assert.deepEqual(circleDistance(POST, POST.lat, POST.lon), { inside: true, distance_m: 0 });
  assert.deepEqual(circleDistance(POST, north(79), POST.lon), { inside: true, distance_m: 0 });
});

test("a point on the edge is inside", () => {
  assert.deepEqual(circleDistance(POST, north(80), POST.lon), { inside: true, distance_m: 0 });
});

test("a point outside is outside by its distance to the edge", () => {
  const { inside, distance_m } = circleDistance(POST, north(300), POST.lon);
  assert.equal(inside, false);
  assert.ok(Math.abs(distance_m - 220) < 0.5, distance_m);
});

test("distances east and west use the longitude scale of the latitude", () => {
  const perLonM = 91_195; // metres per degree of longitude near 35.06° N
  const { distance_m } = circleDistance(POST, POST.lat, POST.lon + 580 / perLonM);
  assert.ok(Math.abs(distance_m - 500) < 1, distance_m);
});

test("no post gives no verdict", () => {
  assert.deepEqual(circleDistance(null, 35, 118), { inside: null, distance_m: null });
});

test("a worker on a post in their grid is fenced by the post", () => {
  const fence = workerFence("w3", "g1", { regions: [GRID], posts: [POST], assignments: [{ worker_id: "w3", post_id: "p1" }] });
  assert.equal(fence.kind, "post");
  assert.equal(fence.post.name, "学校门口");
  assert.equal(fence.distance(north(200), POST.lon).inside, false); // inside the grid, off the post
});

test("without a post, or with one outside their grid, the grid is the fence", () => {
  const elsewhere = { ...POST, region_id: "g2" };
  for (const data of [{ posts: [POST], assignments: [{ worker_id: "w9", post_id: "p1" }] },
    { posts: [elsewhere], assignments: [{ worker_id: "w3", post_id: "p1" }] }]) {
    const fence = workerFence("w3", "g1", { regions: [GRID], ...data });
    assert.equal(fence.kind, "grid");
    assert.deepEqual(fence.distance(north(200), POST.lon), { inside: true, distance_m: 0 });
  }
});

test("no grid and no post on the phone gives no fence", () => {
  assert.equal(workerFence("w3", "g1", {}), null);
});
