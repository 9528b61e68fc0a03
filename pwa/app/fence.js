// The electronic fence (电子围栏) on the phone: is a point inside the worker's grid (or their
// post's circle, 岗位), and how many metres from its edge? Only a hint for the worker: the
// server checks again on sync.
// Pure functions (no DOM, no IndexedDB): node's test runner checks them (tests/js/).
import { circleDistance, fenceDistance } from "./geo.js";

/**
 * The signed-in worker's fence from what sync brought: their post's circle if they hold a
 * post in their own grid (the server ignores any other), else their grid's boundary.
 * { kind: "post" | "grid", post?, region?, distance(lat, lon) } or null.
 */
export function workerFence(userId, gridId, { regions = [], posts = [], assignments = [] } = {}) {
  const held = assignments.find((a) => a.worker_id === userId);
  const post = held && posts.find((p) => p.id === held.post_id && p.region_id === gridId);
  if (post) return { kind: "post", post, distance: (lat, lon) => circleDistance(post, lat, lon) };
  const region = regions.find((r) => r.id === gridId);
  if (region) return { kind: "grid", region, distance: (lat, lon) => fenceDistance(region.boundary, lat, lon) };
  return null;
}
