// Where a report is: a pin on a small map, at the GPS fix with its accuracy circle. On the
// report form the pin moves by dragging it, tapping the map, or the arrow keys when it has
// focus. Like every grid map there is no base map (tiles need signal); the grids the phone
// holds are drawn for orientation, and the pin works the same over a blank background.
import { wrapLongitude } from "../geo.js";
import { h } from "./dom.js";
import { fitTo, gridMap, regionLayer } from "./grid-map.js";

const ZOOM = 17;
const KEY_STEP_PX = 8;  // one arrow key press; with Shift, five times as far

/** The pin's icon: a DOM node, not an HTML string (one icon per marker). */
export function pinIcon(L) {
  return L.divIcon({ className: "pin", html: h("span", { class: "pin-head" }), iconSize: [36, 40], iconAnchor: [18, 34] });
}

/**
 * Draw into `element`. Options: `at` {lat, lon} or null, `regions` (records with a GeoJSON
 * `boundary`), `draggable`, `label` (the pin's accessible name), `onMove({lat, lon})` when
 * the user moves the pin. Returns { place(at), showFix(fix), remove() }.
 */
export async function pinMap(element, { at = null, regions = [], draggable = false, label = "", onMove = () => {} } = {}) {
  const { L, map } = await gridMap(element, { zoomSnap: 0.5 });
  const outlines = regionLayer(L, regions.map((r) => r.boundary));
  if (at) map.setView([at.lat, at.lon], ZOOM);
  else if (!fitTo(map, [outlines])) map.setView([0, 0], 2);
  outlines.addTo(map);

  let accuracy = null;
  const pin = L.marker(at ? [at.lat, at.lon] : map.getCenter(), { icon: pinIcon(L), draggable, keyboard: draggable, title: label });
  if (at) pin.addTo(map);
  const labelPin = () => {
    const el = pin.getElement();
    if (!el) return;
    el.id = "report-pin";
    el.setAttribute("aria-label", label);
    if (draggable) el.setAttribute("role", "button");
  };
  labelPin();
  const moved = () => {
    const { lat, lng } = pin.getLatLng();
    onMove({ lat, lon: wrapLongitude(lng) });
  };
  const place = (point, { pan = true } = {}) => {
    pin.setLatLng([point.lat, point.lon]);
    if (!map.hasLayer(pin)) {
      pin.addTo(map);
      labelPin();
      bindKeys();
    }
    if (pan) map.panTo([point.lat, point.lon]);
  };

  function bindKeys() {
    const el = pin.getElement();
    if (!draggable || !el || el.dataset.keys) return;
    el.dataset.keys = "true";
    L.DomEvent.on(el, "keydown", (event) => {
      const step = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }[event.key];
      if (!step) return;
      // The pin, not the map: Leaflet's own keyboard handler would pan the map instead.
      L.DomEvent.stop(event);
      const px = KEY_STEP_PX * (event.shiftKey ? 5 : 1);
      const point = map.latLngToContainerPoint(pin.getLatLng()).add([step[0] * px, step[1] * px]);
      pin.setLatLng(map.containerPointToLatLng(point));
      moved();
    });
  }

  if (draggable) {
    pin.on("dragend", moved);
    map.on("click", (event) => {
      place({ lat: event.latlng.lat, lon: event.latlng.lng }, { pan: false });
      moved();
    });
    bindKeys();
  }

  return {
    place,
    /** The GPS fix and how far off it may be: a circle that stays where the phone was. */
    showFix(fix) {
      accuracy?.remove();
      accuracy = null;
      if (!fix) return;
      accuracy = L.circle([fix.lat, fix.lon], { radius: Math.max(fix.accuracy_m || 0, 1), interactive: false,
        className: "accuracy", color: "#0b5cad", weight: 1, fillOpacity: 0.12 }).addTo(map);
      if (fix.accuracy_m) map.fitBounds(accuracy.getBounds().pad(0.3), { maxZoom: 18 });
    },
    remove: () => map.remove(),
  };
}
