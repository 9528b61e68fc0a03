// 预约: the citizen picks a hall's service and a day, sees the slots still to come with their
// free places, books one, and sees and cancels their own bookings. A number taken in the
// hall during the booked slot (from a quarter of an hour before) goes first. Online only:
// places are counted on the server; offline the screen says so and tries again when back.
import { authed } from "../app/api.js";
import { errorMessage } from "../app/i18n.js";
import { h, latestOnly } from "../app/ui/dom.js";
import { isNetworkFailure, offlineNotice } from "../app/ui/offline-notice.js";

// What was picked, kept while the app is open (back from elsewhere, the same choice).
const picked = { hall: "", service: "", day: "" };

/** The browser's day as YYYY-MM-DD (the phone is in the city it books in). */
export const localDay = (date = new Date()) => date.toLocaleDateString("sv-SE");

/** "09:00–09:30" in the given language. */
export function slotTime(slot, lang) {
  const format = new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit", hour12: false });
  return `${format.format(new Date(slot.starts_at))}–${format.format(new Date(slot.ends_at))}`;
}

/** "12月8日 周二 09:00–09:30" in the given language. */
export function slotWhen(slot, lang) {
  const day = new Intl.DateTimeFormat(lang, { month: "numeric", day: "numeric", weekday: "short" })
    .format(new Date(slot.starts_at));
  return `${day} ${slotTime(slot, lang)}`;
}

/** What a slot's button says and whether it can be pressed. */
export function slotState(slot) {
  if (slot.my_appointment_id) return { key: "appointments.booked_already", bookable: false };
  if (slot.free <= 0) return { key: "appointments.full", bookable: false };
  return { key: "appointments.book", bookable: true };
}

/** The catalogue's words for an error: appointments.error.<code>, else the app's usual ones. */
function errorText(t, error) {
  const key = `appointments.error.${error?.code}`;
  const text = t(key);
  return text === key ? errorMessage(error) : text;
}

export async function mount(root, _params, app) {
  const { t } = app;
  const lang = app.language();
  const offline = offlineNotice({ id: "appointments-offline", text: t("appointments.offline") });
  const hallSelect = h("select", { id: "appointment-hall" });
  const serviceSelect = h("select", { id: "appointment-service" });
  const dayInput = h("input", { id: "appointment-day", type: "date", min: localDay(), value: picked.day || localDay() });
  const slotsBox = h("div", { id: "appointment-slots", "aria-live": "polite" });
  const mineBox = h("div", { id: "my-appointments", "aria-live": "polite" });
  const error = h("p", { id: "appointments-error", class: "error", role: "alert" });
  let halls = [];

  root.append(h("section", { id: "appointments" },
    h("h1", {}, t("appointments.title")),
    offline.element,
    h("p", { class: "hint" }, t("appointments.intro")),
    h("form", { id: "appointment-pick", class: "card", novalidate: true },
      h("label", { for: "appointment-hall" }, t("appointments.hall")), hallSelect,
      h("label", { for: "appointment-service" }, t("appointments.service")), serviceSelect,
      h("label", { for: "appointment-day" }, t("appointments.day")), dayInput),
    error,
    h("h2", {}, t("appointments.slots")), slotsBox,
    h("h2", {}, t("appointments.mine")), mineBox,
    h("p", {}, h("a", { class: "button secondary", href: "#/" }, t("appointments.home")))));

  const fail = (failure) => {
    offline.show(isNetworkFailure(failure));
    error.textContent = errorText(t, failure);
  };

  const fillServices = () => {
    const hall = halls.find((x) => x.id === picked.hall);
    const services = hall?.services || [];
    if (!services.some((s) => s.id === picked.service)) picked.service = services[0]?.id || "";
    serviceSelect.replaceChildren(...services.map((s) => h("option", { value: s.id }, `${s.code} ${s.name}`)));
    serviceSelect.value = picked.service;
  };

  // Only the latest pick draws: an earlier day's answer arriving late must not paint over it.
  const loadSlots = latestOnly(async (isStale) => {
    if (!picked.service) {
      slotsBox.replaceChildren(h("p", { class: "hint" }, t("appointments.no_services")));
      return;
    }
    let items;
    try {
      ({ items } = await authed(`/api/v1/services/${picked.service}/slots?day=${dayInput.value || localDay()}`));
    } catch (failure) {
      if (!isStale()) fail(failure);
      return;
    }
    if (isStale()) return;
    slotsBox.replaceChildren(items.length ? h("ul", { class: "list slot-list", id: "slot-list" }, items.map((slot) => {
      const state = slotState(slot);
      return h("li", { class: "slot-row", dataset: { id: slot.id } },
        h("span", { class: "slot-time" }, slotTime(slot, lang)),
        h("span", { class: "slot-free" }, t("appointments.free_n", { n: slot.free, capacity: slot.capacity })),
        h("button", { type: "button", class: state.bookable ? "primary" : "secondary", disabled: !state.bookable,
          "aria-label": state.bookable ? t("appointments.book_named", { time: slotTime(slot, lang) }) : null,
          onclick: () => book(slot) }, t(state.key)));
    })) : h("p", { class: "hint", id: "slot-list-empty" }, t("appointments.no_slots")));
  });

  async function loadMine() {
    let items;
    try {
      ({ items } = await authed("/api/v1/appointments"));
    } catch (failure) {
      fail(failure);
      return;
    }
    mineBox.replaceChildren(items.length ? h("ul", { class: "list cards", id: "appointment-list" }, items.map((a) =>
      h("li", { class: "row appointment-card", dataset: { id: a.id, status: a.status } },
        h("span", { class: "card-head" }, h("span", { class: `chip-status ${a.status}` }, t(`appointments.status.${a.status}`)),
          h("span", { class: "code" }, `${a.service.code} ${a.service.name}`)),
        h("span", { class: "meta" }, `${a.hall.name} · ${slotWhen(a.slot, lang)}`),
        a.can_cancel ? h("button", { type: "button", class: "inline danger",
          "aria-label": t("appointments.cancel_named", { service: a.service.name, when: slotWhen(a.slot, lang) }),
          onclick: () => cancel(a) }, t("appointments.cancel")) : null)))
      : h("p", { class: "hint", id: "appointment-list-empty" }, t("appointments.none")));
  }

  async function book(slot) {
    error.replaceChildren();
    try {
      await authed(`/api/v1/slots/${slot.id}/appointments`, { method: "POST", body: {} });
      app.toast(t("appointments.booked", { when: slotTime(slot, lang) }));
    } catch (failure) {
      fail(failure);
    }
    await Promise.all([loadSlots(), loadMine()]);
    slotsBox.querySelector(`[data-id="${slot.id}"] button`)?.focus();
  }

  async function cancel(appointment) {
    if (!window.confirm(t("appointments.cancel_confirm", { when: slotWhen(appointment.slot, lang) }))) return;
    error.replaceChildren();
    try {
      await authed(`/api/v1/appointments/${appointment.id}`, { method: "DELETE" });
      app.toast(t("appointments.cancelled"));
    } catch (failure) {
      fail(failure);
    }
    await Promise.all([loadSlots(), loadMine()]);
  }

  async function load() {
    error.replaceChildren();
    try {
      halls = await authed("/api/v1/halls");
    } catch (failure) {
      fail(failure);
      return;
    }
    offline.show(false);
    if (!halls.some((x) => x.id === picked.hall)) picked.hall = halls[0]?.id || "";
    hallSelect.replaceChildren(...halls.map((x) => h("option", { value: x.id }, x.name)));
    hallSelect.value = picked.hall;
    fillServices();
    await Promise.all([loadSlots(), loadMine()]);
  }

  hallSelect.addEventListener("change", () => { picked.hall = hallSelect.value; fillServices(); loadSlots(); });
  serviceSelect.addEventListener("change", () => { picked.service = serviceSelect.value; loadSlots(); });
  dayInput.addEventListener("change", () => { picked.day = dayInput.value; loadSlots(); });
  const stop = offline.watch(() => load());
  await load();
  return stop;
}
