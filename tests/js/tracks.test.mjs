// The tracks console's rules: play-back along a worker's day (where the track stands, how
// the clock runs, the slider), the coverage bands and the patrol list's figures.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  BAND_COLOURS, advance, band, clockFormat, coverageRow, localDate, patrolFacts, percent, playSpan, positionAt,
  scrubLength, scrubSeconds, timelines,
} from "../../pwa/console/tracks.js";

// Points as the server sends them: [lat, lon, ms, accuracy, is_jitter].
const T0 = Date.UTC(2026, 10, 22, 0, 0, 0);  // 08:00 in Asia/Shanghai
const morning = { id: "p1", points: [[35, 118, T0, 5, false], [35, 118.001, T0 + 10_000, 5, false],
  [35.01, 118.5, T0 + 15_000, 300, true], [35, 118.002, T0 + 20_000, 5, false]] };
const afternoon = { id: "p2", points: [[35, 118.01, T0 + 60_000, 5, false], [35, 118.02, T0 + 70_000, 5, false]] };
const fakeT = (key, params = {}) => `${key}${Object.keys(params).length ? JSON.stringify(params) : ""}`;

test("a patrol's trusted points play back; its jitter is kept apart", () => {
  const [line] = timelines([morning]);
  assert.deepEqual(line.times, [T0, T0 + 10_000, T0 + 20_000]);
  assert.deepEqual(line.latlngs, [[35, 118], [35, 118.001], [35, 118.002]]);
  assert.deepEqual(line.jitter, [morning.points[2]]);
  assert.equal(line.patrol, morning);
});

test("before the first fix nothing is walked; between two fixes the position is interpolated", () => {
  const [line] = timelines([morning]);
  assert.deepEqual(positionAt(line, T0 - 1), { walked: [], here: null });
  assert.deepEqual(positionAt(line, T0).here, [35, 118]);
  const half = positionAt(line, T0 + 5_000);
  assert.equal(half.walked.length, 2);
  assert.deepEqual(half.here, [35, 118.0005]);
  assert.deepEqual(half.walked.at(-1), half.here);
  assert.deepEqual(positionAt(line, T0 + 99_000), { walked: line.latlngs, here: [35, 118.002] });
});

test("two fixes at the same moment do not divide by zero", () => {
  const line = { times: [T0, T0, T0 + 10], latlngs: [[1, 1], [2, 2], [3, 3]] };
  assert.deepEqual(positionAt(line, T0).here, [2, 2]);
});

test("the day plays from the first fix of all its patrols to the last", () => {
  assert.deepEqual(playSpan(timelines([afternoon, morning])), [T0, T0 + 70_000]);
  assert.equal(playSpan(timelines([{ points: [[35, 118, T0, 300, true]] }])), null);
  assert.equal(playSpan([]), null);
});

test("the clock runs at the chosen speed, jumps the gap between patrols and stops at the end", () => {
  const lines = timelines([morning, afternoon]);
  assert.equal(advance(lines, T0, 100, 60), T0 + 6_000);
  assert.equal(advance(lines, T0 + 19_000, 100, 60), T0 + 60_000, "from the morning's end to the afternoon's start");
  assert.equal(advance(lines, T0 + 65_000, 1_000, 300), T0 + 70_000);
});

test("the slider counts whole seconds from the first fix", () => {
  assert.equal(scrubSeconds(T0, T0 + 2_600), 3);
  assert.equal(scrubLength([T0, T0 + 400_500]), 401);
  assert.equal(scrubLength(null), 0);
});

test("clock times read in the city's zone", () => {
  assert.equal(clockFormat("zh-CN", "Asia/Shanghai").format(new Date(T0 + 400_000)), "08:06:40");
  assert.equal(clockFormat("en", "UTC").format(new Date(T0)), "00:00:00");
});

test("today is the computer's calendar day, as a date field takes it", () => {
  assert.equal(localDate(new Date(2026, 0, 5, 23, 59)), "2026-01-05");
});

test("coverage falls in five bands, nothing walked apart", () => {
  assert.deepEqual([0, null, 0.01, 0.25, 0.5, 0.749, 0.75, 1].map(band), [0, 0, 1, 2, 3, 3, 4, 4]);
  assert.equal(percent(0.12345), 12.3);
  assert.deepEqual(coverageRow({ name: "第一网格", code: "371", covered_share: 0.3, cells_covered: 30,
    cells_total: 100 }), { name: "第一网格", code: "371", band: 2, colour: BAND_COLOURS[2], percent: 30,
    cells: "30 / 100" });
});

test("a patrol in the list: its times, distance, duration, points, jitter and share inside the grid", () => {
  const patrol = { ...morning, started_at: new Date(T0).toISOString(), ended_at: null, distance_m: 1234,
    duration_s: 400, inside_share: 0.876 };
  const facts = patrolFacts(patrol, { t: fakeT, lang: "en", format: clockFormat("en", "Asia/Shanghai") });
  assert.equal(facts.jitter, 1);
  assert.equal(facts.when, "08:00:00 – tracks.running");
  assert.equal(facts.meta, ['1.23 km', "6:40", 'patrol.point_count{"n":4}', 'tracks.jitter_count{"n":1}',
    'tracks.inside_share{"pct":88}'].join(" · "));
  const plain = patrolFacts({ ...patrol, points: [morning.points[0]], inside_share: null },
    { t: fakeT, lang: "en", format: clockFormat("en", "Asia/Shanghai") });
  assert.equal(plain.jitter, 0);
  assert.equal(plain.meta, ['1.23 km', "6:40", 'patrol.point_count{"n":1}'].join(" · "));
});
