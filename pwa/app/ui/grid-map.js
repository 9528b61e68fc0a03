// The grid map every map screen draws on: the patrol screen, the report pin and the console's
// tracks and posts. Leaflet (vendored in lib/, precached with the shell) is loaded only when a
// screen asks for a map, so the first load of the app stays within its budget. There is no
// base map: tiles would need signal, and the grid's outline is what people work against.
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
 * A map in `element` with no base layer; rejects when Leaflet cannot load (the screen hides
 * the box). It starts on the whole world: vector layers added to a map without a view fail
 * to draw, and a screen's own view replaces this one at once.
 */
export async function gridMap(element, { zoomSnap = 0.25 } = {}) {
  const L = await loadLeaflet();
  const map = L.map(element, { attributionControl: false, zoomSnap }).setView([0, 0], 1);
  return { L, map };
}

export const GRID_OUTLINE = { className: "grid-outline", color: "#1b6e20", weight: 2, fill: false };

/**
 * Region boundaries (one GeoJSON geometry, or a list; empty ones are skipped) as one layer,
 * drawn as the grid outline unless `style` says otherwise. Not interactive unless asked:
 * a click inside a grid belongs to the map (the posts console places a point with it).
 */
export function regionLayer(L, boundaries, { style = GRID_OUTLINE, interactive = false } = {}) {
  const layer = L.geoJSON(null, { interactive, style });
  for (const boundary of [boundaries].flat()) if (boundary) layer.addData(boundary);
  return layer;
}

/**
 * A tooltip that is only text. Leaflet puts a string tooltip in with innerHTML, and these
 * carry names people typed (grids, posts): a node whose textContent is set cannot run markup.
 */
export function textTooltip(layer, text, options) {
  const node = document.createElement("span");
  node.textContent = text;
  return layer.bindTooltip(node, options);
}

/**
 * Fits the view to all that `parts` cover: layers, or lists of [lat, lon]. Returns false,
 * leaving the view alone, when they cover nothing yet.
 */
export function fitTo(map, parts, { pad = 0.1, maxZoom = 18 } = {}) {
  const { L } = globalThis;
  const bounds = L.latLngBounds([]);
  for (const part of parts) {
    if (Array.isArray(part)) {
      if (part.length) bounds.extend(L.latLngBounds(part));
    } else if (part) {
      bounds.extend(part.getBounds());
    }
  }
  if (!bounds.isValid()) return false;
  map.fitBounds(bounds.pad(pad), { maxZoom });
  return true;
}
