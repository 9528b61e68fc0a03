// Service halls in the console (大厅设置), administrators only: a hall's settings and opening
// hours per weekday, its services, its windows (the services each handles and the clerk at
// it), its managers, and each service's booking slots (预约时段). Online only: halls are set
// up on the server and reach phones by sync.
import { authed, authedAll } from "../app/api.js";
import { errorMessage } from "../app/i18n.js";
import { h, latestOnly } from "../app/ui/dom.js";
import { isNetworkFailure, offlineNotice } from "../app/ui/offline-notice.js";

export const WEEKDAYS = ["1", "2", "3", "4", "5", "6", "7"];
const CLOCK = /^(?:[01]\d|2[0-3]):[0-5]\d$/;
// The hall being set up, so that switching the language (which mounts the page again) keeps it.
const chosen = { hall: "" };

// -- rules: pure, tested in tests/js/halls.test.mjs -----------------------------------------

/** Minutes of a day for "HH:MM" ("24:00" ends a day), or null. */
export function clockMinutes(text) {
  if (text === "24:00") return 24 * 60;
  if (!CLOCK.test(text || "")) return null;
  const [hours, minutes] = text.split(":").map(Number);
  return hours * 60 + minutes;
}

/**
 * Opening hours from the form's rows ({ "1": [["08:30", "12:00"], …], … }, blank rows left
 * out) as the server takes them, or the first problem as { day, key } for a message.
 */
export function hoursFromRows(rows) {
  const hours = {};
  for (const day of WEEKDAYS) {
    const periods = (rows[day] || []).filter(([from, to]) => from.trim() || to.trim())
      .map(([from, to]) => [from.trim(), to.trim()]);
    let previousEnd = -1;
    for (const [from, to] of periods) {
      const start = clockMinutes(from);
      const end = clockMinutes(to);
      if (start === null || end === null || from === "24:00") return { error: { day, key: "halls.hours_bad_time" } };
      if (start >= end) return { error: { day, key: "halls.hours_backwards" } };
      if (start < previousEnd) return { error: { day, key: "halls.hours_overlap" } };
      previousEnd = end;
    }
    if (periods.length) hours[day] = periods;
  }
  return { hours };
}

/** The slots of one day from `from` to `to` ("HH:MM"), each `length` minutes, as
 * [startsAt, endsAt] Date pairs in the browser's zone (the console is used in its city). */
export function daySlots(day, from, to, length) {
  const start = clockMinutes(from);
  const end = clockMinutes(to);
  const step = Number(length);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day || "") || start === null || end === null || !(step >= 5) || start >= end) return [];
  const midnight = new Date(`${day}T00:00:00`);
  const at = (minutes) => new Date(midnight.getTime() + minutes * 60_000);
  const slots = [];
  for (let m = start; m + step <= end && slots.length < 200; m += step) slots.push([at(m), at(m + step)]);
  return slots;
}

/** What an edit changes: only that goes in the PATCH. */
export const changedFields = (before, fields) =>
  Object.fromEntries(Object.entries(fields).filter(([k, v]) => JSON.stringify(before?.[k]) !== JSON.stringify(v)));

export const personLabel = (p) => (p.display_name ? `${p.display_name} (${p.username})` : p.username);

/** The clock time of an ISO instant in the browser's zone, "09:30". */
export const clockOf = (iso) => {
  const d = new Date(iso);
  return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
};

/** The catalogue's words for an error: halls.error.<code>, else the app's usual ones. */
function errorText(t, error) {
  const key = `halls.error.${error?.code}`;
  const text = t(key, error?.body?.error || {});
  return text === key ? errorMessage(error) : text;
}

const today = () => new Date().toLocaleDateString("sv-SE");

// -- the parts -------------------------------------------------------------------------------

function field(id, label, input, hint) {
  return h("div", { class: "field" }, h("label", { for: id }, label), input,
    hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null);
}

function hoursEditor(t, hours) {
  const rows = {};
  const box = h("fieldset", { id: "hall-hours", class: "hall-hours" },
    h("legend", { class: "label" }, t("halls.hours")),
    h("p", { class: "hint", id: "hall-hours-hint" }, t("halls.hours_hint")));
  for (const day of WEEKDAYS) {
    const list = h("div", { class: "hours-periods", id: `hours-${day}` });
    const addRow = (from = "", to = "") => {
      const index = list.children.length;
      const name = t(`halls.weekday.${day}`);
      const fromInput = h("input", { id: `hours-${day}-${index}-from`, class: "clock", value: from, maxlength: 5,
        inputmode: "numeric", placeholder: "08:30", "aria-label": t("halls.hours_from_named", { day: name }),
        "aria-describedby": "hall-hours-hint", dataset: { role: "from" } });
      const toInput = h("input", { id: `hours-${day}-${index}-to`, class: "clock", value: to, maxlength: 5,
        inputmode: "numeric", placeholder: "17:30", "aria-label": t("halls.hours_to_named", { day: name }),
        "aria-describedby": "hall-hours-hint", dataset: { role: "to" } });
      const row = h("div", { class: "hours-row" }, fromInput, h("span", { "aria-hidden": "true" }, "–"), toInput,
        h("button", { type: "button", class: "inline", "aria-label": t("halls.hours_remove_named", { day: name }),
          onclick: () => { row.remove(); } }, t("halls.remove")));
      list.append(row);
      return fromInput;
    };
    (hours[day] || []).forEach(([from, to]) => addRow(from, to));
    rows[day] = () => [...list.querySelectorAll(".hours-row")].map((row) => [
      row.querySelector('[data-role="from"]').value, row.querySelector('[data-role="to"]').value]);
    box.append(h("div", { class: "hours-day", dataset: { day } },
      h("span", { class: "hours-name" }, t(`halls.weekday.${day}`)), list,
      h("button", { type: "button", class: "inline", id: `hours-${day}-add`,
        "aria-label": t("halls.hours_add_named", { day: t(`halls.weekday.${day}`) }),
        onclick: () => addRow().focus() }, t("halls.hours_add"))));
  }
  return { element: box, read: () => Object.fromEntries(WEEKDAYS.map((d) => [d, rows[d]()])) };
}

function hallForm(app, hall, onSaved) {
  const { t } = app;
  const value = (k, fallback = "") => (hall ? String(hall[k] ?? "") : fallback);
  const inputs = {
    name: h("input", { id: "hall-name", maxlength: 100, required: true, value: value("name") }),
    address: h("input", { id: "hall-address", maxlength: 200, value: value("address") }),
    lat: h("input", { id: "hall-lat", type: "number", step: "any", min: -90, max: 90, required: true, value: value("lat") }),
    lon: h("input", { id: "hall-lon", type: "number", step: "any", min: -180, max: 180, required: true, value: value("lon") }),
    fence_radius_m: h("input", { id: "hall-radius", type: "number", min: 10, max: 5000, step: 1,
      value: value("fence_radius_m", "150") }),
    wait_alert_min: h("input", { id: "hall-wait-alert", type: "number", min: 1, max: 1440, step: 1,
      value: value("wait_alert_min", "30") }),
    idle_alert_min: h("input", { id: "hall-idle-alert", type: "number", min: 1, max: 1440, step: 1,
      value: value("idle_alert_min", "5") }),
  };
  const hours = hoursEditor(t, hall?.opening_hours || {});
  const error = h("p", { id: "hall-error", class: "error", role: "alert" });
  const form = h("form", { id: "hall-form", class: "card", novalidate: true },
    h("h2", {}, hall ? t("halls.settings") : t("halls.new_hall")),
    field("hall-name", t("halls.name"), inputs.name),
    field("hall-address", t("halls.address"), inputs.address),
    h("div", { class: "post-coords" }, field("hall-lat", t("halls.lat"), inputs.lat),
      field("hall-lon", t("halls.lon"), inputs.lon)),
    field("hall-radius", t("halls.radius"), inputs.fence_radius_m),
    field("hall-wait-alert", t("halls.wait_alert"), inputs.wait_alert_min),
    field("hall-idle-alert", t("halls.idle_alert"), inputs.idle_alert_min),
    hours.element, error,
    h("button", { type: "submit", class: "primary", id: "hall-save" }, t("halls.save")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.replaceChildren();
    if (!inputs.name.value.trim()) { error.textContent = t("halls.need_name"); inputs.name.focus(); return; }
    const checked = hoursFromRows(hours.read());
    if (checked.error) {
      error.textContent = t(checked.error.key, { day: t(`halls.weekday.${checked.error.day}`) });
      form.querySelector(`#hours-${checked.error.day} input`)?.focus();
      return;
    }
    const fields = { name: inputs.name.value.trim(), address: inputs.address.value.trim(),
      lat: Number(inputs.lat.value), lon: Number(inputs.lon.value),
      fence_radius_m: Number(inputs.fence_radius_m.value), wait_alert_min: Number(inputs.wait_alert_min.value),
      idle_alert_min: Number(inputs.idle_alert_min.value), opening_hours: checked.hours };
    if (inputs.lat.value === "" || inputs.lon.value === "" || !Number.isFinite(fields.lat) || !Number.isFinite(fields.lon)) {
      error.textContent = t("halls.need_point"); inputs.lat.focus(); return;
    }
    try {
      const saved = hall
        ? await authed(`/api/v1/halls/${hall.id}`, { method: "PATCH", body: changedFields(hall, fields) })
        : await authed("/api/v1/halls", { method: "POST", body: fields });
      app.toast(t("halls.saved"));
      onSaved(saved);
    } catch (failure) {
      error.textContent = errorText(t, failure);
    }
  });
  return form;
}

function servicesPart(app, hall, reload) {
  const { t } = app;
  const inputs = {
    code: h("input", { id: "service-code", maxlength: 2, required: true, pattern: "[A-Z]{1,2}",
      "aria-describedby": "service-code-hint", autocomplete: "off" }),
    name: h("input", { id: "service-name", maxlength: 100, required: true }),
    avg_service_min: h("input", { id: "service-avg", type: "number", min: 0.5, max: 480, step: "any", value: "9" }),
    time_limit_min: h("input", { id: "service-limit", type: "number", min: 1, max: 480, step: 1, value: "20" }),
    daily_limit: h("input", { id: "service-daily", type: "number", min: 0, max: 100000, step: 1, value: "200",
      "aria-describedby": "service-daily-hint" }),
    sort_order: h("input", { id: "service-order", type: "number", step: 1, value: String(hall.services.length) }),
  };
  let editing = null;
  const title = h("h3", { id: "service-form-title" }, t("halls.service_add"));
  const error = h("p", { id: "service-error", class: "error", role: "alert" });
  const fill = (service) => {
    editing = service;
    title.textContent = service ? t("halls.service_edit_named", { name: service.name }) : t("halls.service_add");
    for (const [k, input] of Object.entries(inputs)) {
      input.value = service ? String(service[k]) : { code: "", name: "", avg_service_min: "9", time_limit_min: "20",
        daily_limit: "200", sort_order: String(hall.services.length) }[k];
    }
    error.replaceChildren();
  };
  const form = h("form", { id: "service-form", class: "card", novalidate: true }, title,
    h("div", { class: "form-grid" },
      field("service-code", t("halls.service_code"), inputs.code, t("halls.service_code_hint")),
      field("service-name", t("halls.service_name"), inputs.name),
      field("service-avg", t("halls.service_avg"), inputs.avg_service_min),
      field("service-limit", t("halls.service_limit"), inputs.time_limit_min),
      field("service-daily", t("halls.service_daily"), inputs.daily_limit, t("halls.service_daily_hint")),
      field("service-order", t("halls.service_order"), inputs.sort_order)),
    error,
    h("div", { class: "toolbar" },
      h("button", { type: "submit", class: "primary", id: "service-save" }, t("halls.save")),
      h("button", { type: "button", class: "secondary", id: "service-new", onclick: () => { fill(null); inputs.code.focus(); } },
        t("halls.service_new"))));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const fields = { code: inputs.code.value.trim().toUpperCase(), name: inputs.name.value.trim(),
      avg_service_min: Number(inputs.avg_service_min.value), time_limit_min: Number(inputs.time_limit_min.value),
      daily_limit: Number(inputs.daily_limit.value), sort_order: Number(inputs.sort_order.value) };
    if (!/^[A-Z]{1,2}$/.test(fields.code)) { error.textContent = t("halls.service_code_hint"); inputs.code.focus(); return; }
    if (!fields.name) { error.textContent = t("halls.need_name"); inputs.name.focus(); return; }
    try {
      if (editing) await authed(`/api/v1/services/${editing.id}`, { method: "PATCH", body: changedFields(editing, fields) });
      else await authed(`/api/v1/halls/${hall.id}/services`, { method: "POST", body: fields });
      app.toast(t("halls.saved"));
      reload("#service-new");
    } catch (failure) {
      error.textContent = errorText(t, failure);
    }
  });
  const tableError = h("p", { id: "services-error", class: "error", role: "alert" });
  const remove = async (service) => {
    if (!window.confirm(t("halls.service_remove_confirm", { name: service.name }))) return;
    try {
      await authed(`/api/v1/services/${service.id}`, { method: "DELETE" });
      app.toast(t("halls.removed"));
      reload("#service-new");
    } catch (failure) {
      tableError.textContent = errorText(t, failure);
    }
  };
  const table = h("table", { class: "table", id: "services-table" },
    h("caption", { class: "sr-only" }, t("halls.services")),
    h("thead", {}, h("tr", {}, ["code", "name", "avg", "limit", "daily", "order", "actions"].map((k) =>
      h("th", { scope: "col" }, t(`halls.service_col.${k}`))))),
    h("tbody", {}, hall.services.length ? hall.services.map((s) => h("tr", { dataset: { id: s.id, code: s.code } },
      h("th", { scope: "row" }, s.code), h("td", {}, s.name),
      h("td", { class: "count" }, String(s.avg_service_min)), h("td", { class: "count" }, String(s.time_limit_min)),
      h("td", { class: "count" }, s.daily_limit ? String(s.daily_limit) : t("halls.no_limit")),
      h("td", { class: "count" }, String(s.sort_order)),
      h("td", {},
        h("button", { type: "button", class: "inline", "aria-label": t("halls.edit_named", { name: s.name }),
          onclick: () => { fill(s); inputs.name.focus(); } }, t("halls.edit")),
        " ",
        h("button", { type: "button", class: "inline danger", "aria-label": t("halls.remove_named", { name: s.name }),
          onclick: () => remove(s) }, t("halls.remove")))))
      : h("tr", {}, h("td", { colspan: 7, class: "hint" }, t("halls.no_services")))));
  return h("section", { class: "hall-part", "aria-labelledby": "services-title" },
    h("h2", { id: "services-title" }, t("halls.services")), tableError, h("div", { class: "scroll" }, table), form);
}

function windowsPart(app, hall, windows, clerks, reload) {
  const { t } = app;
  const serviceName = new Map(hall.services.map((s) => [s.id, `${s.code} ${s.name}`]));
  let editing = null;
  const number = h("input", { id: "window-number", type: "number", min: 1, max: 9999, step: 1, required: true });
  const label = h("input", { id: "window-label", maxlength: 50 });
  const boxes = hall.services.map((s) => h("input", { type: "checkbox", id: `window-service-${s.code}`, value: s.id }));
  const clerk = h("select", { id: "window-clerk" }, h("option", { value: "" }, t("halls.window_no_clerk")),
    clerks.map((c) => {
      const at = windows.find((w) => w.clerk?.id === c.id);
      return h("option", { value: c.id, dataset: { username: c.username } },
        at ? t("halls.clerk_at", { clerk: personLabel(c), number: at.number }) : personLabel(c));
    }));
  const title = h("h3", { id: "window-form-title" }, t("halls.window_add"));
  const error = h("p", { id: "window-error", class: "error", role: "alert" });
  const fill = (w) => {
    editing = w;
    title.textContent = w ? t("halls.window_edit_named", { number: w.number }) : t("halls.window_add");
    number.value = w ? String(w.number) : String(Math.max(0, ...windows.map((x) => x.number)) + 1);
    label.value = w ? w.label : "";
    boxes.forEach((b) => { b.checked = Boolean(w?.service_ids.includes(b.value)); });
    clerk.value = w?.clerk?.id || "";
    error.replaceChildren();
  };
  fill(null);
  const form = h("form", { id: "window-form", class: "card", novalidate: true }, title,
    h("div", { class: "form-grid" },
      field("window-number", t("halls.window_number"), number),
      field("window-label", t("halls.window_label"), label)),
    h("fieldset", { id: "window-services" }, h("legend", { class: "label" }, t("halls.window_services")),
      hall.services.map((s, i) => h("label", { class: "check", for: boxes[i].id }, boxes[i], ` ${s.code} ${s.name}`))),
    field("window-clerk", t("halls.window_clerk"), clerk, t("halls.window_clerk_hint")),
    error,
    h("div", { class: "toolbar" },
      h("button", { type: "submit", class: "primary", id: "window-save" }, t("halls.save")),
      h("button", { type: "button", class: "secondary", id: "window-new", onclick: () => { fill(null); number.focus(); } },
        t("halls.window_new"))));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const fields = { number: Number(number.value), label: label.value.trim(),
      service_ids: boxes.filter((b) => b.checked).map((b) => b.value), clerk_id: clerk.value || null };
    if (!Number.isInteger(fields.number) || fields.number < 1) { error.textContent = t("halls.need_number"); number.focus(); return; }
    if (!fields.service_ids.length) { error.textContent = t("halls.need_services"); boxes[0]?.focus(); return; }
    try {
      if (editing) {
        const before = { number: editing.number, label: editing.label, service_ids: editing.service_ids,
          clerk_id: editing.clerk?.id || null };
        await authed(`/api/v1/windows/${editing.id}`, { method: "PATCH", body: changedFields(before, fields) });
      } else {
        await authed(`/api/v1/halls/${hall.id}/windows`, { method: "POST", body: fields });
      }
      app.toast(t("halls.saved"));
      reload("#window-new");
    } catch (failure) {
      error.textContent = errorText(t, failure);
    }
  });
  const tableError = h("p", { id: "windows-error", class: "error", role: "alert" });
  const remove = async (w) => {
    if (!window.confirm(t("halls.window_remove_confirm", { number: w.number }))) return;
    try {
      await authed(`/api/v1/windows/${w.id}`, { method: "DELETE" });
      app.toast(t("halls.removed"));
      reload("#window-new");
    } catch (failure) {
      tableError.textContent = errorText(t, failure);
    }
  };
  const table = h("table", { class: "table", id: "windows-table" },
    h("caption", { class: "sr-only" }, t("halls.windows")),
    h("thead", {}, h("tr", {}, ["number", "label", "services", "clerk", "actions"].map((k) =>
      h("th", { scope: "col" }, t(`halls.window_col.${k}`))))),
    h("tbody", {}, windows.length ? windows.map((w) => h("tr", { dataset: { id: w.id, number: String(w.number) } },
      h("th", { scope: "row" }, String(w.number)), h("td", {}, w.label),
      h("td", { class: "window-services" }, w.service_ids.map((id) => serviceName.get(id) || "").join("、")),
      h("td", { class: "window-clerk" }, w.clerk ? personLabel(w.clerk) : h("span", { class: "hint" }, t("halls.window_no_clerk"))),
      h("td", {},
        h("button", { type: "button", class: "inline", "aria-label": t("halls.window_edit_named", { number: w.number }),
          onclick: () => { fill(w); number.focus(); } }, t("halls.edit")),
        " ",
        h("button", { type: "button", class: "inline danger", "aria-label": t("halls.window_remove_named", { number: w.number }),
          onclick: () => remove(w) }, t("halls.remove")))))
      : h("tr", {}, h("td", { colspan: 5, class: "hint" }, t("halls.no_windows")))));
  return h("section", { class: "hall-part", "aria-labelledby": "windows-title" },
    h("h2", { id: "windows-title" }, t("halls.windows")), tableError, h("div", { class: "scroll" }, table), form);
}

function managersPart(app, hall, managers, candidates) {
  const { t } = app;
  const current = new Set(managers.map((m) => m.id));
  const boxes = candidates.map((c) => h("input", { type: "checkbox", id: `manager-${c.username}`, value: c.id,
    checked: current.has(c.id) }));
  const error = h("p", { id: "managers-error", class: "error", role: "alert" });
  const form = h("form", { id: "managers-form", class: "card" },
    h("fieldset", {}, h("legend", { class: "label" }, t("halls.managers_pick")),
      candidates.length ? candidates.map((c, i) => h("label", { class: "check", for: boxes[i].id }, boxes[i], ` ${personLabel(c)}`))
        : h("p", { class: "hint" }, t("halls.no_manager_accounts"))),
    error,
    h("button", { type: "submit", class: "primary", id: "managers-save", disabled: !candidates.length }, t("halls.save")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.replaceChildren();
    try {
      await authed(`/api/v1/halls/${hall.id}/managers`, { method: "PUT",
        body: { user_ids: boxes.filter((b) => b.checked).map((b) => b.value) } });
      app.toast(t("halls.saved"));
    } catch (failure) {
      error.textContent = errorText(t, failure);
    }
  });
  return h("section", { class: "hall-part", "aria-labelledby": "managers-title" },
    h("h2", { id: "managers-title" }, t("halls.managers")), h("p", { class: "hint" }, t("halls.managers_hint")), form);
}

/** The booking slots of a hall's services: a day's list and a form adding a day's slots (the
 * hall's managers keep slots too: their console may mount this). */
export function slotsPanel(app, hall) {
  const { t } = app;
  const service = h("select", { id: "slots-service" },
    hall.services.map((s) => h("option", { value: s.id }, `${s.code} ${s.name}`)));
  const day = h("input", { id: "slots-day", type: "date", value: today(), min: today() });
  const from = h("input", { id: "slots-from", class: "clock", value: "09:00", maxlength: 5, inputmode: "numeric" });
  const to = h("input", { id: "slots-to", class: "clock", value: "12:00", maxlength: 5, inputmode: "numeric" });
  const length = h("input", { id: "slots-length", type: "number", min: 5, max: 720, step: 5, value: "30" });
  const capacity = h("input", { id: "slots-capacity", type: "number", min: 1, max: 1000, step: 1, value: "4" });
  const list = h("div", { id: "slots-list", "aria-live": "polite" });
  const error = h("p", { id: "slots-error", class: "error", role: "alert" });
  const status = h("p", { id: "slots-status", class: "hint", role: "status" });
  const load = latestOnly(async (isStale) => {
    if (!service.value) { list.replaceChildren(h("p", { class: "hint" }, t("halls.no_services"))); return; }
    try {
      const { items } = await authed(`/api/v1/services/${service.value}/slots?day=${day.value}`);
      if (isStale()) return;
      list.replaceChildren(items.length ? h("table", { class: "table", id: "slots-table" },
        h("caption", { class: "sr-only" }, t("halls.slots")),
        h("thead", {}, h("tr", {}, ["time", "capacity", "booked", "actions"].map((k) =>
          h("th", { scope: "col" }, t(`halls.slot_col.${k}`))))),
        h("tbody", {}, items.map((s) => h("tr", { dataset: { id: s.id } },
          h("th", { scope: "row" }, `${clockOf(s.starts_at)}–${clockOf(s.ends_at)}`),
          h("td", { class: "count" }, String(s.capacity)), h("td", { class: "count" }, String(s.booked)),
          h("td", {}, h("button", { type: "button", class: "inline danger", disabled: s.booked > 0,
            "aria-label": t("halls.slot_remove_named", { time: clockOf(s.starts_at) }),
            onclick: async () => {
              try {
                await authed(`/api/v1/slots/${s.id}`, { method: "DELETE" });
                load();
              } catch (failure) { error.textContent = errorText(t, failure); }
            } }, t("halls.remove")))))))
        : h("p", { class: "hint" }, t("halls.no_slots")));
    } catch (failure) {
      if (!isStale()) list.replaceChildren(h("p", { class: "error" }, errorText(t, failure)));
    }
  });
  service.addEventListener("change", load);
  day.addEventListener("change", load);
  const form = h("form", { id: "slots-form", class: "card", novalidate: true },
    h("h3", {}, t("halls.slots_add")),
    h("div", { class: "form-grid" },
      field("slots-from", t("halls.slots_from"), from),
      field("slots-to", t("halls.slots_to"), to),
      field("slots-length", t("halls.slots_length"), length),
      field("slots-capacity", t("halls.slots_capacity"), capacity)),
    error, status,
    h("button", { type: "submit", class: "primary", id: "slots-add" }, t("halls.slots_add_button")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.replaceChildren();
    status.replaceChildren();
    const slots = daySlots(day.value, from.value.trim(), to.value.trim(), length.value);
    const places = Number(capacity.value);
    if (!slots.length) { error.textContent = t("halls.slots_bad"); from.focus(); return; }
    if (!(Number.isInteger(places) && places >= 1)) { error.textContent = t("halls.slots_bad_capacity"); capacity.focus(); return; }
    let added = 0;
    let skipped = 0;
    for (const [startsAt, endsAt] of slots) {
      try {
        await authed(`/api/v1/services/${service.value}/slots`, { method: "POST",
          body: { starts_at: startsAt.toISOString(), ends_at: endsAt.toISOString(), capacity: places } });
        added += 1;
      } catch (failure) {
        if (failure.code === "slot_exists" || failure.status === 422) skipped += 1;
        else { error.textContent = errorText(t, failure); break; }
      }
    }
    status.textContent = t("halls.slots_added", { added, skipped });
    load();
  });
  load();
  return h("section", { class: "hall-part", "aria-labelledby": "slots-title" },
    h("h2", { id: "slots-title" }, t("halls.slots")), h("p", { class: "hint" }, t("halls.slots_hint")),
    h("div", { class: "toolbar" }, h("label", { for: "slots-service" }, t("halls.slots_service")), service,
      h("label", { for: "slots-day" }, t("halls.slots_day")), day),
    list, form);
}

// -- the page ----------------------------------------------------------------------------------

export async function mount(root, _params, app) {
  const { t } = app;
  if (!app.session()?.user.roles?.includes("admin")) {
    app.navigate("/console");
    return undefined;
  }
  const offline = offlineNotice({ id: "halls-offline", text: t("halls.offline") });
  const picker = h("select", { id: "hall-pick" });
  const body = h("div", { id: "halls-body" }, h("p", { class: "loading" }, t("halls.loading")));
  const page = h("section", { id: "halls-console", class: "wide" },
    h("div", { class: "console-head" }, h("h1", {}, t("halls.title")),
      h("a", { class: "button secondary", href: "#/console" }, t("console.title"))),
    offline.element,
    h("div", { class: "toolbar" }, h("label", { for: "hall-pick" }, t("halls.pick")), picker,
      h("button", { type: "button", class: "secondary", id: "hall-new",
        onclick: () => { chosen.hall = "new"; load(); } }, t("halls.new_hall"))),
    body);
  root.append(page);

  async function load(focus) {
    let halls;
    let clerks;
    let managerAccounts;
    try {
      [halls, clerks, managerAccounts] = await Promise.all([authed("/api/v1/halls"),
        authedAll("/api/v1/accounts?role=clerk&is_active=true"),
        authedAll("/api/v1/accounts?role=hall_manager&is_active=true")]);
    } catch (failure) {
      offline.show(isNetworkFailure(failure));
      body.replaceChildren(h("p", { class: "error", role: "alert" }, errorText(t, failure)));
      return;
    }
    offline.show(false);
    if (chosen.hall !== "new" && !halls.some((x) => x.id === chosen.hall)) chosen.hall = halls[0]?.id || "new";
    picker.replaceChildren(...halls.map((x) => h("option", { value: x.id }, x.name)),
      chosen.hall === "new" ? h("option", { value: "new" }, t("halls.new_hall")) : null);
    picker.value = chosen.hall;
    const hall = halls.find((x) => x.id === chosen.hall);
    const onSaved = (saved) => { chosen.hall = saved.id; load(); };
    if (!hall) {
      body.replaceChildren(hallForm(app, null, onSaved));
      return;
    }
    let windows;
    let managers;
    try {
      [windows, managers] = await Promise.all([authed(`/api/v1/halls/${hall.id}/windows`),
        authed(`/api/v1/halls/${hall.id}/managers`)]);
    } catch (failure) {
      body.replaceChildren(h("p", { class: "error", role: "alert" }, errorText(t, failure)));
      return;
    }
    const reload = (selector) => load(selector);
    body.replaceChildren(h("div", { class: "halls-layout" },
      hallForm(app, hall, onSaved),
      servicesPart(app, hall, reload),
      windowsPart(app, hall, windows, clerks, reload),
      managersPart(app, hall, managers, managerAccounts),
      hall.services.length ? slotsPanel(app, hall) : null));
    if (focus) body.querySelector(focus)?.focus();
  }

  picker.addEventListener("change", () => { chosen.hall = picker.value; load(); });
  const stop = offline.watch(() => load());
  await load();
  return stop;
}
