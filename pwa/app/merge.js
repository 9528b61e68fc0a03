// Local views: server state with the outbox's pending mutations applied on top.
// Pure functions (no IndexedDB, no DOM): node's test runner checks them (tests/js/).

/** One record as the user sees it: `server` (or undefined) plus `mutations` for it, in mid order. */
export function applyPending(server, mutations) {
  let view = server ? { ...server } : undefined;
  let pending = false;
  for (const m of mutations) {
    pending = true;
    if (m.op === "delete") view = undefined;
    else if (m.op === "create") view = { ...(view || {}), ...m.fields, id: m.id, version: view?.version ?? 0 };
    // An update of a record we no longer hold (deleted here or elsewhere) stays invisible.
    else if (view) view = { ...view, ...m.fields };
  }
  if (view && pending) view._pending = true;
  return view;
}

/** Every record of `collection`: server records by id, outbox entries in mid order. */
export function viewCollection(serverRecords, outbox, collection) {
  const byId = new Map();
  for (const record of serverRecords) byId.set(record.id, { server: record, mutations: [] });
  for (const m of outbox) {
    if (m.collection !== collection) continue;
    const entry = byId.get(m.id) || { server: undefined, mutations: [] };
    entry.mutations.push(m);
    byId.set(m.id, entry);
  }
  const out = [];
  for (const { server, mutations } of byId.values()) {
    mutations.sort((a, b) => a.mid - b.mid);
    const view = applyPending(server, mutations);
    if (view) out.push(view);
  }
  return out;
}

/** Only the fields that differ from `current`: an update sends what changed, nothing more. */
export function changedFields(current, edited) {
  const out = {};
  for (const [name, value] of Object.entries(edited)) {
    if (JSON.stringify(current?.[name]) !== JSON.stringify(value)) out[name] = value;
  }
  return out;
}

/** Newer wins: a pull or a push result never replaces a record with an older version. */
export function isNewer(incomingVersion, held) {
  return !held || incomingVersion >= held.version;
}
