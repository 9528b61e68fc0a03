// What the certificate verifier needs offline, kept on the phone: the issuers' public keys
// (/.well-known/jwks.json) and their signed status lists, with when each was fetched. The
// verifier is public (no sign-in), so the rows belong to a fixed owner, "public", in the
// store's `meta` rows; signing out leaves them (they hold nothing personal).
//
// We keep the server's signed tokens as they came and verify them each time they are read,
// so what the phone believes is always what an issuer signed, never a copy we made.
import { publicGet } from "./api.js";
import { isListStale, verifyStatusListToken, verifyStatusLists } from "./certificate-check.js";
import { getMeta, setMeta } from "./store.js";

export const VERIFIER_OWNER = "public";
const KEYS_KEY = "verifier.jwks";
const LISTS_KEY = "verifier.status_lists";
export const JWKS_PATH = "/.well-known/jwks.json";
export const STATUS_LISTS_PATH = "/api/v1/certificates/status-lists";

/**
 * What the phone has: `{ keys, statusLists, keysFetchedAt, listsFetchedAt, listsIssuedAt,
 * stale, never }`. `statusLists` are the verified lists by issuer; `listsIssuedAt` the
 * oldest list's issue time (ISO); `stale` when any list is past its exp or there is none.
 */
export async function loadVerifierData(now = Date.now()) {
  const [keys, lists] = await Promise.all([getMeta(VERIFIER_OWNER, KEYS_KEY, null),
    getMeta(VERIFIER_OWNER, LISTS_KEY, null)]);
  const jwks = keys?.jwks ?? null;
  const statusLists = lists ? await verifyStatusLists(lists, jwks) : {};
  return describe({ jwks, statusLists, keysFetchedAt: keys?.fetched_at ?? null,
    listsFetchedAt: lists?.fetched_at ?? null, types: lists?.types ?? [] }, now);
}

export function describe({ jwks, statusLists, keysFetchedAt, listsFetchedAt, types = [] }, now = Date.now()) {
  const all = Object.values(statusLists);
  const oldest = all.length ? Math.min(...all.map((list) => list.iat)) : null;
  return {
    keys: jwks, statusLists, keysFetchedAt, listsFetchedAt, types,
    listsIssuedAt: oldest === null ? null : new Date(oldest * 1000).toISOString(),
    never: !jwks || !listsFetchedAt,
    stale: all.length === 0 || all.some((list) => isListStale(list, now)),
  };
}

/**
 * Fetch the keys and lists again and keep them; returns what loadVerifierData returns.
 * Throws ApiError (status 0 offline) and keeps what the phone had. A list whose signature
 * fails, or that is older than the one kept (a stale copy from a proxy), does not replace
 * the one kept.
 */
export async function refreshVerifierData(get = publicGet, now = Date.now()) {
  const [jwks, fresh] = await Promise.all([get(JWKS_PATH), get(STATUS_LISTS_PATH)]);
  if (!Array.isArray(jwks?.keys) || !Array.isArray(fresh?.items)) throw new Error("verifier: unexpected answer");
  const fetchedAt = new Date(now).toISOString();
  const kept = await getMeta(VERIFIER_OWNER, LISTS_KEY, null);
  const items = await newestTokens(kept?.items ?? [], fresh.items, jwks);
  await setMeta(VERIFIER_OWNER, KEYS_KEY, { jwks, fetched_at: fetchedAt });
  const types = Array.isArray(fresh.types) ? fresh.types : (kept?.types ?? []);
  await setMeta(VERIFIER_OWNER, LISTS_KEY, { items, types, fetched_at: fetchedAt });
  return loadVerifierData(now);
}

/** Per issuer, the newest (by iat) token of the two sets whose signature holds under `jwks`. */
export async function newestTokens(keptItems, freshItems, jwks) {
  const best = new Map();
  for (const entry of [...keptItems, ...freshItems]) {
    const list = await verifyStatusListToken(entry?.token, jwks);
    if (!list || (entry.issuer !== undefined && entry.issuer !== list.issuer)) continue;
    const current = best.get(list.issuer);
    if (!current || list.iat >= current.iat) best.set(list.issuer, { iat: list.iat, token: entry.token });
  }
  return [...best].map(([issuer, { token }]) => ({ issuer, token }));
}
