// The citizen's certificates as last read, kept on the phone (IndexedDB, the store's per-user
// `meta` rows), so the wallet opens and a QR shows where there is no signal, once the wallet
// has been opened online. API data the service worker never caches; this is the screens' own.
// Signing out forgets it (store.forgetSyncedData clears the `certificates.` keys).
import { getMeta, setMeta } from "./store.js";

export const CERTIFICATE_KEY_PREFIX = "certificates.";
const LIST_KEY = `${CERTIFICATE_KEY_PREFIX}list`;

/** { items, saved_at } of the last list read, or null. */
export function cachedCertificates(owner) {
  return getMeta(owner, LIST_KEY, null);
}

export function cacheCertificates(owner, items) {
  return setMeta(owner, LIST_KEY, { items, saved_at: new Date().toISOString() });
}

/** { certificate, saved_at } of one certificate from the list kept, or null. */
export async function cachedCertificate(owner, id) {
  const kept = await cachedCertificates(owner);
  const certificate = kept?.items.find((c) => c.id === id);
  return certificate ? { certificate, saved_at: kept.saved_at } : null;
}

/**
 * One certificate read again: it replaces its copy in the list kept (the list's time stays
 * the time the whole list was read, unless there was no list yet).
 */
export async function cacheCertificate(owner, certificate) {
  const kept = await cachedCertificates(owner);
  if (!kept) return setMeta(owner, LIST_KEY, { items: [certificate], saved_at: new Date().toISOString() });
  const items = kept.items.some((c) => c.id === certificate.id)
    ? kept.items.map((c) => (c.id === certificate.id ? certificate : c))
    : [...kept.items, certificate];
  return setMeta(owner, LIST_KEY, { ...kept, items });
}
