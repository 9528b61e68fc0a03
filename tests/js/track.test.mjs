// The phone's live patrol distance agrees with the server's rule (tests/engine/patrol/).
import assert from "node:assert/strict";
import { test } from "node:test";

import { metresBetween } from "../../pwa/app/geo.js";
import { formatDuration, measureTrack } from "../../pwa/app/track.js";

const at = (s) => new Date(Date.UTC(2026, 10, 22, 8, 0, s)).toISOString();
// 10 m steps east along 35.0325° N, 8 s apart; 1e-4° of longitude there is ~9.125 m.
const walk = (n) => Array.from({ length: n }, (_, i) => (
  { lat: 35.0325, lon: 118.331 + i * 0.0001, accuracy_m: 6, recorded_at: at(i * 8) }));

test("a short hop measures as its geodesic length", () => {
  // geopy: geodesic((35.0325, 118.331), (35.0325, 118.332)).m = 91.2521
  assert.ok(Math.abs(metresBetween(walk(11)[0], walk(11)[10]) - 91.2521) < 0.05);
});

test("the distance leaves out poor fixes and impossible jumps, in any order", () => {
  const points = walk(11);
  points.push({ ...points[4], accuracy_m: 200, lat: 35.04, recorded_at: at(33) });
  points.push({ ...points[6], lat: 35.05, recorded_at: at(50) });
  const measured = measureTrack(points.reverse());
  assert.equal(measured.jitter, 2);
  assert.equal(measured.trusted, 11);
  assert.ok(Math.abs(measured.distance_m - 91.2521) < 0.05);
});

test("durations read as clock times", () => {
  assert.equal(formatDuration(309), "5:09");
  assert.equal(formatDuration(3909), "1:05:09");
});
