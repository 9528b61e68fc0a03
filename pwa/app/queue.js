// The citizen's side of the service hall (取号、我的排号), the parts without a screen: taking a
// number over a slow link without ever taking two, how a wait reads, which tickets come
// first, what a hall event means for one ticket, and the last ticket seen kept for offline.
// DOM-free (node's test runner checks it, tests/js/queue.test.mjs).
import { nextDelay } from "./backoff.js";

export const OPEN_STATUSES = ["waiting", "called"];
// Mirrors backend/queue/models.py RATING_REASONS, split by what a score says.
export const PRAISE_REASONS = ["efficient", "courteous", "clear"];
export const COMPLAINT_REASONS = ["long_wait", "attitude", "unclear", "repeat_visit"];
export const RATING_REASONS = [...PRAISE_REASONS, ...COMPLAINT_REASONS, "other"];
// A rating this low opens the hall's follow-up (backend BAD_RATING_MAX).
export const BAD_RATING_MAX = 2;

// A take is retried this often at most on a failing link, waiting 1 s, 2 s, 4 s … (capped).
export const TAKE_ATTEMPTS = 6;
const TAKE_BASE_MS = 1_000;
const TAKE_CAP_MS = 8_000;

export const isOpen = (ticket) => OPEN_STATUSES.includes(ticket?.status);

/** The reasons to offer for a score: praise for 4–5, complaints for 1–3, all before one is chosen. */
export function reasonsFor(score) {
  if (!score) return RATING_REASONS;
  return [...(score >= 4 ? PRAISE_REASONS : COMPLAINT_REASONS), "other"];
}

/**
 * How a wait reads: { key, n } for the catalogue's queue.wait_* messages. Nobody plans to
 * the second: under a minute is "soon", then whole minutes up to 10, fives up to an hour,
 * then hours and ten-minute steps.
 */
export function waitWords(seconds) {
  if (seconds == null || !Number.isFinite(seconds)) return null;
  if (seconds < 60) return { key: "queue.wait_soon" };
  const minutes = seconds / 60;
  if (minutes < 10) return { key: "queue.wait_minutes", n: Math.round(minutes) };
  if (minutes < 60) return { key: "queue.wait_minutes", n: Math.min(60, Math.round(minutes / 5) * 5) };
  const tens = Math.round(minutes / 10) * 10;
  const hours = Math.floor(tens / 60);
  const rest = tens % 60;
  return rest ? { key: "queue.wait_hours_minutes", h: hours, n: rest } : { key: "queue.wait_hours", h: hours };
}

/** Open tickets first (called before waiting), then the newest. */
export function sortTickets(tickets) {
  const rank = (ticket) => (ticket.status === "called" ? 0 : ticket.status === "waiting" ? 1 : 2);
  return [...tickets].sort((a, b) => rank(a) - rank(b) || (a.taken_at < b.taken_at ? 1 : a.taken_at > b.taken_at ? -1 : 0));
}

/**
 * What a hall event means for a ticket page: "now" (its own number moved: read it at once),
 * "soon" (its queue moved: read it shortly, once for a burst) or null (another service's).
 */
export function eventConcerns(event, ticket) {
  if (!event || !ticket) return null;
  if (event.kind === "resync") return "now";
  if (event.number && event.number === ticket.number) return "now";
  if (!event.service_id || event.service_id === ticket.service?.id) return "soon";
  return null;
}

/** Whether a push message is about this ticket (or says nothing about which: read anyway). */
export function pushConcerns(message, ticketId) {
  if (!message) return false;
  if (message.ticket_id) return message.ticket_id === ticketId;
  return !message.url || message.url.includes(ticketId);
}

/** A change the holder should feel (vibrate): called, or called again, or sent elsewhere. */
export function callSignature(ticket) {
  if (ticket?.status !== "called") return null;
  return `${ticket.window?.number ?? ""}:${ticket.recalls ?? 0}`;
}

/** Whether a failed take may be sent again with the same key: no answer, or a server/proxy failure. */
export function isRetryable(error) {
  return error?.status === 0 || [500, 502, 503, 504].includes(error?.status);
}

// -- the Idempotency-Key of one intended take ------------------------------------------------

const keyName = (owner, serviceId) => `civicgrid.queue.take.${owner}.${serviceId}`;

/**
 * The key for taking a number for this service: made on the first try and kept (in this
 * tab's sessionStorage, so a reload keeps it too) until a take succeeds, so that however
 * often a take is retried the server makes one ticket.
 */
export function takeKey(storage, owner, serviceId, makeId = () => crypto.randomUUID()) {
  const name = keyName(owner, serviceId);
  let key = storage.getItem(name);
  if (!key) {
    key = makeId();
    storage.setItem(name, key);
  }
  return key;
}

export function forgetTakeKey(storage, owner, serviceId) {
  storage.removeItem(keyName(owner, serviceId));
}

/**
 * Send a take, and send it again with the same key while the link fails (back-off with
 * jitter from backoff.js, fast at first: the citizen stands there waiting). `onRetry(attempt,
 * delayMs)` tells the screen. Errors the server answered are thrown at once.
 */
export async function sendWithRetry(send, { attempts = TAKE_ATTEMPTS, onRetry = () => {},
  sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms)), random = Math.random } = {}) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await send(attempt);
    } catch (error) {
      if (!isRetryable(error) || attempt >= attempts) throw error;
      const delay = nextDelay(attempt, random, TAKE_BASE_MS, TAKE_CAP_MS);
      onRetry(attempt + 1, delay);
      await sleep(delay);
    }
  }
}

// -- the hall's live events, when this app has them ------------------------------------------

/**
 * Follow a hall's live events through hall-live.js's watchHall(hallId, onEvent) when the
 * module loads (an import that fails, as on a shell from before it, only means no live
 * updates: the poll and the pushes still come); returns the stop function at once.
 */
export function watchHallIfAvailable(hallId, onEvent, load = () => import("./hall-live.js")) {
  let stop = null;
  let stopped = false;
  Promise.resolve().then(load).then((module) => {
    if (!stopped && typeof module?.watchHall === "function") stop = module.watchHall(hallId, onEvent);
  }).catch(() => {});
  return () => {
    stopped = true;
    if (typeof stop === "function") stop();
  };
}

/** How many wait for each service of a hall now ({service id: n}), from its board; null if unknown. */
export async function waitingNow(hallId, load = () => import("./hall-live.js")) {
  try {
    const board = await (await load()).fetchBoard(hallId);
    return Object.fromEntries((board.waiting || []).map((queue) => [queue.service_id, queue.waiting]));
  } catch {
    return null;  // no board (offline, an older server): the buttons just say less
  }
}
