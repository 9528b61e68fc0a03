// A patrol's track on a small map, over the worker's grid boundary. Leaflet (vendored in
// lib/, precached with the shell) is loaded only when a screen asks for a map: the first
// load of the app stays within its budget. There is no base map: tiles would need signal,
// and the grid's outline is what the worker walks against.
const LEAFLET = "/lib/leaflet-1.9.4";
let loading = null;

export function loadLeaflet() {
  if (globalThis.L) return Promise.resolve(globalThis.L);
  loading ??= new Promise((resolve, reject) => {
    const css = Object.assign(document.createElement("link"), { rel: "stylesheet", href: `${LEAFLET}/leaflet.css` });
    const script = Object.assign(document.createElement("script"), { src: `${LEAFLET}/leaflet.js` });
    script.onload = () => resolve(globalThis.L);
    script.onerror = () => { loading = null; reject(new Error("leaflet")); };
    document.head.append(css, script);
  });
  return loading;
}

/**
 * Draw into `element`; returns { show(points), remove() }. Points are track points as the
 * store holds them; jitter the server flagged is drawn apart, as grey dots; the last
 * trusted point as a large dot.
 */
export async function trackMap(element, boundary) {
  const L = await loadLeaflet();
  const map = L.map(element, { zoomControl: true, attributionControl: false, zoomSnap: 0.25 });
  const grid = boundary ? L.geoJSON(boundary, { style: { className: "grid-outline", color: "#1b6e20", weight: 2, fill: false } }) : null;
  const track = L.polyline([], { className: "track", color: "#0b5cad", weight: 4 });
  const dots = L.layerGroup();
  let shown = null;
  let shownCount = -1;
  const fit = () => {
    // The grid and the whole track: where the worker is, against what they patrol.
    const bounds = L.latLngBounds([]);
    if (grid) bounds.extend(grid.getBounds());
    if (track.getLatLngs().length) bounds.extend(track.getBounds());
    if (bounds.isValid()) map.fitBounds(bounds.pad(0.2), { maxZoom: 18 });
    else map.setView([0, 0], 1);
  };
  // The view first: vector layers added to a map without one fail to draw.
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
