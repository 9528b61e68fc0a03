// The electronic fence (电子围栏) on the phone: is a point inside the worker's grid (or their
// post's circle, 岗位), and how many metres from its edge? Only a hint for the worker: the
// server checks again on sync.
// Pure functions (no DOM, no IndexedDB): node's test runner checks them (tests/js/).

/** Metres per degree of longitude and latitude at a latitude (WGS 84), as the server uses. */
export function metresPerDegree(lat) {
  const phi = (lat * Math.PI) / 180;
  const perLat = 111132.954 - 559.822 * Math.cos(2 * phi) + 1.175 * Math.cos(4 * phi);
  const perLon = 111412.84 * Math.cos(phi) - 93.5 * Math.cos(3 * phi) + 0.118 * Math.cos(5 * phi);
  return [perLon, perLat];
}

function polygons(boundary) {
  if (boundary?.type === "Polygon") return [boundary.coordinates];
  if (boundary?.type === "MultiPolygon") return boundary.coordinates;
  return [];
}

// Crossing number of a ring around (x, y), in the same units as the ring.
function crosses(ring, x, y) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function segmentDistance([ax, ay], [bx, by]) {
  // Distance from the origin to the segment a–b.
  const dx = bx - ax;
  const dy = by - ay;
  const length2 = dx * dx + dy * dy;
  const t = length2 ? Math.max(0, Math.min(1, -(ax * dx + ay * dy) / length2)) : 0;
  return Math.hypot(ax + t * dx, ay + t * dy);
}

/**
 * { inside, distance_m } of a point against a GeoJSON Polygon or MultiPolygon: the distance
 * to the nearest edge, 0 inside. A point within a centimetre of the edge counts as on it.
 */
export function fenceDistance(boundary, lat, lon) {
  const [perLon, perLat] = metresPerDegree(lat);
  const local = (ring) => ring.map(([x, y]) => [(x - lon) * perLon, (y - lat) * perLat]);
  let nearest = Infinity;
  let inside = false;
  for (const rings of polygons(boundary)) {
    const projected = rings.map(local);
    for (const ring of projected) {
      for (let i = 1; i < ring.length; i++) nearest = Math.min(nearest, segmentDistance(ring[i - 1], ring[i]));
    }
    const [outer, ...holes] = projected;
    if (outer && crosses(outer, 0, 0) && !holes.some((hole) => crosses(hole, 0, 0))) inside = true;
  }
  if (nearest === Infinity) return { inside: null, distance_m: null };
  if (inside || nearest < 0.01) return { inside: true, distance_m: 0 };
  return { inside: false, distance_m: nearest };
}

/**
 * { inside, distance_m } of a point against a post's circle (岗位: centre and radius): the
 * distance to the circle's edge, 0 inside or on it. Measured as the server measures it, on
 * a local projection at the mean latitude of the two points.
 */
export function circleDistance(post, lat, lon) {
  if (!post || !Number.isFinite(post.radius_m)) return { inside: null, distance_m: null };
  const [perLon, perLat] = metresPerDegree((post.lat + lat) / 2);
  const beyond = Math.hypot((lon - post.lon) * perLon, (lat - post.lat) * perLat) - post.radius_m;
  if (beyond < 0.01) return { inside: true, distance_m: 0 };
  return { inside: false, distance_m: beyond };
}

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
