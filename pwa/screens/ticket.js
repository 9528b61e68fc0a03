// 我的排号, one ticket: the number very large, the service, the hall, the place in the queue
// and the estimated wait; once called, a full-width "请到 N 号窗口" with the window huge (and a
// vibration); cancel while waiting; the rating once done, and the hall's reply to a bad one.
// It follows the queue live (the hall's events when hall-live.js is there, the service
// worker's pushes, and a gentle poll while the page is in view), and with no signal it shows
// the ticket as last read ("离线 · HH:MM 更新") until the connection is back.
import { authed } from "../app/api.js";
import { pushSupported, subscribeToPush } from "../app/push.js";
import { BAD_RATING_MAX, callSignature, eventConcerns, isOpen, pushConcerns, reasonsFor,
  waitWords, watchHallIfAvailable } from "../app/queue.js";
import { cachedTicket, cacheTicket } from "../app/ticket-cache.js";
import { h } from "../app/ui/dom.js";
import { isNetworkFailure } from "../app/ui/offline-notice.js";
import { loadPendingRequests, requestBanner } from "./certificate-request.js";
import { fill, JUST_TAKEN, queueErrorText } from "./take-number.js";

// Poll while in view: gently when a push will say "called", often when none can.
export const POLL_MS = 15_000;
export const POLL_NO_PUSH_MS = 5_000;
// A move in the ticket's queue is read once per burst of events, and each phone waits a
// little at random, so a hall full of phones does not ask the server all at the same moment.
const soonDelay = () => 300 + Math.round(Math.random() * 1_500);
const FELT = "civicgrid.queue.felt.";

/** Whether a push can reach this browser: granted (else the page must look for itself). */
export function pushWillCome() {
  return pushSupported() && Notification.permission === "granted"
    && Boolean(localStorage.getItem("civicgrid.push.subscription"));
}

const clock = (iso, lang) => new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit" }).format(new Date(iso));

function waitText(t, seconds) {
  const words = waitWords(seconds);
  return words ? t(words.key, words) : t("queue.wait_unknown");
}

/** "请到 {window} 号窗口" with the number as its own huge element, in the catalogue's word order. */
function callBanner(app, ticket) {
  const { t } = app;
  const [before, after = ""] = t("queue.call_banner", { window: "{window}" }).split("{window}");
  return h("div", { class: "call-banner", id: "call-banner", role: "alert", dataset: { window: ticket.window?.number } },
    h("p", { class: "call-number" }, ticket.number),
    h("p", { class: "call-text" }, before,
      h("span", { class: "call-window", id: "call-window" }, ticket.window?.number ?? "?"), after),
    ticket.recalls ? h("p", { class: "call-recall" }, t("queue.recalled", { n: ticket.recalls })) : null);
}

function facts(app, ticket) {
  const { t } = app;
  const waiting = ticket.status === "waiting";
  return h("dl", { class: "card facts", id: "ticket-facts" },
    h("dt", {}, t("queue.service")), h("dd", { id: "ticket-service" }, `${ticket.service.code} · ${ticket.service.name}`),
    h("dt", {}, t("queue.hall")), h("dd", { id: "ticket-hall" }, ticket.hall_name),
    waiting ? [h("dt", {}, t("queue.position")), h("dd", { id: "ticket-position", dataset: { position: ticket.position } },
      ticket.position === 1 ? t("queue.position_next") : t("queue.position_n", { n: ticket.position, ahead: ticket.ahead }))] : null,
    waiting ? [h("dt", {}, t("queue.estimated_wait")), h("dd", { id: "ticket-wait" }, waitText(t, ticket.estimated_wait_s))] : null,
    ticket.window && ticket.status === "done" ? [h("dt", {}, t("queue.window")),
      h("dd", { id: "ticket-window" }, t("queue.window_n", { n: ticket.window.number }))] : null,
    h("dt", {}, t("queue.taken_at")), h("dd", {}, clock(ticket.taken_at, app.language())));
}

/** 开启叫号提醒: right after taking a number, Web Push through push.js; made once per mount. */
function pushOffer(app, onAnswer) {
  const { t } = app;
  const box = h("section", { class: "card", id: "push-offer", "aria-live": "polite" });
  const draw = (outcome) => {
    if (!pushSupported()) {
      box.replaceChildren(h("p", { class: "hint", id: "push-unsupported" }, t("queue.push_unsupported")));
    } else if (pushWillCome()) {
      box.replaceChildren(h("p", { class: "hint", id: "push-on" }, t("queue.push_on")));
    } else if (Notification.permission === "denied" || outcome === "denied") {
      box.replaceChildren(h("p", { class: "hint", id: "push-denied" }, t("queue.push_denied")));
    } else {
      const button = h("button", { type: "button", class: "primary", id: "push-enable" }, t("queue.push_enable"));
      button.addEventListener("click", async () => {
        button.disabled = true;
        let result = "failed";
        try {
          result = await subscribeToPush();
        } catch {
          result = "failed";  // offline, or no push service: the page keeps looking by itself
        }
        draw(result);
        if (result === "failed") box.append(h("p", { class: "error" }, t("queue.push_failed")));
        onAnswer();
      });
      box.replaceChildren(h("p", {}, t("queue.push_offer")), button);
    }
  };
  draw(null);
  return box;
}

/** 取消排号 with a confirmation on the page (no dialog); made once per mount. */
function cancelBox(app, id, onCancelled) {
  const { t } = app;
  const error = h("p", { class: "error", role: "alert" });
  const ask = h("button", { type: "button", class: "secondary danger", id: "ticket-cancel" }, t("queue.cancel"));
  const yes = h("button", { type: "button", class: "primary danger", id: "ticket-cancel-yes" }, t("queue.cancel_yes"));
  const no = h("button", { type: "button", class: "secondary", id: "ticket-cancel-no" }, t("queue.cancel_no"));
  const confirmBox = h("div", { id: "ticket-cancel-confirm", role: "group", hidden: true },
    h("p", {}, t("queue.cancel_confirm")), yes, no);
  ask.addEventListener("click", () => { ask.hidden = true; confirmBox.hidden = false; no.focus(); });
  no.addEventListener("click", () => { confirmBox.hidden = true; ask.hidden = false; ask.focus(); });
  yes.addEventListener("click", async () => {
    yes.disabled = true;
    error.textContent = "";
    try {
      onCancelled(await authed(`/api/v1/tickets/${id}/cancel`, { method: "POST", body: {} }));
    } catch (err) {
      error.textContent = queueErrorText(t, err, app.language());
    } finally {
      yes.disabled = false;
    }
  });
  return h("section", { id: "ticket-cancel-box" }, ask, confirmBox, error);
}

const starLine = (score) => "★".repeat(score) + "☆".repeat(5 - score);

/** 评价: five large stars, reason chips for the score, a comment, send; made once per mount. */
function ratingForm(app, id, onRated) {
  const { t } = app;
  let score = 0;
  const chosen = new Set();
  const stars = [1, 2, 3, 4, 5].map((n) => h("button", { type: "button", class: "star", id: `star-${n}`,
    "aria-label": t("queue.stars_label", { n }), "aria-pressed": "false", dataset: { n } }, "★"));
  const chips = h("div", { class: "chips", role: "group", id: "rating-reasons", "aria-label": t("queue.rating_reasons") });
  const comment = h("textarea", { id: "rating-comment", rows: 3, maxlength: 500 });
  const send = h("button", { type: "button", class: "primary", id: "rating-send", disabled: true }, t("queue.rating_send"));
  const error = h("p", { class: "error", role: "alert" });
  const drawChips = () => {
    const offered = reasonsFor(score);
    for (const reason of [...chosen]) if (!offered.includes(reason)) chosen.delete(reason);
    chips.replaceChildren(...offered.map((reason) => {
      const chip = h("button", { type: "button", class: "chip", id: `reason-${reason}`,
        "aria-pressed": String(chosen.has(reason)) }, t(`queue.reason.${reason}`));
      chip.addEventListener("click", () => {
        if (chosen.has(reason)) chosen.delete(reason);
        else chosen.add(reason);
        chip.setAttribute("aria-pressed", String(chosen.has(reason)));
      });
      return chip;
    }));
  };
  for (const star of stars) {
    star.addEventListener("click", () => {
      score = Number(star.dataset.n);
      stars.forEach((s) => {
        s.setAttribute("aria-pressed", String(Number(s.dataset.n) === score));
        s.classList.toggle("lit", Number(s.dataset.n) <= score);
      });
      send.disabled = false;
      drawChips();
    });
  }
  send.addEventListener("click", async () => {
    send.disabled = true;
    error.textContent = "";
    try {
      await authed(`/api/v1/tickets/${id}/rating`, { method: "POST",
        body: { score, reasons: [...chosen], comment: comment.value.trim() } });
      onRated();
    } catch (err) {
      error.textContent = err.code === "network" ? t("queue.rating_offline") : queueErrorText(t, err, app.language());
      send.disabled = false;
    }
  });
  drawChips();
  return h("section", { class: "card", id: "rating-form", "aria-labelledby": "rating-title" },
    h("h2", { id: "rating-title" }, t("queue.rating_title")),
    h("div", { class: "stars", role: "group", "aria-label": t("queue.rating_score") }, stars),
    chips,
    h("label", { for: "rating-comment" }, t("queue.rating_comment")), comment,
    send, error);
}

function ratingGiven(app, rating) {
  const { t } = app;
  const bad = rating.score <= BAD_RATING_MAX;
  return h("section", { class: "card", id: "rating-given", dataset: { score: rating.score } },
    h("h2", {}, t("queue.rating_yours")),
    h("p", { class: "stars-given", "aria-label": t("queue.stars_label", { n: rating.score }) }, starLine(rating.score)),
    rating.reasons?.length ? h("p", { id: "rating-given-reasons" },
      rating.reasons.map((reason) => t(`queue.reason.${reason}`)).join("、")) : null,
    rating.comment ? h("p", { class: "hint", id: "rating-given-comment" }, rating.comment) : null,
    bad && rating.followup_action ? h("div", { class: "notice", id: "rating-followup" },
      h("p", { class: "label" }, t("queue.followup_reply")), h("p", {}, rating.followup_action)) : null,
    bad && !rating.followup_action ? h("p", { class: "hint", id: "rating-followup-pending" }, t("queue.followup_pending")) : null);
}

function statusChip(t, status) {
  return h("span", { class: "status-chip ticket-status", id: "ticket-status", dataset: { status } }, t(`queue.status.${status}`));
}

function feel(ticket) {
  const signature = callSignature(ticket);
  if (!signature || sessionStorage.getItem(FELT + ticket.id) === signature) return;
  sessionStorage.setItem(FELT + ticket.id, signature);
  navigator.vibrate?.([400, 150, 400, 150, 400]);
}

export async function mount(root, { id }, app) {
  const { t } = app;
  const owner = app.owner();
  let ticket = null;
  let savedAt = null;
  let unreachable = false;  // the last read found no server (the browser may still think it is online)
  const offline = () => unreachable || !navigator.onLine;
  let problem = null;  // the server's "no" (404…), when there is no ticket to show
  let gone = false;
  let generation = 0;
  let timer = null;
  let soonTimer = null;
  let stopLive = null;
  const justTaken = sessionStorage.getItem(JUST_TAKEN) === id;
  if (justTaken) sessionStorage.removeItem(JUST_TAKEN);

  const section = h("section", { id: "ticket", class: "narrow" });
  const offlineLabel = h("p", { id: "ticket-offline", class: "notice warn", role: "status", hidden: true });
  const body = h("div", { id: "ticket-body" });
  section.append(offlineLabel, body);
  root.append(section);
  // Made once, kept across redraws: a half-typed comment or an open confirmation survives a poll.
  const offer = pushOffer(app, () => schedule());
  let cancel = null;
  let rate = null;
  let certificateRequests = [];  // a clerk's pending requests to see a certificate (无证明城市)
  let requestsGeneration = 0;

  function draw() {
    offlineLabel.hidden = !(offline() && ticket);
    offlineLabel.textContent = savedAt ? t("queue.offline_as_of", { time: clock(savedAt, app.language()) }) : t("queue.offline");
    if (!ticket) {
      fill(body, problem
        ? h("section", { class: "card notice rejected", id: "ticket-problem", role: "alert" }, h("p", {}, queueErrorText(t, problem, app.language())))
        : h("p", { class: "loading" }, offline() ? t("queue.offline_no_copy") : t("queue.loading")),
      h("a", { class: "button secondary", href: "#/tickets" }, t("queue.my_tickets")));
      return;
    }
    const open = isOpen(ticket);
    if (ticket.status === "waiting") cancel ??= cancelBox(app, id, (fresh) => took(fresh));
    if (ticket.can_rate) rate ??= ratingForm(app, id, () => refresh());
    fill(body,
      ticket.status === "called" ? callBanner(app, ticket) : null,
      open ? requestBanner(app, certificateRequests) : null,
      h("div", { class: "ticket-head", dataset: { status: ticket.status } },
        h("p", { class: "ticket-number", id: "ticket-number" }, ticket.number),
        statusChip(t, ticket.status),
        ticket.appointment ? h("span", { class: "badge", id: "ticket-appointment" }, t("queue.appointment")) : null),
      facts(app, ticket),
      open ? offer : null,
      ticket.status === "waiting" ? cancel : null,
      ticket.can_rate ? rate : null,
      ticket.rating ? ratingGiven(app, ticket.rating) : null,
      ["no_show", "cancelled"].includes(ticket.status) ? h("section", { class: "card", id: "ticket-over" },
        h("p", {}, t(`queue.over_${ticket.status}`)),
        h("a", { class: "button primary", href: "#/tickets/new", id: "ticket-take-again" }, t("queue.take_again"))) : null,
      h("div", { class: "actions" },
        h("a", { class: "button secondary", href: "#/tickets", id: "ticket-back" }, t("queue.my_tickets"))));
    if (justTaken && open && offer.querySelector("#push-enable")) offer.classList.add("just-taken");
    feel(ticket);
  }

  function took(fresh) {
    ticket = fresh;
    savedAt = new Date().toISOString();
    unreachable = false;
    cacheTicket(owner, fresh).catch(() => {});
    follow();
    if (!gone) draw();
  }

  /** Read the ticket again; only the latest answer draws (an older one may land after it). */
  async function refresh() {
    const mine = ++generation;
    clearTimeout(soonTimer);  // this read covers the moves it was waiting for
    soonTimer = null;
    try {
      const fresh = await authed(`/api/v1/tickets/${id}`);
      if (mine !== generation || gone) return;
      problem = null;
      took(fresh);
      readCertificateRequests();
    } catch (error) {
      if (mine !== generation || gone) return;
      if (isNetworkFailure(error)) unreachable = true;
      else if (!ticket) problem = error;  // with a ticket shown, keep showing it
      draw();
    } finally {
      if (mine === generation) schedule();
    }
  }

  /** The clerk's requests for this ticket, read again with the ticket; kept as last read offline. */
  async function readCertificateRequests() {
    const mine = ++requestsGeneration;
    try {
      const found = ticket && isOpen(ticket) ? await loadPendingRequests(id) : [];
      if (mine !== requestsGeneration || gone) return;
      const same = found.map((r) => r.id).join() === certificateRequests.map((r) => r.id).join();
      certificateRequests = found;
      if (!same) draw();  // a redraw moves the page's fields: only when the banner changes
    } catch {
      // no answer: the banner stays as last read until the next read
    }
  }

  function schedule() {
    clearTimeout(timer);
    if (gone || !ticket || !isOpen(ticket) || document.visibilityState !== "visible") return;
    timer = setTimeout(refresh, pushWillCome() ? POLL_MS : POLL_NO_PUSH_MS);
  }

  // The hall's live events while the ticket is open and on screen (each open stream holds
  // one of the server's threads; a phone in a pocket has Web Push): its own number at
  // once, its queue shortly.
  function follow() {
    const wanted = ticket && isOpen(ticket) && !gone && document.visibilityState === "visible";
    if (wanted && !stopLive) {
      stopLive = watchHallIfAvailable(ticket.hall_id, (event) => {
        const concern = eventConcerns(event, ticket);
        if (concern === "now") refresh();
        else if (concern === "soon" && !soonTimer) {
          soonTimer = setTimeout(() => { soonTimer = null; refresh(); }, soonDelay());
        }
      });
    } else if (stopLive && !wanted) {
      stopLive();
      stopLive = null;
    }
  }

  const onPush = (event) => {
    if (event.data?.type === "push" && pushConcerns(event.data.message, id)) refresh();
  };
  const onVisible = () => {
    if (document.visibilityState === "visible") return refresh();
    clearTimeout(timer);
    follow();  // hidden: let the stream go
  };
  const onOnline = () => refresh();
  const onOffline = () => draw();
  navigator.serviceWorker?.addEventListener("message", onPush);
  document.addEventListener("visibilitychange", onVisible);
  window.addEventListener("online", onOnline);
  window.addEventListener("offline", onOffline);

  const kept = await cachedTicket(owner, id).catch(() => null);
  if (kept && !ticket) {
    ticket = kept.ticket;
    savedAt = kept.saved_at;
  }
  draw();
  refresh();  // not awaited: the router must get the unmount at once, however slow the link

  return () => {
    gone = true;
    clearTimeout(timer);
    clearTimeout(soonTimer);
    stopLive?.();
    navigator.serviceWorker?.removeEventListener("message", onPush);
    document.removeEventListener("visibilitychange", onVisible);
    window.removeEventListener("online", onOnline);
    window.removeEventListener("offline", onOffline);
  };
}
