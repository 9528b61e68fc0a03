// A service hall's queue as it moves (叫号): the public stream GET /api/v1/halls/{id}/events,
// read with the browser's own EventSource (no token to carry), which reconnects by itself
// after a network error. What it cannot do alone is handled here: a stream the server ends
// (`end`, every few minutes) is reopened at once, and a refused one (503 when the server
// holds enough public streams, or any other answer but 200: EventSource then gives up for
// good) is tried again after a growing, jittered pause. After every reopening the caller is
// told { kind: "resync" }: events may have passed in between, so it reads the board again.
// A network that dies without a word (the hall's Wi-Fi restarting) leaves EventSource
// waiting on a dead connection for many minutes: the server pings between events, and a
// stream silent for three pings is reopened; the browser going offline closes it at once,
// and coming back online reopens it.
// The display, the citizen's ticket page, the clerk's console and the manager's page use it.

// The pause before trying a refused stream again: 2 s, doubling, at most 60 s, ± a quarter
// (screens refused together do not come back together).
export function retryDelay(attempt, random = Math.random) {
  const base = Math.min(60_000, 2_000 * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.75 + random() / 2));
}

/** How long a stream may stay silent before it counts as dead: three of its pings. */
export function staleAfterMs(everyS) {
  return Math.max(30_000, 3 * 1000 * (Number(everyS) || 20));
}

/** What a `hall` frame's data tells the caller (absent fields come as null). */
export function hallEvent(data) {
  const d = data || {};
  return {
    kind: d.kind ?? null, number: d.number ?? null, window: d.window ?? null,
    service_id: d.service_id ?? null, waiting: d.waiting ?? null, alert: d.alert ?? null,
    at: d.at ?? null,
  };
}

function parse(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/**
 * Follow hall `hallId`: onEvent({kind, number, window, service_id, waiting, alert, at}) for
 * each committed change of its queue, onEvent({kind: "resync"}) whenever events may have
 * been missed. `onState("connecting" | "live" | "reconnecting")` follows the connection.
 * Returns stop().
 */
export function watchHall(hallId, onEvent, {
  onState = () => {}, EventSourceImpl = globalThis.EventSource, now = () => Date.now(), events = globalThis,
} = {}) {
  const url = `/api/v1/halls/${encodeURIComponent(hallId)}/events`;
  let source = null;
  let timer = null;
  let stopped = false;
  let opened = 0;  // streams opened so far: each after the first is a reopening
  let attempt = 0;
  let heard = now();  // the last sign of life on the open stream
  let staleMs = staleAfterMs();

  const tell = (event) => {
    try {
      onEvent(event);
    } catch (error) {
      console.error(error);  // a caller's failure must not stop the stream
    }
  };

  function close() {
    if (!source) return;
    source.onopen = source.onerror = null;
    source.close();
    source = null;
  }

  function open() {
    timer = null;
    if (stopped) return;
    onState(opened ? "reconnecting" : "connecting");
    source = new EventSourceImpl(url);
    heard = now();
    source.onopen = () => {
      heard = now();
      attempt = 0;
      onState("live");
      if (opened++ > 0) tell({ kind: "resync" });
    };
    source.onerror = () => {
      onState("reconnecting");
      // CONNECTING: the browser retries by itself (a dropped network). CLOSED: it has given
      // up (a 503, a 404 page): try again ourselves, later.
      if (source.readyState === (EventSourceImpl.CLOSED ?? 2)) {
        close();
        attempt += 1;
        timer = setTimeout(open, retryDelay(attempt));
      }
    };
    source.addEventListener("hall", (message) => { heard = now(); tell(hallEvent(parse(message.data))); });
    source.addEventListener("resync", () => { heard = now(); tell({ kind: "resync" }); });
    source.addEventListener("ping", (message) => {
      heard = now();
      staleMs = staleAfterMs(parse(message.data)?.every_s);
    });
    source.addEventListener("end", () => {
      // Planned: the server ends every stream after a few minutes. Reopen now, not after
      // the retry hint.
      close();
      open();
    });
  }

  function reopen() {
    clearTimeout(timer);
    close();
    open();
  }

  // Silent too long while open: the connection is dead, whatever EventSource thinks.
  const watchdog = setInterval(() => {
    if (source && source.readyState === (EventSourceImpl.OPEN ?? 1) && now() - heard > staleMs) {
      onState("reconnecting");
      reopen();
    }
  }, 5_000);
  const offline = () => {
    clearTimeout(timer);
    close();
    onState("reconnecting");
  };
  const online = () => { if (!stopped) reopen(); };
  events?.addEventListener?.("offline", offline);
  events?.addEventListener?.("online", online);

  open();
  return () => {
    stopped = true;
    clearTimeout(timer);
    clearInterval(watchdog);
    events?.removeEventListener?.("offline", offline);
    events?.removeEventListener?.("online", online);
    close();
  };
}

// -- the hall's public reads (no sign-in, like the stream) ------------------------------------

async function publicJson(path) {
  const response = await fetch(path, { headers: { Accept: "application/json" }, cache: "no-store" });
  if (!response.ok) {
    const error = new Error(`HTTP ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return response.json();
}

/** GET /api/v1/halls/{id}/board: today's calls, each service's queue, each window's number. */
export const fetchBoard = (hallId) => publicJson(`/api/v1/halls/${encodeURIComponent(hallId)}/board`);

/** GET /api/v1/halls: every hall with its services and windows. */
export const fetchHalls = () => publicJson("/api/v1/halls");
