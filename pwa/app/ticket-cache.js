// The citizen's tickets as last seen, kept on the phone (IndexedDB, the store's per-user
// `meta` rows), so a ticket page opened in a hall with no signal still shows the number and
// when it was last read. API data the service worker never caches; this is the screen's own.
import { getMeta, setMeta } from "./store.js";

const ticketKey = (id) => `queue.ticket.${id}`;
const LIST_KEY = "queue.tickets";

/** { ticket, saved_at } of this ticket, or null. */
export function cachedTicket(owner, id) {
  return getMeta(owner, ticketKey(id), null);
}

export function cacheTicket(owner, ticket) {
  return setMeta(owner, ticketKey(ticket.id), { ticket, saved_at: new Date().toISOString() });
}

/** { items, saved_at } of the last list read, or null. */
export function cachedTickets(owner) {
  return getMeta(owner, LIST_KEY, null);
}

export function cacheTickets(owner, items) {
  return setMeta(owner, LIST_KEY, { items, saved_at: new Date().toISOString() });
}
