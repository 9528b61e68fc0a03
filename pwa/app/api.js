// HTTP to our server with the signed-in session: bearer token, one refresh on expiry, JSON
// errors as exceptions. DOM-free (the service worker syncs with it too).
import { jsonBody } from "./shrink.js";
import { clearSession, getSession, putSession } from "./store.js";

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.error?.code || (status === 0 ? "network" : "unknown");
    this.body = body;
  }
}

/** The session can no longer be refreshed: the user must sign in again (their work stays). */
export class SessionExpired extends ApiError {}

// `gzip: true` sends a large JSON body gzipped (shrink.js jsonBody), for the sync push.
// `signal` aborts it (a live stream being closed).
async function request(path, { method = "GET", body, headers = {}, token, raw = false, gzip = false, signal } = {}) {
  const init = { method, headers: { ...headers }, signal };
  if (token) init.headers.Authorization = `Bearer ${token}`;
  if (body instanceof Blob) init.body = body;
  else if (body !== undefined) {
    const packed = gzip ? await jsonBody(JSON.stringify(body)) : { body: JSON.stringify(body), headers: {} };
    init.body = packed.body;
    Object.assign(init.headers, packed.headers, { "Content-Type": "application/json" });
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, null);  // offline, DNS, connection reset
  }
  if (response.status === 415 && init.headers["Content-Encoding"]) {
    // A server (or a proxy before it) that does not take gzip bodies: send it plain.
    return request(path, { method, body, headers, token, raw });
  }
  if (raw) return response;
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;  // a proxy's HTML page: treat as an unknown error below
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/** What the server says about itself before sign-in ({ demo_mode }); null offline. */
export async function about() {
  return request("/api/v1/about").catch(() => null);
}

/** A GET that needs no sign-in (the certificate keys and status lists); ApiError on failure. */
export function publicGet(path) {
  return request(path);
}

export async function signIn(username, password) {
  return startSession(await request("/api/v1/auth/login", { method: "POST", body: { username, password } }));
}

/** A citizen signs up ({ username, password, display_name, phone }); signed in as signIn is. */
export async function signUp(fields) {
  return startSession(await request("/api/v1/auth/register", { method: "POST", body: fields }));
}

async function startSession(result) {
  const session = {
    user: result.user, access_token: result.access_token, refresh_token: result.refresh_token,
    access_expires_at: Date.now() + result.expires_in * 1000, expired: false,
  };
  await putSession(session);
  return session;
}

export async function signOutOnServer(session) {
  await request("/api/v1/auth/logout", { method: "POST", token: session.refresh_token }).catch(() => {});
  await clearSession();
}

let refreshing = null;

async function refresh(session) {
  // Several requests may find the token expired at once; refresh once for all of them.
  refreshing ||= (async () => {
    try {
      const fresh = await request("/api/v1/auth/refresh", { method: "POST", token: session.refresh_token });
      // The refresh token rotates: the one sent works only a short while longer.
      const next = { ...session, access_token: fresh.access_token,
        refresh_token: fresh.refresh_token || session.refresh_token,
        access_expires_at: Date.now() + fresh.expires_in * 1000, expired: false };
      await putSession(next);
      return next;
    } catch (error) {
      if (error.status === 401) {
        await putSession({ ...session, expired: true });
        throw new SessionExpired(401, error.body);
      }
      throw error;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

/** A request as the signed-in user; refreshes the access token once when it has expired. */
export async function authed(path, options = {}) {
  let session = await getSession();
  if (!session || session.expired) throw new SessionExpired(401, null);
  if (session.access_expires_at && session.access_expires_at - Date.now() < 30_000) {
    session = await refresh(session);
  }
  try {
    return await request(path, { ...options, token: session.access_token });
  } catch (error) {
    if (error.status !== 401 || !["token_expired", "token_revoked", "token_invalid"].includes(error.code)) {
      throw error;
    }
    session = await refresh(session);
    return request(path, { ...options, token: session.access_token });
  }
}

/** Every item of a paged list (`?…` in path; the API's page/per_page/pages convention). */
export async function authedAll(path) {
  const items = [];
  for (let page = 1; ; page += 1) {
    const result = await authed(`${path}&per_page=200&page=${page}`);
    items.push(...result.items);
    if (page >= result.pages) return items;
  }
}

export const me = () => authed("/api/v1/me");
