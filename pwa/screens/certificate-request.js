// 无证明城市, use by consent: a window clerk asks to see one of the citizen's certificates for
// the ticket they have called; the citizen sees what is asked, by whom and why, picks the
// certificate and says 同意出示 or 拒绝. Nothing is shared until they agree; a request left
// unanswered expires (10 minutes). The ticket page shows a pending request as a banner
// (requestBanner below), and a Web Push opens this page.
import { authed } from "../app/api.js";
import { cachedCertificates, cacheCertificates } from "../app/certificate-cache.js";
import { errorMessage } from "../app/i18n.js";
import { h } from "../app/ui/dom.js";
import { isNetworkFailure } from "../app/ui/offline-notice.js";
import { certificateStatus, certificateStatusChip, fieldLabel, formatDateTime, maskNumber,
  typeName } from "./certificates.js";

export const REQUEST_STATUSES = ["pending", "approved", "declined", "expired"];

/** The request's state now: a pending request past its time is expired, whatever was read. */
export function requestStatus(request, now = Date.now()) {
  const status = REQUEST_STATUSES.includes(request?.status) ? request.status : "pending";
  if (status === "pending" && request.expires_at && Date.parse(request.expires_at) <= now) return "expired";
  return status;
}

/** The requests still waiting for an answer about this ticket, oldest first. */
export function pendingRequests(items, ticketId, now = Date.now()) {
  return (items || [])
    .filter((r) => r.ticket_id === ticketId && requestStatus(r, now) === "pending")
    .sort((a, b) => (a.requested_at < b.requested_at ? -1 : 1));
}

/** The pending requests about this ticket, read from the server (throws as authed does). */
export async function loadPendingRequests(ticketId) {
  const result = await authed(`/api/v1/certificate-requests?ticket_id=${encodeURIComponent(ticketId)}`);
  return pendingRequests(result.items, ticketId);
}

/** The ticket page's banner: each pending request, a big link to answer it; null if none. */
export function requestBanner(app, requests) {
  const { t } = app;
  if (!requests?.length) return null;
  return h("section", { class: "cert-request-banner", id: "cert-request-banner", role: "alert" },
    requests.map((request) => h("a", { class: "button cert-request-link", href: `#/certificate-requests/${request.id}`,
      id: `cert-request-${request.id}`, dataset: { type: request.type } },
    t("cert.req.banner", { type: typeName(request, app.language()),
      window: request.window_number ?? "", clerk: request.clerk_name ?? "" }))));
}

/** The words for a refused answer (the request closed meanwhile; a certificate it does not take). */
export function answerErrorText(t, error) {
  const key = `cert.error.${error?.code}`;
  const text = t(key);
  return text !== key ? text : errorMessage(error);
}

function requestFacts(app, request) {
  const { t } = app;
  const lang = app.language();
  return h("dl", { class: "card facts", id: "cert-request-facts" },
    h("dt", {}, t("cert.req.hall")), h("dd", { id: "cert-request-hall" }, request.hall_name || "—"),
    h("dt", {}, t("cert.req.window")), h("dd", { id: "cert-request-window" },
      request.window_number != null ? t("cert.req.window_n", { n: request.window_number }) : "—"),
    h("dt", {}, t("cert.req.clerk")), h("dd", { id: "cert-request-clerk" }, request.clerk_name || "—"),
    h("dt", {}, t("cert.req.ticket")), h("dd", { id: "cert-request-ticket" },
      request.ticket_id ? h("a", { href: `#/tickets/${request.ticket_id}` }, request.ticket_number || "—") : (request.ticket_number || "—")),
    h("dt", {}, t("cert.req.purpose")), h("dd", { id: "cert-request-purpose" }, request.purpose || "—"),
    h("dt", {}, t("cert.req.requested_at")), h("dd", {}, request.requested_at ? formatDateTime(request.requested_at, lang) : "—"));
}

function answeredSection(app, request, status) {
  const { t } = app;
  const shared = request.certificate;
  const check = shared?.verification;
  return h("section", { class: "card notice cert-request-outcome", id: "cert-request-outcome", dataset: { status } },
    h("p", { class: "cert-request-outcome-title" }, t(`cert.req.outcome.${status}`)),
    request.answered_at ? h("p", { class: "hint" }, t("cert.req.answered_at", { time: formatDateTime(request.answered_at, app.language()) })) : null,
    shared ? h("p", { id: "cert-request-shared" }, `${typeName(shared, app.language())} · ${maskNumber(shared.number)}`) : null,
    check ? h("p", { id: "cert-request-verification", class: check.valid ? "verdict inside" : "verdict outside",
      dataset: { valid: String(check.valid) } },
    check.valid ? t("cert.req.verified") : t("cert.req.not_verified", { reason: t(`cert.reason.${check.reason}`) })) : null);
}

export async function mount(root, { id }, app) {
  const { t } = app;
  const owner = app.owner();
  let request = null;
  let problem = null;
  let certificates = null;  // the citizen's certificates (kept copy, then as read)
  let chosen = null;  // the certificate id picked
  let busy = false;
  let answerError = null;
  let unreachable = false;
  let gone = false;
  let generation = 0;
  let expiryTimer = null;
  const offline = () => unreachable || !navigator.onLine;

  const body = h("div", { id: "cert-request-body" });
  root.append(h("section", { id: "cert-request", class: "narrow" }, h("h1", {}, t("cert.req.title")), body));

  function candidates() {
    return (certificates || []).filter((c) => c.type === request.type);
  }

  function choiceSection() {
    const lang = app.language();
    const mine = candidates();
    const usable = mine.filter((c) => certificateStatus(c) === "valid");
    if (!usable.some((c) => c.id === chosen)) chosen = usable.length === 1 ? usable[0].id : null;
    if (!mine.length) {
      return h("p", { class: "notice warn", id: "cert-request-none" },
        certificates ? t("cert.req.none_of_type", { type: typeName(request, lang) }) : t("cert.loading"));
    }
    const picked = mine.find((c) => c.id === chosen);
    return h("fieldset", { class: "cert-choice", id: "cert-request-choice" },
      h("legend", {}, t("cert.req.choose")),
      mine.map((c) => {
        const status = certificateStatus(c);
        const input = h("input", { type: "radio", name: "cert-choice", id: `choose-${c.id}`, value: c.id,
          checked: c.id === chosen, disabled: status !== "valid" });
        input.addEventListener("change", () => { chosen = c.id; draw(); document.getElementById(`choose-${c.id}`)?.focus(); });
        return h("div", { class: "cert-choice-item", dataset: { status } }, input,
          h("label", { for: `choose-${c.id}` },
            h("span", { class: "cert-number" }, maskNumber(c.number)), " ",
            h("span", {}, c.holder_name), " ",
            certificateStatusChip(t, status)));
      }),
      picked?.fields?.length ? h("p", { class: "hint", id: "cert-request-shares" },
        t("cert.req.shares", { fields: picked.fields.map((f) => fieldLabel(f, lang)).join("、") })) : null);
  }

  function answerButtons() {
    const cannot = busy || offline();
    const approve = h("button", { type: "button", class: "primary cert-approve", id: "cert-request-approve",
      disabled: cannot || !chosen }, t("cert.req.approve"));
    const decline = h("button", { type: "button", class: "secondary danger cert-decline", id: "cert-request-decline",
      disabled: cannot }, t("cert.req.decline"));
    approve.addEventListener("click", () => answer("approve", { certificate_id: chosen }));
    decline.addEventListener("click", () => answer("decline", {}));
    return h("div", { class: "cert-request-answer" }, approve, decline);
  }

  function draw() {
    if (gone) return;
    const back = h("div", { class: "actions" },
      request?.ticket_id ? h("a", { class: "button secondary", href: `#/tickets/${request.ticket_id}`, id: "cert-request-back" }, t("cert.req.back_ticket")) : null,
      h("a", { class: "button secondary", href: "#/certificates" }, t("cert.title")));
    if (!request) {
      body.replaceChildren(problem
        ? h("p", { class: "error", role: "alert", id: "cert-request-problem" },
          problem.status === 404 ? t("cert.req.not_found") : errorMessage(problem))
        : h("p", { class: "loading" }, offline() ? t("cert.req.offline") : t("cert.loading")), back);
      return;
    }
    const lang = app.language();
    const status = requestStatus(request);
    const pending = status === "pending";
    body.replaceChildren(...[
      offline() ? h("p", { class: "notice warn", id: "cert-request-offline", role: "status" }, t("cert.req.offline")) : null,
      h("p", { class: "cert-request-ask", id: "cert-request-ask", dataset: { status } },
        t("cert.req.asks", { type: typeName(request, lang) })),
      h("span", { class: "status-chip cert-request-status", id: "cert-request-status", dataset: { status } },
        t(`cert.req.status.${status}`)),
      requestFacts(app, request),
      pending && request.expires_at ? h("p", { class: "hint", id: "cert-request-deadline" },
        t("cert.req.answer_by", { time: formatDateTime(request.expires_at, lang) })) : null,
      pending ? choiceSection() : null,
      pending ? answerButtons() : answeredSection(app, request, status),
      answerError ? h("p", { class: "error", role: "alert", id: "cert-request-error" }, answerError) : null,
      back,
    ].filter(Boolean));
  }

  function watchExpiry() {
    clearTimeout(expiryTimer);
    if (!request || requestStatus(request) !== "pending" || !request.expires_at) return;
    // Past its time the request draws as expired; setTimeout's longest wait is far more.
    expiryTimer = setTimeout(draw, Math.max(0, Date.parse(request.expires_at) - Date.now()) + 500);
  }

  async function refresh() {
    const mine = ++generation;
    const [requestRead, certificatesRead] = await Promise.allSettled([
      authed(`/api/v1/certificate-requests/${id}`), authed("/api/v1/certificates")]);
    if (mine !== generation || gone) return;
    if (requestRead.status === "fulfilled") {
      request = requestRead.value;
      problem = null;
      unreachable = false;
    } else if (isNetworkFailure(requestRead.reason)) unreachable = true;
    else problem = requestRead.reason;
    if (certificatesRead.status === "fulfilled") {
      certificates = certificatesRead.value.items;
      cacheCertificates(owner, certificates).catch(() => {});
    }
    watchExpiry();
    draw();
  }

  async function answer(action, payload) {
    if (busy) return;
    busy = true;
    answerError = null;
    draw();
    try {
      request = await authed(`/api/v1/certificate-requests/${id}/${action}`, { method: "POST", body: payload });
    } catch (error) {
      answerError = isNetworkFailure(error) ? t("cert.req.offline") : answerErrorText(t, error);
      if (error.code === "request_closed") refresh();  // show how it was closed
    } finally {
      busy = false;
      watchExpiry();
      draw();
    }
  }

  const onOnline = () => refresh();
  const onOffline = () => draw();
  const onVisible = () => { if (document.visibilityState === "visible") refresh(); };
  const onPush = (event) => {
    const message = event.data?.type === "push" ? event.data.message : null;
    if (message && (message.url || "").includes(id)) refresh();
  };
  window.addEventListener("online", onOnline);
  window.addEventListener("offline", onOffline);
  document.addEventListener("visibilitychange", onVisible);
  navigator.serviceWorker?.addEventListener("message", onPush);

  const kept = await cachedCertificates(owner).catch(() => null);
  if (kept && !certificates) certificates = kept.items;
  draw();
  refresh();

  return () => {
    gone = true;
    clearTimeout(expiryTimer);
    window.removeEventListener("online", onOnline);
    window.removeEventListener("offline", onOffline);
    document.removeEventListener("visibilitychange", onVisible);
    navigator.serviceWorker?.removeEventListener("message", onPush);
  };
}
