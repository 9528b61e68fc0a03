// A patrol's track on the phone: its length and time, by the same rule as the server
// (backend/patrol/services.py): a fix coarser than the limit, or one that implies moving
// faster than a worker can from the last trusted fix, is jitter and left out. Only a live
// hint: once the patrol has synced, the server's figures are shown.
// Pure functions (no DOM, no IndexedDB): node's test runner checks them (tests/js/).
import { metresBetween } from "./geo.js";

export const ACCURACY_LIMIT_M = 50;
export const MAX_SPEED_MPS = 50 / 3.6;

/** { distance_m, trusted, jitter } of fixes {lat, lon, accuracy_m, recorded_at} in any order. */
export function measureTrack(points) {
  const sorted = [...points].sort((a, b) => (a.recorded_at < b.recorded_at ? -1 : a.recorded_at > b.recorded_at ? 1 : 0));
  let previous = null;
  let distance = 0;
  let jitter = 0;
  for (const point of sorted) {
    const trusted = point.accuracy_m != null && point.accuracy_m <= ACCURACY_LIMIT_M;
    if (!trusted) { jitter += 1; continue; }
    if (previous) {
      const metres = metresBetween(previous, point);
      const seconds = (Date.parse(point.recorded_at) - Date.parse(previous.recorded_at)) / 1000;
      if (metres > MAX_SPEED_MPS * Math.max(seconds, 1)) { jitter += 1; continue; }
      distance += metres;
    }
    previous = point;
  }
  return { distance_m: distance, trusted: sorted.length - jitter, jitter };
}

/** "1:05:09" or "5:09" for a number of seconds. */
export function formatDuration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const hh = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(hh ? 2 : 1, "0");
  const ss = String(s % 60).padStart(2, "0");
  return hh ? `${hh}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** "850 m" or "1.25 km". */
export function formatDistance(metres, lang) {
  if (metres < 1000) return `${Math.round(metres)} m`;
  return `${new Intl.NumberFormat(lang, { maximumFractionDigits: 2 }).format(metres / 1000)} km`;
}
