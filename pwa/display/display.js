// The hall's display (叫号大屏): a public full-screen page for the TV in the hall, at
// #/display/{hall_id} (or #/display: the first hall). It shows the number called now, big
// ("请 A012 到 3 号窗口"), the latest calls, each service's queue with its next numbers, the
// windows, the hall's name and a clock. The hall's live stream (app/hall-live.js) brings each
// change within a second: a call shows at once and chimes, and the board is read again
// (debounced); it is also read every 30 s, after any reconnection and when the browser comes
// back online, so a screen left alone for days mends itself. No sign-in, numbers only.
import { fetchBoard, fetchHalls, watchHall } from "../app/hall-live.js";
import { h, latestOnly } from "../app/ui/dom.js";

export const BOARD_DEBOUNCE_MS = 100;
export const BOARD_REFRESH_MS = 30_000;
const STYLESHEET = "/display/display.css";
const SOUND_KEY = "civicgrid.display.sound";  // "on" once someone has turned the sound on here
const CALL_KINDS = new Set(["called", "recalled"]);

// -- what is shown (pure, for tests/js) --------------------------------------------------------

/** The call shown big: the event's when one just came, else the board's latest. */
export function currentCall(board, event = null) {
  if (event && CALL_KINDS.has(event.kind) && event.number) {
    return { number: event.number, window: event.window, recalled: event.kind === "recalled" };
  }
  const latest = board?.calls?.[0];
  return latest ? { number: latest.number, window: latest.window, recalled: latest.recalls > 0 } : null;
}

/** Whether an event should chime: a number called or called again. */
export const chimes = (event) => Boolean(event && CALL_KINDS.has(event.kind) && event.number);

/** A window's state in words' keys: the number served, or free, paused, closed. */
export function windowStateKey(window) {
  if (window.status === "paused") return "display.window_paused";
  if (window.status === "closed") return "display.window_closed";
  return window.serving ? null : "display.window_free";
}

/** Run `fn` once, `ms` after the last of a burst of calls. */
export function debounce(fn, ms) {
  let timer = null;
  const debounced = () => {
    clearTimeout(timer);
    timer = setTimeout(() => { timer = null; fn(); }, ms);
  };
  debounced.cancel = () => clearTimeout(timer);
  return debounced;
}

// -- sound and full screen ---------------------------------------------------------------------

let audio = null;

/** The two tones of a call (叮咚): high, then low. Silent until a gesture has allowed sound. */
export function chime() {
  if (!audio || audio.state !== "running") return;
  const start = audio.currentTime + 0.02;
  [[880, 0], [660, 0.42]].forEach(([frequency, offset]) => {
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.type = "sine";
    tone.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, start + offset);
    gain.gain.exponentialRampToValueAtTime(0.5, start + offset + 0.03);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.4);
    tone.connect(gain).connect(audio.destination);
    tone.start(start + offset);
    tone.stop(start + offset + 0.42);
  });
}

/** Sound on; resolves to whether the browser lets it play (it needs a gesture first). */
async function enableSound() {
  const Context = globalThis.AudioContext || globalThis.webkitAudioContext;
  if (!Context) return false;
  audio ||= new Context();
  try {
    await Promise.race([audio.resume(), new Promise((resolve) => setTimeout(resolve, 300))]);
  } catch {
    // refused: still suspended
  }
  return audio.state === "running";
}

function requestFullscreen() {
  const root = document.documentElement;
  if (!document.fullscreenElement && root.requestFullscreen) root.requestFullscreen().catch(() => {});
}

const soundChosen = () => {
  try {
    return localStorage.getItem(SOUND_KEY) === "on";
  } catch {
    return false;
  }
};

function rememberSound() {
  try {
    localStorage.setItem(SOUND_KEY, "on");
  } catch {
    // private mode: asked again next time
  }
}

// -- drawing -----------------------------------------------------------------------------------

function callLine(t, call) {
  if (!call) return [h("span", { class: "display-call-idle" }, t("display.no_call_yet"))];
  // The sentence is the catalogue's ("请 {number} 到 {window} 号窗口"); its two blanks are
  // drawn bigger than the words around them.
  const marked = t("display.call", { number: "\u0001", window: "\u0002" });
  return marked.split(/([\u0001\u0002])/).filter(Boolean).map((part) => {
    if (part === "\u0001") return h("strong", { class: "display-number", id: "display-number" }, call.number);
    if (part === "\u0002") return h("strong", { class: "display-window-number" }, String(call.window ?? ""));
    return part;
  });
}

function drawCurrent(el, t, call, { flash = false } = {}) {
  const fresh = flash || el.dataset.number !== (call?.number || "")
    || el.dataset.window !== String(call?.window ?? "");
  el.replaceChildren(h("p", { class: "display-call-text", id: "display-current-text" }, callLine(t, call)),
    ...(call?.recalled ? [h("p", { class: "display-recall" }, t("display.recalled"))] : []));
  el.dataset.number = call?.number || "";
  el.dataset.window = String(call?.window ?? "");
  if (fresh && call) {
    // Restart the flash: the class comes off, a reflow, and back on.
    el.classList.remove("flash");
    void el.offsetWidth;
    el.classList.add("flash");
  }
}

function drawCalls(el, t, calls) {
  el.replaceChildren(...(calls.length ? calls.map((call) =>
    h("li", { dataset: { number: call.number } },
      h("span", { class: "display-list-number" }, call.number),
      h("span", { class: "display-list-window" }, t("display.window_no", { number: call.window ?? "" })),
      h("span", { class: "display-list-service" }, call.service_name)))
    : [h("li", { class: "display-empty" }, t("display.no_call_yet"))]));
}

function drawQueues(el, t, queues) {
  el.replaceChildren(...queues.map((queue) =>
    h("li", { dataset: { code: queue.code, waiting: String(queue.waiting) } },
      h("div", { class: "display-queue-head" },
        h("span", { class: "display-queue-code" }, queue.code),
        h("span", { class: "display-queue-name" }, queue.name),
        h("span", { class: "display-queue-count" }, t("display.waiting_count", { count: queue.waiting }))),
      h("p", { class: "display-queue-next" },
        queue.next.length
          ? [h("span", { class: "display-next-label" }, t("display.next")),
            ...queue.next.map((number) => h("span", { class: "display-next-number" }, number))]
          : h("span", { class: "display-next-label" }, t("display.none_waiting"))))));
}

function drawWindows(el, t, windows) {
  el.replaceChildren(...windows.map((window) => {
    const state = windowStateKey(window);
    return h("li", { dataset: { status: window.status, serving: window.serving || "" } },
      h("span", { class: "display-window-name" }, t("display.window_no", { number: window.number })),
      h("span", { class: "display-window-state" }, state ? t(state) : window.serving));
  }));
}

function layout(t) {
  const badge = h("p", { class: "display-badge", id: "display-reconnecting", role: "status", hidden: true },
    t("display.reconnecting"));
  const enable = h("button", { type: "button", class: "display-enable", id: "display-enable" },
    t("display.enable"));
  return {
    page: h("section", { class: "display-page", id: "display", "aria-live": "off" },
      h("header", { class: "display-head" },
        h("h1", { class: "display-hall", id: "display-hall" }, ""),
        badge, enable,
        h("p", { class: "display-clock" },
          h("time", { id: "display-time", class: "display-time" }),
          h("span", { id: "display-date", class: "display-date" }))),
      h("p", { class: "display-problem", id: "display-problem", role: "alert", hidden: true }),
      h("div", { class: "display-body" },
        h("div", { class: "display-left" },
          h("div", { class: "display-current", id: "display-current", "aria-live": "assertive" }),
          h("h2", {}, t("display.latest")),
          h("ol", { class: "display-calls", id: "display-calls" })),
        h("div", { class: "display-right" },
          h("h2", {}, t("display.queues")),
          h("ul", { class: "display-queues", id: "display-queues" }))),
      h("footer", { class: "display-foot" },
        h("ul", { class: "display-windows", id: "display-windows", "aria-label": t("display.windows") }))),
    badge, enable,
  };
}

function startClock(page, lang) {
  const time = page.querySelector("#display-time");
  const date = page.querySelector("#display-date");
  const clock = new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
  const day = new Intl.DateTimeFormat(lang, { year: "numeric", month: "long", day: "numeric", weekday: "long" });
  const tick = () => {
    const now = new Date();
    time.textContent = clock.format(now);
    time.dateTime = now.toISOString();
    date.textContent = day.format(now);
  };
  tick();
  const timer = setInterval(tick, 1000);
  return () => clearInterval(timer);
}

function linkStylesheet() {
  if (document.querySelector(`link[href="${STYLESHEET}"]`)) return;
  document.head.append(Object.assign(document.createElement("link"), { rel: "stylesheet", href: STYLESHEET }));
}

// -- the screen --------------------------------------------------------------------------------

export async function mount(root, params, app) {
  const { t } = app;
  linkStylesheet();
  document.body.classList.add("display-mode");
  const { page, badge, enable } = layout(t);
  root.append(page);
  const stopClock = startClock(page, app.language());
  const problem = page.querySelector("#display-problem");
  const el = (id) => page.querySelector(`#${id}`);
  const title = document.title;
  const cleanups = [stopClock, () => {
    document.body.classList.remove("display-mode");
    document.title = title;
  }];
  let board = null;
  let streamState = "connecting";
  let boardFailed = false;
  let gone = false;

  const showBadge = () => {
    badge.hidden = !(streamState === "reconnecting" || boardFailed || !navigator.onLine);
  };

  const fail = (key) => {
    problem.textContent = t(key);
    problem.hidden = false;
  };

  // Sound and full screen: one tap (browsers allow neither without one); remembered, so a
  // screen that restarts only needs a tap when its browser insists.
  const turnOn = async () => {
    rememberSound();
    requestFullscreen();
    enable.hidden = await enableSound();
  };
  enable.addEventListener("click", turnOn);
  const anyGesture = () => { if (soundChosen()) turnOn(); };
  document.addEventListener("keydown", anyGesture);
  document.addEventListener("pointerdown", anyGesture);
  cleanups.push(() => {
    document.removeEventListener("keydown", anyGesture);
    document.removeEventListener("pointerdown", anyGesture);
  });
  if (soundChosen()) enableSound().then((running) => { enable.hidden = running; });

  let hallId = params.hall;
  if (!hallId) {
    let halls = null;
    try {
      halls = await fetchHalls();
    } catch {
      // no network yet (a screen switched on before the Wi-Fi): ask again shortly
    }
    hallId = halls?.[0]?.id;
    if (!hallId) {
      if (halls) fail("display.no_hall");
      else {
        badge.hidden = false;
        const again = setTimeout(() => app.navigate("/display"), BOARD_REFRESH_MS / 3);
        cleanups.push(() => clearTimeout(again));
      }
      return () => cleanups.forEach((fn) => fn());
    }
  }

  // Only the latest read draws: a slow one must not paint over a newer board.
  const load = latestOnly(async (isStale) => {
    try {
      const next = await fetchBoard(hallId);
      if (gone || isStale()) return;
      board = next;
      boardFailed = false;
      problem.hidden = true;
      el("display-hall").textContent = board.hall.name;
      document.title = `${board.hall.name} · ${t("display.title")}`;
      drawCurrent(el("display-current"), t, currentCall(board));
      drawCalls(el("display-calls"), t, board.calls);
      drawQueues(el("display-queues"), t, board.waiting);
      drawWindows(el("display-windows"), t, board.windows);
      page.dataset.at = board.at;
    } catch (error) {
      if (gone) return;
      boardFailed = true;
      if (error.status === 404) fail("display.not_found");
    }
    showBadge();
  });
  const reload = debounce(load, BOARD_DEBOUNCE_MS);

  const onEvent = (event) => {
    if (chimes(event)) {
      // Shown and heard at once; the board follows with the rest.
      drawCurrent(el("display-current"), t, currentCall(board, event), { flash: true });
      chime();
    }
    if (event.kind !== "alert") reload();  // supervision alerts are not on the board
  };
  const stopWatching = watchHall(hallId, onEvent, {
    onState: (state) => { streamState = state; showBadge(); },
  });
  const refresh = setInterval(load, BOARD_REFRESH_MS);
  const online = () => { showBadge(); reload(); };
  window.addEventListener("online", online);
  window.addEventListener("offline", showBadge);
  cleanups.push(stopWatching, () => clearInterval(refresh), reload.cancel, () => {
    window.removeEventListener("online", online);
    window.removeEventListener("offline", showBadge);
  });
  await load();
  return () => {
    gone = true;
    cleanups.forEach((fn) => fn());
  };
}
