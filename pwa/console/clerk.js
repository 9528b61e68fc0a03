// The window clerk's console (窗口叫号), on the desktop at the counter: the window's number and
// state, the ticket at it (big), the buttons of what may be done now — each with a one-key
// shortcut — the queues this window calls from and today's figures. It reads GET
// /api/v1/windows/mine every few seconds while the page is visible, and at once when the
// hall's queue moves (pwa/app/hall-live.js, when present). Online only: calling is the
// server's business.
import { authed } from "../app/api.js";
import { errorMessage } from "../app/i18n.js";
import { h } from "../app/ui/dom.js";
import { signOutButton } from "../app/ui/sign-out.js";
import { certificateRequestPanel } from "./certificate-request-panel.js";

export const POLL_MS = 5_000;

// Every action, its one-key shortcut (shown on its button) and what it calls.
export const ACTIONS = [
  { name: "call", key: "N" },
  { name: "recall", key: "R" },
  { name: "no_show", key: "X" },
  { name: "transfer", key: "T" },
  { name: "finish", key: "F" },
  { name: "pause", key: "P" },
  { name: "resume", key: "P" },
];

/** Which actions the window's state allows now: name → true/false. */
export function allowedActions(win) {
  const current = win?.current || null;
  const open = win?.status === "open";
  return {
    call: Boolean(win) && open && !current,
    recall: Boolean(current),
    no_show: Boolean(current?.can_no_show),
    transfer: Boolean(current),
    finish: Boolean(current),
    pause: Boolean(win) && open,
    resume: Boolean(win) && !open,
  };
}

/**
 * The action a key press asks for, or null: a bare letter (no Ctrl, Alt or Meta), not typed
 * into a field, and allowed now. "P" pauses an open window and resumes a paused one.
 */
export function shortcutAction(event, allowed) {
  if (event.ctrlKey || event.altKey || event.metaKey || event.repeat) return null;
  const tag = event.target?.tagName;
  if (["INPUT", "SELECT", "TEXTAREA"].includes(tag) || event.target?.isContentEditable) return null;
  const key = String(event.key || "").toUpperCase();
  const match = ACTIONS.find((a) => a.key === key && allowed[a.name]);
  return match ? match.name : null;
}

/** The request an action makes: [path, body]. */
export function actionRequest(name, win, body = {}) {
  const ticket = win.current?.id;
  switch (name) {
    case "call": return [`/api/v1/windows/${win.id}/call`, {}];
    case "pause": return [`/api/v1/windows/${win.id}/pause`, {}];
    case "resume": return [`/api/v1/windows/${win.id}/resume`, {}];
    case "no_show": return [`/api/v1/tickets/${ticket}/no-show`, {}];
    case "transfer": return [`/api/v1/tickets/${ticket}/transfer`, body];
    default: return [`/api/v1/tickets/${ticket}/${name}`, {}];
  }
}

/** A transfer's body from the dialog's choice ("service:<id>" or "window:<id>"), or null. */
export function transferBody(choice) {
  const [kind, id] = String(choice || "").split(":");
  if (!id) return null;
  if (kind === "service") return { service_id: id };
  if (kind === "window") return { window_id: id };
  return null;
}

/** Whole minutes, at least 0 ("waited 12 min"). */
export function minutes(seconds) {
  return Math.max(0, Math.floor((Number(seconds) || 0) / 60));
}

function actionButton(t, action) {
  return h("button", { type: "button", class: "inline clerk-action", id: `clerk-${action.name.replace("_", "-")}`,
    dataset: { action: action.name }, "aria-keyshortcuts": action.key },
  t(`clerk.action.${action.name}`), " ", h("kbd", { "aria-hidden": "true" }, action.key));
}

function currentCard(t, win) {
  const c = win.current;
  if (!c) {
    return h("div", { class: "card clerk-current", id: "clerk-current", dataset: { state: "free" } },
      h("p", { class: "clerk-none", id: "clerk-no-ticket" },
        t(win.status === "open" ? "clerk.no_ticket" : "clerk.no_ticket_paused")));
  }
  return h("div", { class: "card clerk-current", id: "clerk-current", dataset: { state: "called", id: c.id } },
    h("p", { class: "clerk-label" }, t("clerk.now_serving")),
    h("p", { class: "clerk-number", id: "clerk-current-number" }, c.number),
    h("p", { class: "clerk-service", id: "clerk-current-service" }, `${c.service.code} · ${c.service.name}`),
    h("p", { class: "clerk-meta" },
      h("span", { id: "clerk-current-waited" }, t("clerk.waited", { n: minutes(c.waited_s) })),
      c.recalls ? h("span", { id: "clerk-current-recalls" }, ` · ${t("clerk.recalls", { n: c.recalls })}`) : null,
      c.transfers ? h("span", {}, ` · ${t("clerk.transfers", { n: c.transfers })}`) : null),
    c.appointment ? h("span", { class: "badge", id: "clerk-appointment" }, t("clerk.appointment")) : null,
    c.can_no_show ? null : h("p", { class: "hint", id: "clerk-no-show-hint" }, t("clerk.no_show_hint")));
}

function queuesCard(t, win) {
  return h("section", { class: "card clerk-queues", "aria-labelledby": "clerk-queues-title" },
    h("h2", { id: "clerk-queues-title" }, t("clerk.queues")),
    h("table", { class: "table", id: "clerk-queue-table" },
      h("thead", {}, h("tr", {},
        h("th", { scope: "col" }, t("clerk.col.service")),
        h("th", { scope: "col", class: "num" }, t("clerk.col.waiting")))),
      h("tbody", {},
        win.services.map((s) => h("tr", { dataset: { code: s.code } },
          h("td", {}, `${s.code} · ${s.name}`), h("td", { class: "num" }, String(s.waiting)))),
        h("tr", { dataset: { code: "transferred" } },
          h("td", {}, t("clerk.transferred_here")),
          h("td", { class: "num", id: "clerk-transferred-here" }, String(win.transferred_here))))),
    h("p", { class: "hint", id: "clerk-waiting-here" }, t("clerk.waiting_here", { n: win.waiting_here })));
}

function todayCard(t, win) {
  const d = win.today;
  const mean = d.mean_service_s == null ? "—" : t("clerk.minutes", { n: Math.max(1, Math.round(d.mean_service_s / 60)) });
  const item = (key, value) => [h("dt", {}, t(`clerk.today.${key}`)), h("dd", { id: `clerk-today-${key}` }, String(value))];
  return h("section", { class: "card clerk-today", "aria-labelledby": "clerk-today-title" },
    h("h2", { id: "clerk-today-title" }, t("clerk.today")),
    h("dl", { class: "facts" }, item("called", d.called), item("done", d.done), item("no_show", d.no_show),
      item("transferred", d.transferred), item("mean", mean)));
}

/** The transfer dialog: a select of the hall's other services and windows. */
function transferDialog(t, win, onChoose) {
  const select = h("select", { id: "clerk-transfer-target", "aria-required": "true" },
    h("option", { value: "" }, t("clerk.transfer_choose")),
    h("optgroup", { label: t("clerk.transfer_to_service") },
      win.other_services.filter((s) => s.id !== win.current?.service.id)
        .map((s) => h("option", { value: `service:${s.id}` }, `${s.code} · ${s.name}`))),
    h("optgroup", { label: t("clerk.transfer_to_window") },
      win.other_windows.map((w) => h("option", { value: `window:${w.id}` },
        t("clerk.window", { number: w.number }) + (w.label ? ` · ${w.label}` : "")))));
  const error = h("p", { class: "error", id: "clerk-transfer-error", role: "alert" });
  const form = h("form", { method: "dialog", id: "clerk-transfer-form", novalidate: true },
    h("h2", { id: "clerk-transfer-title" }, t("clerk.transfer_title", { number: win.current?.number || "" })),
    h("label", { for: "clerk-transfer-target" }, t("clerk.transfer_target")), select, error,
    h("div", { class: "actions" },
      h("button", { type: "submit", class: "primary", id: "clerk-transfer-submit" }, t("clerk.action.transfer")),
      h("button", { type: "button", class: "secondary", id: "clerk-transfer-cancel" }, t("clerk.cancel"))));
  const dialog = h("dialog", { id: "clerk-transfer-dialog", "aria-labelledby": "clerk-transfer-title" }, form);
  form.querySelector("#clerk-transfer-cancel").addEventListener("click", () => dialog.close());
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = transferBody(select.value);
    if (!body) {
      error.textContent = t("clerk.transfer_required");
      select.focus();
      return;
    }
    const failure = await onChoose(body);
    if (failure) error.textContent = failure;
    else dialog.close();
  });
  return { dialog, select };
}

export async function mount(root, _params, app) {
  const { t } = app;
  let win = null;
  let busy = false;
  let stopped = false;
  let stopLive = null;
  let watchedHall = null;
  let refreshTimer = null;

  const title = h("h1", { id: "clerk-title", tabindex: "-1" }, t("clerk.title"));
  const state = h("span", { class: "badge clerk-state", id: "clerk-window-state" });
  const announce = h("p", { class: "clerk-announce", id: "clerk-announce", role: "status", "aria-live": "polite" });
  const alert = h("p", { class: "error", id: "clerk-error", role: "alert" });
  const buttons = new Map(ACTIONS.map((a) => [a.name, actionButton(t, a)]));
  const bar = h("div", { class: "toolbar clerk-actions", id: "clerk-actions", role: "group", "aria-label": t("clerk.actions") },
    [...buttons.values()]);
  const current = h("div", { id: "clerk-current-slot" });
  // The certificate request for the ticket at the window: kept across redraws, new per ticket.
  const requestSlot = h("div", { id: "clerk-certificate-slot" });
  let requestPanel = null;
  const side = h("div", { class: "clerk-side" });
  const body = h("div", { class: "clerk-layout", id: "clerk-body", hidden: true },
    h("div", { class: "clerk-main" }, current, bar,
      h("p", { class: "hint", id: "clerk-shortcuts" }, t("clerk.shortcuts")), requestSlot),
    side);
  const section = h("section", { id: "clerk-console", class: "wide" },
    h("div", { class: "console-head" }, title, state, signOutButton(app)),
    announce, alert, body);
  root.append(section);

  const draw = () => {
    body.hidden = false;
    title.textContent = `${t("clerk.window", { number: win.number })}${win.label ? ` · ${win.label}` : ""} · ${win.hall_name}`;
    state.textContent = t(`clerk.state.${win.status}`);
    state.dataset.state = win.status;
    current.replaceChildren(currentCard(t, win));
    side.replaceChildren(queuesCard(t, win), todayCard(t, win));
    const serving = win.current?.id || null;
    if ((requestPanel?.ticketId || null) !== serving) {
      requestPanel?.stop();
      requestPanel = serving ? certificateRequestPanel(app, win.current) : null;
      requestSlot.replaceChildren(...(requestPanel ? [requestPanel.element] : []));
    }
    const allowed = allowedActions(win);
    const focused = document.activeElement;
    for (const [name, button] of buttons) {
      button.disabled = busy || !allowed[name];
      button.hidden = (name === "pause" && !allowed.pause) || (name === "resume" && !allowed.resume);
    }
    if (focused && bar.contains(focused) && (focused.disabled || focused.hidden)) {
      [...buttons.values()].find((b) => !b.disabled && !b.hidden)?.focus();
    }
  };

  const watch = (hallId) => {
    if (watchedHall === hallId || stopped) return;
    watchedHall = hallId;
    // The hall's live stream, when this build has it: a moved queue is read again at once.
    import("../app/hall-live.js").then((live) => {
      if (stopped || typeof live.watchHall !== "function") return;
      stopLive = live.watchHall(hallId, () => refreshSoon());
    }).catch(() => {});
  };

  let loading = null;
  const load = async () => {
    if (loading) return loading;
    loading = (async () => {
      try {
        win = await authed("/api/v1/windows/mine");
        if (stopped) return;
        if (alert.dataset.from === "load") alert.replaceChildren();  // an action's error stays
        draw();
        watch(win.hall_id);
      } catch (error) {
        if (stopped) return;
        alert.textContent = error.status === 0 ? t("clerk.offline") : errorMessage(error);
        alert.dataset.from = "load";
        if (!win) body.hidden = true;
      } finally {
        loading = null;
      }
    })();
    return loading;
  };

  function refreshSoon() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => { if (!busy) load(); }, 200);
  }

  const act = async (name, extra = {}) => {
    if (!win || busy || !allowedActions(win)[name]) return null;
    busy = true;
    draw();
    alert.replaceChildren();
    announce.textContent = "";  // the same words again are read again
    const [path, payload] = actionRequest(name, win, extra);
    let failure = null;
    try {
      const answer = await authed(path, { method: "POST", body: payload });
      const number = answer?.number || win.current?.number || "";
      announce.textContent = t(`clerk.done.${name}`, { number, window: win.number });
    } catch (error) {
      failure = errorMessage(error);
      alert.textContent = failure;
      alert.dataset.from = "action";
    } finally {
      busy = false;
    }
    await load();
    return failure;
  };

  let dialog = null;
  const openTransfer = () => {
    if (!win?.current) return;
    dialog?.dialog.remove();
    dialog = transferDialog(t, win, (payload) => act("transfer", payload));
    dialog.dialog.addEventListener("close", () => {
      dialog?.dialog.remove();
      dialog = null;
      const back = buttons.get("transfer");
      if (!back.disabled) back.focus();
      else bar.querySelector("button:not([disabled]):not([hidden])")?.focus();
    });
    section.append(dialog.dialog);
    dialog.dialog.showModal();
    dialog.select.focus();
  };

  const run = (name) => (name === "transfer" ? openTransfer() : act(name));
  for (const [name, button] of buttons) button.addEventListener("click", () => run(name));

  const onKey = (event) => {
    if (!win || dialog) return;
    const name = shortcutAction(event, allowedActions(win));
    if (!name || busy) return;
    event.preventDefault();
    run(name);
  };
  document.addEventListener("keydown", onKey);

  const poll = setInterval(() => {
    if (document.visibilityState === "visible" && !busy) load();
  }, POLL_MS);
  const onVisible = () => { if (document.visibilityState === "visible") load(); };
  document.addEventListener("visibilitychange", onVisible);

  await load();
  return () => {
    stopped = true;
    clearInterval(poll);
    clearTimeout(refreshTimer);
    document.removeEventListener("keydown", onKey);
    document.removeEventListener("visibilitychange", onVisible);
    dialog?.dialog.remove();
    stopLive?.();
    requestPanel?.stop();
  };
}
