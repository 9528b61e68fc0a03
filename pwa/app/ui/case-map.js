// Where a case is, on the console's case page: its point as the report form's pin, over the
// boundary of its grid, the view fitted to both (grid-map.js: no base map, Leaflet loaded
// only when drawn).
import { h } from "./dom.js";
import { fitTo, gridMap, regionLayer } from "./grid-map.js";
import { pinIcon } from "./pin-map.js";

/**
 * The map's box for a case ({lat, lon}) and its grid (a region with a `boundary`, or null).
 * draw() once the box is in the page (Leaflet measures it); release() removes the map.
 * A map that cannot load hides its box.
 */
export function caseMap(c, grid, label) {
  const element = h("div", { class: "map case-map", id: "case-map", role: "region", "aria-label": label });
  let drawn = null;
  let released = false;
  const draw = async () => {
    try {
      const { L, map } = await gridMap(element, { zoomSnap: 0.5 });
      if (released) { map.remove(); return; }
      drawn = map;
      const outline = grid?.boundary ? regionLayer(L, grid.boundary).addTo(map) : null;
      L.marker([c.lat, c.lon], { icon: pinIcon(L), keyboard: false, title: label }).addTo(map);
      if (!fitTo(map, [outline, [[c.lat, c.lon]]], { pad: 0.15, maxZoom: 18 })) map.setView([c.lat, c.lon], 17);
    } catch {
      element.hidden = true;
    }
  };
  return { element, draw, release: () => { released = true; drawn?.remove(); } };
}
