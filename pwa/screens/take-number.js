// 一键取号: the citizen picks the hall (one hall: already picked) and a service, and takes a
// number standing in the hall. The position is asked for only on the tap, and the server
// judges the fence. On a slow link the same take is sent again with the same
// Idempotency-Key (queue.js), so a retried take never makes two tickets. Then the ticket page.
import { authed } from "../app/api.js";
import { errorMessage } from "../app/i18n.js";
import { forgetTakeKey, sendWithRetry, takeKey, waitingNow, watchHallIfAvailable } from "../app/queue.js";
import { cacheTicket } from "../app/ticket-cache.js";
import { h } from "../app/ui/dom.js";

const POSITION_TIMEOUT_MS = 15_000;
const LAST_HALL = "civicgrid.queue.hall";
// The ticket page offers Web Push to whoever has just taken this ticket.
export const JUST_TAKEN = "civicgrid.queue.just_taken";

/** replaceChildren, leaving out the parts not shown (null, false), which it would write as text. */
export function fill(element, ...children) {
  element.replaceChildren(...children.flat(Infinity).filter((child) => child != null && child !== false));
}

function locate() {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) return reject(Object.assign(new Error("unavailable"), { code: 2 }));
    navigator.geolocation.getCurrentPosition(resolve, reject,
      { enableHighAccuracy: true, timeout: POSITION_TIMEOUT_MS, maximumAge: 0 });  // a fresh fix: they may have just walked in
  });
}

/** A distance in words: metres up to a kilometre, then kilometres with one decimal. */
export function distanceWords(t, metres) {
  const m = Math.max(1, Math.round(Number(metres) || 0));
  return m < 1000 ? t("queue.distance_m", { n: m }) : t("queue.distance_km", { n: (m / 1000).toFixed(1) });
}

/** The catalogue's words for a queue error: queue.error.<code>, else the app's usual ones. */
export function queueErrorText(t, error, lang) {
  const details = error?.body?.error || {};
  const params = { ...details };
  if (details.opens_at) {
    params.when = new Intl.DateTimeFormat(lang, { month: "long", day: "numeric", weekday: "short",
      hour: "2-digit", minute: "2-digit" }).format(new Date(details.opens_at));
  }
  if (details.accuracy_m != null) params.accuracy_m = Math.round(details.accuracy_m);
  const code = error?.code === "hall_closed" && !details.opens_at ? "hall_closed_long" : error?.code;
  const key = `queue.error.${code}`;
  const text = t(key, params);
  return text === key ? errorMessage(error) : text;
}

function geoErrorKey(error) {
  if (error?.code === 1) return "queue.geo_denied";
  if (error?.code === 3) return "queue.geo_timeout";
  return "queue.geo_unavailable";
}

function serviceButton(app, service, { chosen, waiting, onPick }) {
  const { t } = app;
  return h("button", { type: "button", class: "service-button", id: `service-${service.code}`,
    "aria-pressed": String(chosen), dataset: { id: service.id }, onclick: () => onPick(service) },
  h("span", { class: "service-code", "aria-hidden": "true" }, service.code),
  h("span", { class: "service-name" }, service.name),
  waiting != null ? h("span", { class: "service-waiting" }, t("queue.waiting_n", { n: waiting })) : null);
}

function hallPicker(app, halls, chosenId, onPick) {
  const { t } = app;
  if (halls.length === 1) {
    const [hall] = halls;
    return h("div", { class: "card", id: "take-hall", dataset: { id: hall.id } },
      h("p", { class: "hall-name" }, hall.name),
      hall.address ? h("p", { class: "hint" }, hall.address) : null,
      hall.open_now ? null : h("p", { class: "badge", id: "take-hall-closed" }, t("queue.hall_closed_now")));
  }
  return h("div", { class: "chips", role: "group", id: "take-halls", "aria-label": t("queue.pick_hall") },
    halls.map((hall) => h("button", { type: "button", class: "chip", dataset: { id: hall.id },
      "aria-pressed": String(hall.id === chosenId), onclick: () => onPick(hall.id) },
    hall.name, hall.open_now ? null : ` · ${t("queue.hall_closed_now")}`)));
}

/** The answer to a refused take: what happened, what to do, and a way to try again. */
function problem(app, error, retry) {
  const { t } = app;
  const code = error?.code || "unknown";
  const details = error?.body?.error || {};
  const again = h("button", { type: "button", class: "secondary", id: "take-retry", onclick: retry }, t("queue.try_again"));
  if (code === "out_of_fence") {
    return h("section", { class: "card notice rejected", id: "take-problem", dataset: { code }, role: "alert" },
      h("h2", {}, t("queue.outside_title")),
      h("p", { id: "take-distance", dataset: { m: details.distance_m } },
        t("queue.outside_distance", { d: distanceWords(t, details.distance_m) })),
      h("p", {}, t("queue.outside_explain", { r: Math.round(details.radius_m || 0) })),
      h("p", { class: "hint" }, t("queue.outside_tip")),
      again);
  }
  if (code === "ticket_open") {
    return h("section", { class: "card notice", id: "take-problem", dataset: { code }, role: "alert" },
      h("p", {}, queueErrorText(t, error, app.language())),
      h("a", { class: "button primary", id: "take-open-ticket", href: `#/tickets/${details.ticket_id}` },
        t("queue.see_open_ticket", { number: details.number || "" })));
  }
  const final = ["hall_closed", "daily_limit_reached"].includes(code);
  return h("section", { class: "card notice rejected", id: "take-problem", dataset: { code }, role: "alert" },
    h("p", {}, error?.geo ? t(error.geo) : code === "network" ? t("queue.take_network")
      : queueErrorText(t, error, app.language())),
    code === "network" ? h("p", { class: "hint" }, t("queue.network_keeps_key")) : null,
    final ? null : again);
}

export async function mount(root, _params, app) {
  const { t } = app;
  const owner = app.owner();
  let halls = [];
  let hallId = null;
  let service = null;
  let busy = false;
  let gone = false;
  let waiting = {};  // service id → waiting, from the hall's live events when there are any
  let stopLive = () => {};

  const section = h("section", { id: "take-number", class: "narrow" });
  const pickers = h("div", { id: "take-pickers" });
  const status = h("p", { id: "take-status", class: "hint", role: "status", "aria-live": "polite" });
  const outcome = h("div", { id: "take-outcome" });
  const takeButton = h("button", { type: "button", class: "primary take", id: "take", disabled: true,
    onclick: () => take() }, t("queue.take"));
  section.append(h("h1", {}, t("queue.take_title")), pickers, takeButton, status, outcome,
    h("a", { class: "button secondary", href: "#/tickets", id: "take-my-tickets" }, t("queue.my_tickets")));
  root.append(section);

  const hall = () => halls.find((x) => x.id === hallId);

  function draw() {
    const chosen = hall();
    fill(pickers,
      halls.length ? hallPicker(app, halls, hallId, pickHall) : null,
      chosen ? h("h2", { id: "take-services-title" }, t("queue.pick_service")) : null,
      chosen ? h("div", { class: "service-grid", role: "group", "aria-labelledby": "take-services-title", id: "take-services" },
        chosen.services.map((s) => serviceButton(app, s, { chosen: s.id === service?.id, waiting: waiting[s.id],
          onPick: (picked) => { service = picked; outcome.replaceChildren(); draw(); } }))) : null);
    takeButton.disabled = busy || !service;
    takeButton.textContent = service ? t("queue.take_for", { code: service.code, name: service.name }) : t("queue.take");
  }

  function pickHall(id) {
    if (id === hallId) return;
    hallId = id;
    service = null;
    waiting = {};
    localStorage.setItem(LAST_HALL, id);
    stopLive();
    // How many wait for each service: the hall's board now, then its live events.
    const readBoard = () => waitingNow(id).then((counts) => {
      if (counts && !gone && hallId === id) {
        waiting = counts;
        draw();
      }
    });
    stopLive = watchHallIfAvailable(id, (event) => {
      if (event?.kind === "resync") readBoard();
      else if (event?.waiting && typeof event.waiting === "object" && !gone && hallId === id) {
        // Events count only the services with someone waiting.
        waiting = Object.fromEntries(hall()?.services.map((s) => [s.id, event.waiting[s.id] ?? 0]) || []);
        draw();
      }
    });
    readBoard();
    draw();
  }

  async function load() {
    status.textContent = t("queue.loading_halls");
    outcome.replaceChildren();
    try {
      halls = await authed("/api/v1/halls");
    } catch (error) {
      status.textContent = "";
      outcome.replaceChildren(h("section", { class: "card notice rejected", id: "take-problem", role: "alert",
        dataset: { code: error.code } }, h("p", {}, errorMessage(error)),
      h("button", { type: "button", class: "secondary", id: "take-reload", onclick: load }, t("queue.try_again"))));
      return;
    }
    if (gone) return;
    status.textContent = halls.length ? "" : t("queue.no_halls");
    const last = localStorage.getItem(LAST_HALL);
    const first = halls.length === 1 ? halls[0].id : halls.find((x) => x.id === last)?.id;
    if (first) pickHall(first);
    else draw();
  }

  async function take() {
    if (busy || !service || !hall()) return;
    busy = true;
    draw();
    outcome.replaceChildren();
    const { id: serviceId } = service;
    const targetHall = hallId;
    try {
      status.textContent = t("queue.locating");
      let fix;
      try {
        fix = await locate();
      } catch (error) {
        throw Object.assign(new Error("geolocation"), { code: "geolocation", geo: geoErrorKey(error) });
      }
      status.textContent = t("queue.taking");
      const key = takeKey(sessionStorage, owner, serviceId);
      const body = { service_id: serviceId, lat: fix.coords.latitude, lon: fix.coords.longitude,
        accuracy_m: Number.isFinite(fix.coords.accuracy) ? fix.coords.accuracy : null };
      const ticket = await sendWithRetry(() => {
        if (gone) throw new Error("left the screen");
        return authed(`/api/v1/halls/${targetHall}/tickets`, { method: "POST", body, headers: { "Idempotency-Key": key } });
      }, { onRetry: (attempt) => { status.textContent = t("queue.retrying", { n: attempt }); } });
      forgetTakeKey(sessionStorage, owner, serviceId);
      await cacheTicket(owner, ticket).catch(() => {});
      sessionStorage.setItem(JUST_TAKEN, ticket.id);
      if (!gone) app.navigate(`/tickets/${ticket.id}`);
    } catch (error) {
      if (gone) return;
      status.textContent = "";
      outcome.replaceChildren(problem(app, error, () => take()));
    } finally {
      busy = false;
      if (!gone) draw();
    }
  }

  await load();
  return () => {
    gone = true;
    stopLive();
  };
}
