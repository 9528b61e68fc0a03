// Live updates for the console (实时): one stream per tab from GET /api/v1/live, read with
// fetch() so that the token travels in the Authorization header, never in the address. It is
// open while a console page listens (onCaseChange) and the browser is online; a stream the
// server ends (its lifetime, or the token's) is reopened at once, a failed one after a
// back-off. After any reopening, listeners get { type: "resync" }: events may have passed in
// between, so what is shown is read again.
import { authed, SessionExpired } from "./api.js";
import { nextDelay } from "./backoff.js";

// A page that unmounts and the next that mounts (list → case) keep the one stream.
export const LINGER_MS = 2_000;

/**
 * A server-sent events parser: feed it text as it arrives, in chunks cut anywhere; it
 * returns the whole events so far, each { event, data } (data parsed from JSON, null when
 * not JSON), and { retry } for a retry hint. Comment lines are skipped.
 */
export function sseParser() {
  let buffer = "";
  let carriageReturn = false;
  return (chunk) => {
    let text = chunk;
    // "\r\n" split between two chunks is one line end, not two.
    if (carriageReturn && text.startsWith("\n")) text = text.slice(1);
    carriageReturn = text.endsWith("\r");
    buffer += text.replace(/\r\n?/g, "\n");
    const out = [];
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let event = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (!line || line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? "" : line.slice(colon + 1);
        if (value.startsWith(" ")) value = value.slice(1);
        if (field === "event") event = value;
        else if (field === "data") data.push(value);
        else if (field === "retry" && /^\d+$/.test(value)) out.push({ retry: Number(value) });
      }
      if (!data.length) continue;
      let parsed = null;
      try {
        parsed = JSON.parse(data.join("\n"));
      } catch {
        parsed = null;
      }
      out.push({ event, data: parsed });
    }
    return out;
  };
}

/** What a stream's events tell the pages: case changes and resyncs, nothing else. */
export function changesOf(events) {
  return events.filter((e) => e.event === "case" || e.event === "resync")
    .map((e) => (e.event === "case" ? { type: "case", ...e.data } : { type: "resync" }));
}

const listeners = new Set();
const watchers = new Set();
let state = "off";  // off | connecting | live | reconnecting | offline
let running = null;
let controller = null;
let wake = null;
let lingering = null;
let retryMs = 3_000;

function setState(next) {
  if (next === state) return;
  state = next;
  for (const watcher of watchers) watcher(state);
}

function emit(change) {
  for (const listener of [...listeners]) {
    try {
      listener(change);
    } catch (error) {
      console.error(error);  // one page's failure must not stop the others
    }
  }
}

const wanted = () => listeners.size > 0 && navigator.onLine;

function pause(ms) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    wake = () => { clearTimeout(timer); resolve(); };
  });
}

/** Read one stream to its end; true when the server ended it as planned. */
async function readStream(response) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const parse = sseParser();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return false;
    const events = parse(value);
    for (const e of events) if (e.retry) retryMs = e.retry;
    const changes = changesOf(events);
    if (changes.length) changes.forEach(emit);
    if (events.some((e) => e.event === "end")) return true;
  }
}

async function loop() {
  let attempt = 0;
  let streams = 0;
  while (wanted()) {
    setState(streams ? "reconnecting" : "connecting");
    controller = new AbortController();
    let planned = false;
    try {
      const response = await authed("/api/v1/live", { raw: true, signal: controller.signal });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      setState("live");
      if (streams > 0) emit({ type: "resync" });
      streams += 1;
      attempt = 0;
      planned = await readStream(response);
    } catch (error) {
      if (error instanceof SessionExpired) break;  // the page says "sign in again"
    }
    controller = null;
    if (!wanted()) break;
    if (planned) continue;
    attempt += 1;
    setState("reconnecting");
    await pause(Math.max(retryMs, nextDelay(attempt)));
  }
  setState(navigator.onLine ? "off" : "offline");
  running = null;
}

function ensure() {
  clearTimeout(lingering);
  lingering = null;
  if (!wanted()) {
    if (!navigator.onLine && listeners.size) setState("offline");
    return;
  }
  running ||= loop();
}

function close() {
  controller?.abort();
  wake?.();
}

/**
 * Call `callback(change)` for each case change the signed-in user may see, as it commits:
 * { type: "case", id, code, status, version, overdue, at }, or { type: "resync" } when
 * events may have been missed (read again what is shown). Returns the unsubscribe.
 */
export function onCaseChange(callback) {
  listeners.add(callback);
  ensure();
  return () => {
    listeners.delete(callback);
    if (!listeners.size) {
      clearTimeout(lingering);
      lingering = setTimeout(() => { if (!listeners.size) close(); }, LINGER_MS);
    }
  };
}

/** watcher(state) now and on each change of the connection's state; returns the unsubscribe. */
export function onLiveState(watcher) {
  watchers.add(watcher);
  watcher(state);
  return () => watchers.delete(watcher);
}

if (typeof window !== "undefined") {
  window.addEventListener("online", ensure);
  window.addEventListener("offline", () => { close(); setState("offline"); });
}

/** Whether a change is news for a page showing case `id` at `version` (a resync may be). */
export function isNewer(change, id, version) {
  if (change.type === "resync") return true;
  return change.type === "case" && change.id === id && (version == null || change.version > version);
}
