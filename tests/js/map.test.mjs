// The one map's rules: colours by status, the clusters' look (size class, main status,
// overdue ring), the view's box and query as the API takes them, and the counts in view.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  OVERDUE_COLOUR, STATUSES, STATUS_COLOURS, clusterLook, clusterSize, countsOf, debounce, mainStatus, pointsLook,
  statusColour, viewBox, viewQuery,
} from "../../pwa/console/map.js";

test("every status has its own colour, none of them the overdue red", () => {
  const colours = STATUSES.map(statusColour);
  assert.equal(new Set(colours).size, STATUSES.length);
  assert.ok(!colours.includes(OVERDUE_COLOUR));
  assert.equal(statusColour("closed"), STATUS_COLOURS.closed);
  assert.equal(statusColour(undefined), STATUS_COLOURS.reported);
  assert.equal(statusColour("no-such-status"), STATUS_COLOURS.reported);
});

test("clusters are small, medium or large by count, as the plugin's classes", () => {
  assert.deepEqual([1, 9, 10, 99, 100, 35_000].map(clusterSize),
    ["small", "small", "medium", "medium", "large", "large"]);
});

test("a cluster shows the status most of its cases have; ties go to the earlier step", () => {
  assert.equal(mainStatus({ closed: 5, reported: 2 }), "closed");
  assert.equal(mainStatus({ dispatched: 3, registered: 3 }), "registered");
  assert.equal(mainStatus({}), "reported");
});

test("a server cluster's look: count, size, main status, and a ring when any is overdue", () => {
  assert.deepEqual(clusterLook({ count: 120, by_status: { closed: 100, handled: 20 }, overdue: 0 }),
    { size: "large", label: "120", status: "closed", overdue: false });
  assert.equal(clusterLook({ count: 3, by_status: { registered: 3 }, overdue: 1 }).overdue, true);
});

test("the browser's clusters look alike, counted from their cases", () => {
  const look = pointsLook([{ status: "handled", overdue: false }, { status: "handled", overdue: true },
    { status: "closed", overdue: false }]);
  assert.deepEqual(look, { size: "small", label: "3", status: "handled", overdue: true });
});

test("the view's box stays on the globe", () => {
  assert.equal(viewBox({ west: 118.3, south: 35.02, east: 118.4, north: 35.08 }), "118.3,35.02,118.4,35.08");
  // Zoomed out past the whole world, or across the antimeridian: all longitudes.
  assert.equal(viewBox({ west: -400, south: -100, east: 400, north: 100 }), "-180,-90,180,90");
  assert.equal(viewBox({ west: 170, south: 0, east: 190, north: 1 }), "170,0,180,1");
  assert.equal(viewBox({ west: 118.1234567891, south: 35, east: 118.2, north: 35.1 }), "118.123457,35,118.2,35.1");
});

test("the query carries the zoom as a whole level and only the filters chosen", () => {
  const box = "118.3,35,118.4,35.1";
  assert.equal(viewQuery(box, 13.75, {}), "bbox=118.3%2C35%2C118.4%2C35.1&zoom=13");
  const query = new URLSearchParams(viewQuery(box, 30, { statuses: ["registered", "dispatched"], overdue: true,
    category: "road", region: "r1", from: "2026-11-01", to: "" }));
  assert.deepEqual(query.getAll("status"), ["registered", "dispatched"]);
  assert.equal(query.get("zoom"), "22");
  assert.equal(query.get("overdue"), "true");
  assert.equal(query.get("category"), "road");
  assert.equal(query.get("region_id"), "r1");
  assert.equal(query.get("from"), "2026-11-01");
  assert.equal(query.has("to"), false);
});

test("counts in view add up points and clusters alike", () => {
  const points = countsOf({ total: 3, points: [{ status: "closed", overdue: false },
    { status: "registered", overdue: true }, { status: "registered", overdue: false }], clusters: [] });
  assert.equal(points.total, 3);
  assert.equal(points.overdue, 1);
  assert.equal(points.byStatus.registered, 2);
  assert.equal(points.byStatus.cancelled, 0);
  const clusters = countsOf({ total: 150, points: [], clusters: [
    { count: 100, overdue: 4, by_status: { closed: 90, handled: 10 } },
    { count: 50, overdue: 0, by_status: { closed: 50 } }] });
  assert.deepEqual([clusters.total, clusters.overdue, clusters.byStatus.closed, clusters.byStatus.handled], [150, 4, 140, 10]);
});

test("moving the map refetches once it settles", async () => {
  let runs = 0;
  const later = debounce(() => { runs += 1; }, 20);
  later();
  later();
  later();
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.equal(runs, 1);
  later();
  later.cancel();
  await new Promise((resolve) => setTimeout(resolve, 40));
  assert.equal(runs, 1);
});
