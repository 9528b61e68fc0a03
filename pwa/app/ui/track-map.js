// A patrol's track on a small map, over the worker's grid boundary (grid-map.js: no base
// map, Leaflet loaded only here).
import { fitTo, gridMap, regionLayer } from "./grid-map.js";

/**
 * Draw into `element`; returns { show(points), remove() }. Points are track points as the
 * store holds them; jitter the server flagged is drawn apart, as grey dots; the last
 * trusted point as a large dot.
 */
export async function trackMap(element, boundary) {
  const { L, map } = await gridMap(element);
  const grid = boundary ? regionLayer(L, boundary) : null;
  const track = L.polyline([], { className: "track", color: "#0b5cad", weight: 4 });
  const dots = L.layerGroup();
  let shown = null;
  let shownCount = -1;
  // The grid and the whole track: where the worker is, against what they patrol.
  const fit = () => fitTo(map, [grid, track], { pad: 0.2 }) || map.setView([0, 0], 1);
  fit();
  for (const layer of [grid, track, dots]) layer?.addTo(map);
  return {
    show(points) {
      if (points === shown && points.length === shownCount) return;
      shown = points;
      shownCount = points.length;
      track.setLatLngs(points.filter((p) => !p.is_jitter).map((p) => [p.lat, p.lon]));
      dots.clearLayers();
      for (const p of points.filter((q) => q.is_jitter)) {
        L.circleMarker([p.lat, p.lon], { radius: 4, className: "jitter", color: "#6b7280" }).addTo(dots);
      }
      const last = points.findLast((p) => !p.is_jitter);
      if (last) {
        L.circleMarker([last.lat, last.lon], { radius: 7, className: "here", color: "#0b5cad",
          fillOpacity: 1 }).addTo(dots);
      }
      fit();
    },
    remove: () => map.remove(),
  };
}
