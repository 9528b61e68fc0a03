// The hall manager's console (大厅管理), the hall_manager's home: electronic supervision's
// live alerts (电子监察) to acknowledge by name, the bad ratings to follow up (差评整改) with what
// was done, and the hall now (who waits for what, each window, today's counts). It redraws on
// the hall's live events (app/hall-live.js) and every 10 s while shown; a new alert is said
// aloud to screen readers, shown in a banner and sounded. Online only: it all lives on the
// server.
import { authed } from "../app/api.js";
import { errorMessage } from "../app/i18n.js";
import { formatTime, h } from "../app/ui/dom.js";
import { notificationBell } from "../app/ui/notification-bell.js";
import { isNetworkFailure } from "../app/ui/offline-notice.js";
import { signOutButton } from "../app/ui/sign-out.js";

export const POLL_MS = 10_000;
// Events come in bursts (a call is a finish and a call): one read after the burst.
const EVENT_DEBOUNCE_MS = 300;
const ACKNOWLEDGED_SHOWN = 20;
const WINDOW_KINDS = new Set(["idle_window", "paused_window"]);

/** What an alert is about, in words: a ticket at its window, a window, or a service. */
export function alertSubject(t, alert) {
  const d = alert.detail || {};
  if (alert.kind === "overtime_service") {
    return d.window ? t("hallmgr.subject.ticket_at", { number: alert.subject_label, window: d.window })
      : alert.subject_label;
  }
  if (WINDOW_KINDS.has(alert.kind)) return t("hallmgr.subject.window", { window: d.window ?? alert.subject_label });
  return alert.subject_label;
}

/** The one line under an alert: since when, the limit, who waits. */
export function alertFacts(t, alert, lang) {
  const d = alert.detail || {};
  const parts = [];
  if (d.since) parts.push(t("hallmgr.since", { time: formatTime(d.since, lang) }));
  if (d.limit_min) parts.push(t("hallmgr.limit", { min: d.limit_min }));
  if (d.waiting) parts.push(t("hallmgr.waiting_n", { n: d.waiting }));
  return parts.join(" · ");
}

/** The unacknowledged alerts not seen before (null `seen`: the first read, nothing is new). */
export function newAlerts(seen, alerts) {
  if (seen === null) return [];
  return alerts.filter((a) => !a.acknowledged_at && !seen.has(a.id));
}

/** A score as stars a screen reader reads as words (the label carries the number). */
export const stars = (score) => "★".repeat(score) + "☆".repeat(Math.max(0, 5 - score));

/** Which hall: the one in the address, else the first the manager manages. */
export function pickHall(halls, wanted) {
  return halls.find((hall) => hall.id === wanted) || halls[0] || null;
}

/** A short beep (the browser may refuse sound before the user has touched the page). */
function beep() {
  try {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    const audio = beep.context || (beep.context = new Context());
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.frequency.value = 880;
    gain.gain.setValueAtTime(0.15, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.6);
    tone.connect(gain).connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.6);
  } catch {
    // no sound: the banner and the live region still say it
  }
}

/**
 * A list whose items are kept by id while their content is the same: a note being typed, and
 * the keyboard's focus, survive a redraw that changed nothing about them.
 */
function keyedList(list) {
  const items = new Map();
  let order = "";
  return (entries, make, signature) => {
    const next = new Map();
    for (const entry of entries) {
      const sig = signature(entry);
      const kept = items.get(entry.id);
      if (kept && kept.sig === sig) next.set(entry.id, kept);
      else {
        const node = make(entry);
        if (kept) kept.node.replaceWith(node);
        next.set(entry.id, { sig, node });
      }
    }
    items.clear();
    for (const [id, item] of next) items.set(id, item);
    const nextOrder = entries.map((e) => e.id).join();
    if (nextOrder !== order || list.children.length !== entries.length) {
      order = nextOrder;
      list.replaceChildren(...entries.map((e) => items.get(e.id).node));
    }
  };
}

function alertItem(app, alert, { onDone, fresh }) {
  const { t } = app;
  const lang = app.language();
  const open = !alert.acknowledged_at;
  const error = h("p", { class: "error", role: "alert", id: `alert-error-${alert.id}` });
  const head = h("p", { class: "alert-head" },
    h("strong", { class: "alert-kind" }, t(`hallmgr.kind.${alert.kind}`)), " ",
    h("span", { class: "alert-subject" }, alertSubject(t, alert)),
    alert.cleared_at ? h("span", { class: "badge" }, t("hallmgr.cleared")) : null);
  const facts = h("p", { class: "meta" }, t("hallmgr.raised_at", { time: formatTime(alert.raised_at, lang) }),
    " · ", alertFacts(t, alert, lang));
  let tail;
  if (open) {
    const noteId = `ack-note-${alert.id}`;
    const note = h("input", { id: noteId, name: "note", type: "text", maxlength: 500, autocomplete: "off",
      placeholder: t("hallmgr.ack_note_placeholder") });
    const button = h("button", { type: "submit", class: "inline", dataset: { action: "acknowledge" } },
      t("hallmgr.acknowledge"));
    tail = h("form", { class: "toolbar ack-form", dataset: { id: alert.id } },
      h("label", { for: noteId }, t("hallmgr.ack_note")), note, button);
    tail.addEventListener("submit", async (event) => {
      event.preventDefault();
      button.disabled = true;
      error.textContent = "";
      try {
        await authed(`/api/v1/alerts/${alert.id}/acknowledge`, { method: "POST", body: { note: note.value } });
        app.toast(t("hallmgr.acknowledged_toast"));
        onDone();
      } catch (failure) {
        button.disabled = false;
        error.textContent = errorMessage(failure);
        if (failure.code === "already_acknowledged") onDone();
        note.focus();
      }
    });
  } else {
    tail = h("p", { class: "ack-by" }, t("hallmgr.acknowledged_by", {
      name: alert.acknowledged_by_name || "—", time: formatTime(alert.acknowledged_at, lang) }),
    alert.note ? h("span", { class: "note" }, ` · ${alert.note}`) : null);
  }
  return h("li", { class: `alert-item${fresh ? " fresh" : ""}`, dataset: { id: alert.id, kind: alert.kind,
    open: String(open) } }, head, facts, tail, error);
}

function followupItem(app, item, onDone) {
  const { t } = app;
  const lang = app.language();
  const error = h("p", { class: "error", role: "alert" });
  const actionId = `followup-action-${item.id}`;
  const action = h("textarea", { id: actionId, name: "action", rows: 2, maxlength: 1000, required: true });
  const button = h("button", { type: "submit", class: "inline", dataset: { action: "followup" } },
    t("hallmgr.followup_record"));
  const form = h("form", { class: "followup-form", dataset: { id: item.id } },
    h("label", { for: actionId }, t("hallmgr.followup_action")), action,
    h("div", { class: "actions" }, button));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!action.value.trim()) {
      error.textContent = t("hallmgr.followup_empty");
      action.focus();
      return;
    }
    button.disabled = true;
    error.textContent = "";
    try {
      await authed(`/api/v1/ratings/${item.id}/followup`, { method: "POST", body: { action: action.value } });
      app.toast(t("hallmgr.followup_recorded"));
      onDone();
    } catch (failure) {
      button.disabled = false;
      error.textContent = errorMessage(failure);
      if (failure.code === "followup_done") onDone();
      action.focus();
    }
  });
  const where = [item.service ? `${item.service.code} ${item.service.name}` : "",
    item.window_number ? t("hallmgr.subject.window", { window: item.window_number }) : "",
    item.clerk_name || ""].filter(Boolean).join(" · ");
  return h("li", { class: "followup-item", dataset: { id: item.id, score: String(item.score) } },
    h("p", {}, h("span", { class: "followup-stars", role: "img", "aria-label": t("hallmgr.score", { score: item.score }) }, stars(item.score)),
      " ", h("strong", {}, item.number), " ", h("span", { class: "meta" }, formatTime(item.created_at, lang))),
    h("p", { class: "meta" }, where),
    item.reasons.length ? h("p", {}, item.reasons.map((r) => t(`hallmgr.reason.${r}`)).join("、")) : null,
    item.comment ? h("blockquote", { class: "comment" }, item.comment) : null,
    form, error);
}

function headline(app, overview) {
  const { t } = app;
  const lang = app.language();
  const today = overview.today;
  const waiting = overview.services.reduce((n, s) => n + s.waiting, 0);
  const figures = [
    ["waiting", waiting], ["open_alerts", overview.open_alerts], ["open_followups", overview.open_followups],
    ["taken", today.taken], ["done", today.done], ["no_show", today.no_show],
    ["rating_mean", today.rating_mean ?? "—"]];
  return [
    h("ul", { class: "digest", id: "hall-figures" }, figures.map(([key, value]) =>
      h("li", { class: key === "open_alerts" && value > 0 ? "late" : "", dataset: { key } },
        h("div", {}, h("strong", { class: "digest-count" }, String(value)), h("span", {}, t(`hallmgr.figure.${key}`)))))),
    h("div", { class: "scroll" }, h("table", { class: "table", id: "hall-waiting" },
      h("caption", {}, t("hallmgr.waiting_caption")),
      h("thead", {}, h("tr", {}, ["service", "waiting", "oldest"].map((k) => h("th", { scope: "col" }, t(`hallmgr.col.${k}`))))),
      h("tbody", {}, overview.services.map((s) => h("tr", { dataset: { code: s.code } },
        h("th", { scope: "row" }, `${s.code} ${s.name}`), h("td", { class: "count" }, String(s.waiting)),
        h("td", {}, s.oldest_since ? formatTime(s.oldest_since, lang) : "—")))))),
    h("div", { class: "scroll" }, h("table", { class: "table", id: "hall-windows" },
      h("caption", {}, t("hallmgr.windows_caption")),
      h("thead", {}, h("tr", {}, ["window", "status", "serving"].map((k) => h("th", { scope: "col" }, t(`hallmgr.col.${k}`))))),
      h("tbody", {}, overview.windows.map((w) => h("tr", { dataset: { number: String(w.number) } },
        h("th", { scope: "row" }, t("hallmgr.subject.window", { window: w.number }), w.label ? ` ${w.label}` : ""),
        h("td", {}, w.staffed ? t(`hallmgr.window.${w.status}`) : t("hallmgr.window.unstaffed")),
        h("td", {}, w.serving || "—")))))),
  ];
}

async function importHallLive() {
  try {
    return await import("../app/hall-live.js");
  } catch {
    return null;  // not there (yet): the 10 s poll keeps the page current
  }
}

export async function mount(root, params, app) {
  const { t } = app;
  const status = h("p", { class: "hint", id: "hall-status", role: "status" });
  const section = h("section", { id: "hall-console", class: "wide" });
  root.append(section);
  let halls;
  try {
    halls = (await authed("/api/v1/halls/managed")).items;
  } catch (error) {
    section.append(h("h1", {}, t("hallmgr.title")), h("p", { class: "hint", role: "alert" },
      isNetworkFailure(error) ? t("hallmgr.offline") : errorMessage(error)), signOutButton(app));
    return undefined;
  }
  const hall = pickHall(halls, new URLSearchParams(params.query || "").get("hall"));
  if (!hall) {
    section.append(h("h1", {}, t("hallmgr.title")), h("p", { class: "hint" }, t("hallmgr.no_hall")), signOutButton(app));
    return undefined;
  }

  const bell = notificationBell(app, { where: "console" });
  const liveState = h("span", { class: "live-status", id: "hall-live-state", role: "status" });
  const picker = halls.length > 1 ? h("label", { class: "toolbar" }, t("hallmgr.hall"),
    h("select", { id: "hall-picker" }, halls.map((x) => h("option", { value: x.id, selected: x.id === hall.id }, x.name)))) : null;
  picker?.querySelector("select").addEventListener("change", (e) => app.navigate(`/console/hall?hall=${e.target.value}`));
  const cueText = h("span", { id: "alert-cue-text" });
  const cueDismiss = h("button", { type: "button", class: "inline", id: "alert-cue-dismiss" }, t("hallmgr.dismiss"));
  const cue = h("div", { class: "banner warn", id: "alert-cue", role: "alert", hidden: true }, cueText, cueDismiss);
  const figures = h("div", { id: "hall-headline", "aria-live": "polite" });
  const alertCount = h("span", { id: "alert-count" });
  const openList = h("ul", { class: "list alert-list", id: "alert-list" });
  const openEmpty = h("p", { class: "hint", id: "alert-none" }, t("hallmgr.no_alerts"));
  const ackList = h("ul", { class: "list alert-list", id: "acknowledged-list" });
  const followCount = h("span", { id: "followup-count" });
  const followList = h("ul", { class: "list followup-list", id: "followup-list" });
  const followEmpty = h("p", { class: "hint", id: "followup-none" }, t("hallmgr.no_followups"));
  section.append(
    h("div", { class: "console-head" }, h("h1", {}, t("hallmgr.title"), " · ", hall.name), liveState, bell.element,
      h("a", { class: "button secondary", href: `#/console/hall-stats?hall=${hall.id}`, id: "to-hall-stats" }, t("hallmgr.to_stats")),
      h("a", { class: "button secondary", href: `#/display/${hall.id}`, id: "to-display" }, t("hallmgr.to_display")),
      signOutButton(app)),
    ...[picker, cue, status].filter(Boolean),
    h("div", { class: "hall-layout" },
      h("section", { class: "hall-main", "aria-labelledby": "alerts-title" },
        h("h2", { id: "alerts-title" }, t("hallmgr.alerts"), " ", alertCount), openEmpty, openList,
        h("h3", {}, t("hallmgr.acknowledged")), ackList,
        h("h2", { id: "followups-title" }, t("hallmgr.followups"), " ", followCount), followEmpty, followList),
      h("section", { class: "hall-side", "aria-labelledby": "headline-title" },
        h("h2", { id: "headline-title" }, t("hallmgr.now")), figures)));

  const drawOpen = keyedList(openList);
  const drawAcknowledged = keyedList(ackList);
  const drawFollowups = keyedList(followList);
  let seen = null;
  let fresh = new Set();
  let stopped = false;
  let reading = null;
  let again = false;

  const alertSig = (a) => [a.acknowledged_at, a.cleared_at, fresh.has(a.id)].join("|");
  const read = async () => {
    // One read at a time; a request to read during one reads once more after it.
    if (reading) { again = true; return reading; }
    reading = (async () => {
      do {
        again = false;
        await readOnce();
      } while (again && !stopped);
    })();
    try { await reading; } finally { reading = null; }
    return undefined;
  };
  const readOnce = async () => {
    let overview;
    let open;
    let done;
    let followups;
    try {
      // Open ones asked for by themselves: a long day's acknowledged ones never crowd them out.
      [overview, open, done, followups] = await Promise.all([
        authed(`/api/v1/halls/${hall.id}/overview`),
        authed(`/api/v1/halls/${hall.id}/alerts?open=true`).then((r) => r.items),
        authed(`/api/v1/halls/${hall.id}/alerts?open=false`).then((r) => r.items.slice(0, ACKNOWLEDGED_SHOWN)),
        authed(`/api/v1/halls/${hall.id}/followups?status=open`).then((r) => r.items)]);
    } catch (error) {
      if (!stopped) status.textContent = isNetworkFailure(error) ? t("hallmgr.offline") : errorMessage(error);
      return;
    }
    if (stopped) return;
    status.textContent = "";
    const arrived = newAlerts(seen, open);
    seen = new Set([...(seen || []), ...open.map((a) => a.id)]);
    if (arrived.length) {
      fresh = new Set([...fresh, ...arrived.map((a) => a.id)]);
      cue.hidden = false;
      cueText.textContent = t("hallmgr.new_alert", { kind: t(`hallmgr.kind.${arrived[0].kind}`),
        subject: alertSubject(t, arrived[0]), n: arrived.length });
      beep();
    }
    alertCount.textContent = `(${open.length})`;
    openEmpty.hidden = open.length > 0;
    drawOpen(open, (a) => alertItem(app, a, { onDone: read, fresh: fresh.has(a.id) }), alertSig);
    drawAcknowledged(done, (a) => alertItem(app, a, { onDone: read, fresh: false }), alertSig);
    followCount.textContent = `(${followups.length})`;
    followEmpty.hidden = followups.length > 0;
    drawFollowups(followups, (f) => followupItem(app, f, read), (f) => f.followup_status);
    figures.replaceChildren(...headline(app, overview));
  };
  // The banner and the highlight stay until the manager says they have seen them.
  cueDismiss.addEventListener("click", () => {
    cue.hidden = true;
    fresh = new Set();
    read();
  });

  await read();
  let debounce = null;
  const soon = () => { clearTimeout(debounce); debounce = setTimeout(read, EVENT_DEBOUNCE_MS); };
  const poll = setInterval(() => { if (document.visibilityState === "visible") read(); }, POLL_MS);
  const onVisible = () => { if (document.visibilityState === "visible") read(); };
  document.addEventListener("visibilitychange", onVisible);
  let stopLive = () => {};
  const live = await importHallLive();
  if (live?.watchHall && !stopped) {
    stopLive = live.watchHall(hall.id, () => soon(), {
      onState: (state) => {
        liveState.dataset.state = state;
        liveState.textContent = t(`live.state.${state}`);
      },
    });
  }
  return () => {
    stopped = true;
    clearInterval(poll);
    clearTimeout(debounce);
    document.removeEventListener("visibilitychange", onVisible);
    stopLive();
    bell.stop();
  };
}
