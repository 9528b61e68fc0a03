// The phone's local database (IndexedDB through idb): what the server sent, the outbox of
// pending mutations, the pull cursor, photos waiting to upload, and notices for the user.
// Every row of user data carries its `owner` (the user id), so a second person signing in
// on the same phone sees none of the first one's data, and their unsynced work waits for them.
// DOM-free: the service worker imports it too (Background Sync).
import { openDB } from "../lib/idb-8.0.4.js";
import { applyPending, isNewer, viewCollection } from "./merge.js";

const DB_NAME = "civicgrid";
const DB_VERSION = 1;
let dbPromise;

export function db() {
  dbPromise ||= openDB(DB_NAME, DB_VERSION, {
    upgrade(database, oldVersion) {
      // One numbered step per schema version; never edit a step that has shipped.
      if (oldVersion < 1) {
        database.createObjectStore("session", { keyPath: "key" });
        database.createObjectStore("records", { keyPath: ["owner", "collection", "id"] });
        database.createObjectStore("outbox", { keyPath: ["owner", "mid"] });
        database.createObjectStore("meta", { keyPath: ["owner", "key"] });
        database.createObjectStore("blobs", { keyPath: ["owner", "sha256"] });
        database.createObjectStore("notices", { keyPath: ["owner", "id"] });
      }
    },
    blocking() {
      // A newer app version wants to upgrade the schema: let it.
      dbPromise?.then((d) => d.close());
      dbPromise = undefined;
    },
  });
  return dbPromise;
}

// Key ranges over one owner's rows: arrays sort after every string, so [owner, []] is above
// any [owner, "…"] key.
const ownerRange = (owner) => IDBKeyRange.bound([owner], [owner, []]);
const collectionRange = (owner, collection) => IDBKeyRange.bound([owner, collection], [owner, collection, []]);

// -- session ---------------------------------------------------------------------------

export async function getSession() {
  return (await (await db()).get("session", "current")) || null;
}

export async function putSession(session) {
  await (await db()).put("session", { ...session, key: "current" });
}

export async function clearSession() {
  await (await db()).delete("session", "current");
}

// -- meta -------------------------------------------------------------------------------

export async function getMeta(owner, key, fallback = null) {
  const row = await (await db()).get("meta", [owner, key]);
  return row ? row.value : fallback;
}

export async function setMeta(owner, key, value) {
  await (await db()).put("meta", { owner, key, value });
}

/** This install's client id for this user: made once, kept across sign-outs with the outbox. */
export async function clientId(owner) {
  const d = await db();
  const tx = d.transaction("meta", "readwrite");
  const row = await tx.store.get([owner, "client_id"]);
  let id = row?.value;
  if (!id) {
    id = crypto.randomUUID();
    await tx.store.put({ owner, key: "client_id", value: id });
  }
  await tx.done;
  return id;
}

// -- records and local views ------------------------------------------------------------

export async function serverRecords(owner, collection) {
  const rows = await (await db()).getAll("records", collectionRange(owner, collection));
  return rows.map((row) => row.record);
}

export async function outbox(owner) {
  return (await db()).getAll("outbox", ownerRange(owner));
}

/** Records of a collection as the user sees them: server state plus pending changes. */
export async function view(owner, collection) {
  const [records, pending] = await Promise.all([serverRecords(owner, collection), outbox(owner)]);
  return viewCollection(records, pending, collection);
}

export async function viewOne(owner, collection, id) {
  const d = await db();
  const row = await d.get("records", [owner, collection, id]);
  const pending = (await outbox(owner)).filter((m) => m.collection === collection && m.id === id);
  return applyPending(row?.record, pending);
}

/**
 * Queue a change: give it the next mid and put it in the outbox, in one transaction.
 * `base_version` is the server version the user's change was made on.
 */
export async function addMutation(owner, { collection, id, op, fields = {} }) {
  const d = await db();
  const tx = d.transaction(["outbox", "meta", "records"], "readwrite");
  const meta = tx.objectStore("meta");
  const next = (await meta.get([owner, "next_mid"]))?.value || 1;
  const held = await tx.objectStore("records").get([owner, collection, id]);
  // A record still waiting for its own create will be version 1 when that create applies.
  const base = op === "create" ? null : held?.version || 1;
  const mutation = {
    owner, mid: next, collection, id, op, base_version: base, fields,
    client_time: new Date().toISOString(),
  };
  await tx.objectStore("outbox").put(mutation);
  await meta.put({ owner, key: "next_mid", value: next + 1 });
  await tx.done;
  return mutation;
}

/** The server has applied every mutation up to `lastMid`: they leave the outbox. */
export async function dropApplied(owner, lastMid) {
  const d = await db();
  await d.delete("outbox", IDBKeyRange.bound([owner, 0], [owner, lastMid]));
}

/** Write what the server says a record now is (a push result), unless we hold newer. */
export async function storeServerRecords(owner, items) {
  const d = await db();
  const tx = d.transaction("records", "readwrite");
  for (const { collection, record } of items) {
    const key = [owner, collection, record.id];
    const held = await tx.store.get(key);
    if (!isNewer(record.version, held)) continue;
    if (record.deleted) await tx.store.delete(key);
    else await tx.store.put({ owner, collection, id: record.id, version: record.version, record });
  }
  await tx.done;
}

/**
 * Apply one pull page and its cursor together (one transaction): after a crash the app
 * holds either both or neither, and the next pull carries on from the right place.
 */
export async function applyPullPage(owner, changes, cursor, lastMid) {
  const d = await db();
  const tx = d.transaction(["records", "meta", "outbox"], "readwrite");
  const records = tx.objectStore("records");
  for (const change of changes) {
    const key = [owner, change.collection, change.id];
    if (change.deleted) {
      await records.delete(key);
      continue;
    }
    const held = await records.get(key);
    if (isNewer(change.version, held)) {
      await records.put({ owner, collection: change.collection, id: change.id,
        version: change.version, record: change.record });
    }
  }
  await tx.objectStore("meta").put({ owner, key: "cursor", value: cursor });
  if (lastMid) await tx.objectStore("outbox").delete(IDBKeyRange.bound([owner, 0], [owner, lastMid]));
  await tx.done;
}

/** 410: forget server state and the cursor, keep the outbox; the next pull is a snapshot. */
export async function resetServerState(owner) {
  const d = await db();
  const tx = d.transaction(["records", "meta"], "readwrite");
  await tx.objectStore("records").delete(ownerRange(owner));
  await tx.objectStore("meta").delete([owner, "cursor"]);
  await tx.done;
}

/**
 * Signing out: remove what the server can give back (records, cursor, notices, uploaded
 * photos) and keep what only this phone has (the outbox, its mids, photos not yet sent).
 */
export async function forgetSyncedData(owner) {
  const d = await db();
  const tx = d.transaction(["records", "meta", "notices", "blobs"], "readwrite");
  await tx.objectStore("records").delete(ownerRange(owner));
  await tx.objectStore("notices").delete(ownerRange(owner));
  await tx.objectStore("meta").delete([owner, "cursor"]);
  await tx.objectStore("meta").delete([owner, "last_sync_at"]);
  // The queue tickets its screens kept to show offline (app/ticket-cache.js).
  await tx.objectStore("meta").delete(IDBKeyRange.bound([owner, "queue."], [owner, "queue.\uffff"]));
  // The certificates (and their QR codes) the wallet kept to show offline (app/certificate-cache.js).
  await tx.objectStore("meta").delete(IDBKeyRange.bound([owner, "certificates."], [owner, "certificates.\uffff"]));
  const blobs = tx.objectStore("blobs");
  for (const row of await blobs.getAll(ownerRange(owner))) {
    if (row.state === "uploaded") await blobs.delete([owner, row.sha256]);
  }
  await tx.done;
}

// -- photos waiting to upload -------------------------------------------------------------

export async function putBlob(owner, sha256, blob) {
  await (await db()).put("blobs", { owner, sha256, blob, type: blob.type, state: "pending",
    added_at: new Date().toISOString() });
}

export async function getBlob(owner, sha256) {
  return (await db()).get("blobs", [owner, sha256]);
}

export async function pendingBlobs(owner) {
  return (await (await db()).getAll("blobs", ownerRange(owner))).filter((b) => b.state === "pending");
}

export async function markBlobUploaded(owner, sha256) {
  const d = await db();
  const row = await d.get("blobs", [owner, sha256]);
  if (row) await d.put("blobs", { ...row, state: "uploaded" });
}

// -- notices: rejections and conflicts the user should see ----------------------------------

export async function addNotices(owner, notices) {
  if (!notices.length) return;
  const d = await db();
  const tx = d.transaction("notices", "readwrite");
  for (const notice of notices) await tx.store.put({ owner, seen: false, ...notice });
  await tx.done;
}

export async function notices(owner) {
  const rows = await (await db()).getAll("notices", ownerRange(owner));
  return rows.sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
}

export async function dismissNotice(owner, id) {
  await (await db()).delete("notices", [owner, id]);
}
