// Geometry on the city's scale, as the server computes it (backend/common/geo.py): metres per
// degree, distances on a local projection, circle and polygon fence verdicts, region paths.
// Both are checked against the same vectors (tests/geo_vectors.json), so the distance a
// worker sees on the phone is the one the server judges by.
// Pure functions (no DOM, no IndexedDB): node's test runner checks them (tests/js/).

const WGS84_A = 6378137;
const WGS84_E2 = (1 / 298.257223563) * (2 - 1 / 298.257223563);
// A point this close to a fence's edge is on it: the formulas' rounding, not GPS.
export const EDGE_TOLERANCE_M = 0.01;

/** [metres per degree of longitude, of latitude] at a latitude (WGS 84 radii of curvature). */
export function metresPerDegree(lat) {
  const phi = (lat * Math.PI) / 180;
  const sinPhi = Math.sin(phi);
  const w = 1 - WGS84_E2 * sinPhi * sinPhi;
  const normal = WGS84_A / Math.sqrt(w);
  const meridian = (normal * (1 - WGS84_E2)) / w;
  const perDegree = Math.PI / 180;
  return [normal * Math.cos(phi) * perDegree, meridian * perDegree];
}

/**
 * A longitude within −180…180: the map repeats the world sideways, a click may land beyond.
 * One already within is left exactly as it is (the arithmetic would add float noise).
 */
export function wrapLongitude(lon) {
  if (lon >= -180 && lon <= 180) return lon;
  return ((((lon + 180) % 360) + 360) % 360) - 180;
}

/** Metres between two points {lat, lon} on a local projection at their mean latitude. */
export function metresBetween(a, b) {
  const [perLon, perLat] = metresPerDegree((a.lat + b.lat) / 2);
  return Math.hypot(wrapLongitude(b.lon - a.lon) * perLon, (b.lat - a.lat) * perLat);
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

// Distance from the origin to the segment a–b.
function segmentDistance([ax, ay], [bx, by]) {
  const dx = bx - ax;
  const dy = by - ay;
  const length2 = dx * dx + dy * dy;
  const t = length2 ? Math.max(0, Math.min(1, -(ax * dx + ay * dy) / length2)) : 0;
  return Math.hypot(ax + t * dx, ay + t * dy);
}

/**
 * { inside, distance_m } of a point against a GeoJSON Polygon or MultiPolygon (a grid): the
 * distance to the nearest edge, 0 inside; within a centimetre of the edge counts as on it.
 * Measured on a local projection centred on the point, as the server measures it.
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
  if (inside || nearest < EDGE_TOLERANCE_M) return { inside: true, distance_m: 0 };
  return { inside: false, distance_m: nearest };
}

/**
 * { inside, distance_m } of a point against a circle {lat, lon, radius_m} (a post, 岗位): the
 * distance to the circle's edge, 0 inside or on it.
 */
export function circleDistance(circle, lat, lon) {
  if (!circle || !Number.isFinite(circle.radius_m)) return { inside: null, distance_m: null };
  const beyond = metresBetween(circle, { lat, lon }) - circle.radius_m;
  if (beyond < EDGE_TOLERANCE_M) return { inside: true, distance_m: 0 };
  return { inside: false, distance_m: beyond };
}

/** The region ids of a materialised path ("/<city>/…/<grid>/"), top first. */
export function regionIdsOfPath(path) {
  return (path || "").split("/").filter(Boolean);
}

/** The id of the region a path ends at, or null. */
export function regionIdOfPath(path) {
  const ids = regionIdsOfPath(path);
  return ids.length ? ids[ids.length - 1] : null;
}
