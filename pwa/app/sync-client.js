// The client side of SYNC_PROTOCOL.md: push the outbox, pull changes, upload photos.
// Only this module talks to /sync and /blobs. DOM-free: the page runs it, and so does the
// service worker on a Background Sync event; a Web Lock keeps the two from syncing at once.
import { ApiError, SessionExpired, authed } from "./api.js";
import { batches } from "./backoff.js";
import * as store from "./store.js";

export const CHANNEL = "civicgrid-sync";
const PULL_LIMIT = 500;
let channel;

function broadcast(message) {
  channel ||= new BroadcastChannel(CHANNEL);
  channel.postMessage(message);
  // BroadcastChannel does not deliver to its own context; tell local listeners too.
  globalThis.dispatchEvent?.(new CustomEvent(CHANNEL, { detail: message }));
}

/** What the user sees of sync: pending count, last good sync, notices, and what is going on. */
export async function status(owner, state = "idle", error = null) {
  const [pending, notices, lastSync, blobs] = await Promise.all([
    store.outbox(owner), store.notices(owner), store.getMeta(owner, "last_sync_at"),
    store.pendingBlobs(owner)]);
  return { owner, state, error, pending: pending.length, pending_photos: blobs.length,
    notices: notices.length, last_sync_at: lastSync };
}

async function announce(owner, state, error = null) {
  broadcast({ type: "status", ...(await status(owner, state, error)) });
}

/**
 * Sync once for the signed-in user. Resolves with the outcome; throws on failure (so that a
 * Background Sync is retried by the browser, and the page's scheduler backs off).
 */
export async function syncNow(reason = "manual") {
  const session = await store.getSession();
  if (!session) return { skipped: "signed_out" };
  const owner = session.user.id;
  const run = () => syncAs(owner, reason);
  if (globalThis.navigator?.locks) return navigator.locks.request(CHANNEL, run);
  return run();
}

async function syncAs(owner, reason) {
  await announce(owner, "syncing");
  try {
    const client = await store.clientId(owner);
    const pushed = await pushOutbox(owner, client);
    const pulled = await pullAll(owner, client);
    const uploaded = await uploadBlobs(owner);
    // The server has just marked those photos complete: bring that back now, not a minute later.
    if (uploaded) await pullAll(owner, client);
    await store.setMeta(owner, "last_sync_at", new Date().toISOString());
    await announce(owner, "idle");
    if (pushed || pulled || uploaded) broadcast({ type: "changed", owner });
    return { reason, pushed, pulled, uploaded };
  } catch (error) {
    const state = error instanceof SessionExpired ? "expired" : error.status === 0 ? "offline" : "error";
    await announce(owner, state, error.code || "unknown");
    throw error;
  }
}

// -- push --------------------------------------------------------------------------------

async function pushOutbox(owner, client) {
  let pushed = 0;
  let maxCount = 200;
  for (;;) {
    const pending = await store.outbox(owner);
    if (!pending.length) return pushed;
    const [batch] = batches(pending.map(wireMutation), maxCount);
    let body;
    try {
      body = await authed("/api/v1/sync/push", { method: "POST", gzip: true,
        body: { client_id: client, sent_at: new Date().toISOString(), mutations: batch } });
    } catch (error) {
      if (error.status === 413 && maxCount > 1) {
        maxCount = Math.max(1, Math.floor(batch.length / 2));  // the server's limits are lower
        continue;
      }
      throw error;
    }
    await takeResults(owner, body);
    pushed += body.results.length;
    if (body.last_mid < batch[0].mid) {
      // The server applied none of it: the outbox skips a mid the server never saw.
      throw new ApiError(409, { error: { code: "outbox_gap", message: `server is at mid ${body.last_mid}` } });
    }
  }
}

function wireMutation({ owner, ...mutation }) {
  return mutation;
}

async function takeResults(owner, body) {
  const records = [];
  const notices = [];
  for (const result of body.results) {
    const outcome = result.status === "duplicate" ? result.original || {} : result;
    if (result.record) records.push({ collection: result.collection, record: result.record });
    if (outcome.status === "rejected") {
      notices.push(notice(result, "rejected", outcome.error?.code, outcome.error?.message));
    }
    for (const conflict of outcome.conflict || []) {
      notices.push(notice(result, "conflict", conflict.kind, null, conflict));
    }
  }
  await store.storeServerRecords(owner, records);
  await store.addNotices(owner, notices);
  await store.dropApplied(owner, body.last_mid);
}

function notice(result, kind, code, message, conflict = null) {
  return {
    id: `${result.mid}:${kind}:${conflict?.id || code}`, kind, code: code || "unknown",
    message: message || null, mid: result.mid, collection: result.collection,
    record_id: result.id, conflict, created_at: new Date().toISOString(),
  };
}

// -- pull --------------------------------------------------------------------------------

async function pullAll(owner, client) {
  let cursor = await store.getMeta(owner, "cursor");
  let pulled = 0;
  let restarted = false;
  for (;;) {
    const query = new URLSearchParams({ client_id: client, limit: String(PULL_LIMIT) });
    if (cursor) query.set("cursor", cursor);
    let page;
    try {
      page = await authed(`/api/v1/sync/pull?${query}`);
    } catch (error) {
      if (error.status === 410 && !restarted) {
        // Our cursor is too old or unknown: start over from a snapshot; the outbox stays.
        restarted = true;
        await store.resetServerState(owner);
        cursor = null;
        continue;
      }
      throw error;
    }
    await store.applyPullPage(owner, page.changes, page.cursor, page.last_mid);
    pulled += page.changes.length;
    cursor = page.cursor;
    if (!page.has_more) return pulled;
  }
}

// -- photos ------------------------------------------------------------------------------

async function uploadBlobs(owner) {
  const waiting = await store.pendingBlobs(owner);
  if (!waiting.length) return 0;
  // Records go first: a photo's bytes wait until its record has left the outbox.
  const queued = new Set((await store.outbox(owner))
    .filter((m) => m.collection === "photos").map((m) => m.fields?.sha256));
  let uploaded = 0;
  for (const item of waiting) {
    if (queued.has(item.sha256)) continue;
    const path = `/api/v1/blobs/${item.sha256}`;
    try {
      await authed(path, { method: "HEAD" });  // the server has it already: skip the bytes
    } catch (error) {
      if (error.status !== 404) throw error;
      try {
        await authed(path, { method: "PUT", body: item.blob, headers: { "Content-Type": item.type } });
      } catch (putError) {
        if (![400, 413].includes(putError.status)) throw putError;
        await store.addNotices(owner, [{ id: `blob:${item.sha256}`, kind: "rejected",
          code: putError.code, message: putError.message, collection: "photos",
          record_id: null, created_at: new Date().toISOString() }]);
      }
    }
    await store.markBlobUploaded(owner, item.sha256);
    uploaded += 1;
  }
  return uploaded;
}
