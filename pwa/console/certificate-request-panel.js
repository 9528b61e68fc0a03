// The clerk's certificate request (无证明城市, use by consent) for the ticket at the window:
// ask the citizen for a certificate of a type, then follow the request every 2 s while it is
// pending until they approve (the certificate, verified on the server, with all its fields),
// decline, or let it expire. Online only, as the clerk's console is. The API:
// docs/CERTIFICATES.md, "The API".
import { authed } from "../app/api.js";
import { errorMessage } from "../app/i18n.js";
import { formatTime, h } from "../app/ui/dom.js";

export const REQUEST_POLL_MS = 2_000;
export const VERDICT_REASONS = ["valid", "malformed", "oversize", "unknown_key", "bad_signature", "not_yet_valid",
  "expired", "revoked", "suspended"];

// -- rules: pure, tested in tests/js/certificates-console.test.mjs ----------------------------

export const isPending = (request) => request?.status === "pending";

/** The newest request the clerk made for this ticket (from their list of today's), or null. */
export function latestRequestFor(requests, ticketId) {
  return (requests || []).filter((r) => r.ticket_id === ticketId)
    .sort((a, b) => String(b.requested_at || "").localeCompare(String(a.requested_at || "")))[0] || null;
}

/** The server's verdict on an approved request's certificate: { valid, reason }, or null. */
export function verdictOf(request) {
  const verification = request?.certificate?.verification || request?.verification;
  if (!request?.certificate || !verification) return null;
  return { valid: verification.valid === true, reason: verification.reason || (verification.valid ? "valid" : "malformed") };
}

/** A name in the reader's language. */
const local = (item, key, lang) => (lang === "en" ? item?.[`${key}_en`] || item?.[key] : item?.[key] || item?.[`${key}_en`]) || "";

/** An approved certificate's facts, in order: [{ key, label, value }]; the label is an i18n
 * key for the fixed facts (`fixed: true`) and the type's own label for its fields. */
export function certificateFacts(certificate, lang) {
  if (!certificate) return [];
  return [
    { key: "holder", label: "certconsole.request.holder", value: certificate.holder_name || "", fixed: true },
    { key: "type", label: "certconsole.request.type", value: local(certificate, "type_name", lang) || certificate.type || "", fixed: true },
    { key: "number", label: "certconsole.request.number", value: certificate.number || "", fixed: true },
    { key: "issuer", label: "certconsole.request.issuer", value: certificate.issuer_name || certificate.issuer || "", fixed: true },
    { key: "expires", label: "certconsole.request.expires", value: certificate.expires_at || null, fixed: true },
    ...(certificate.fields || []).map((f) => ({ key: `field:${f.key}`, label: local(f, "label", lang) || f.key,
      value: f.value ?? "", fixed: false })),
  ];
}

// -- the panel ---------------------------------------------------------------------------------

const itemsOf = (answer) => (Array.isArray(answer) ? answer : answer?.items || []);

/** A request's own words for an error, else the console's, else the app's usual ones. */
function errorText(t, error) {
  for (const key of [`certconsole.request.error.${error?.code}`, `certconsole.error.${error?.code}`]) {
    const text = t(key, error?.body?.error || {});
    if (text !== key) return text;
  }
  return errorMessage(error);
}

function verdictElement(t, verdict) {
  const reason = VERDICT_REASONS.includes(verdict.reason) ? verdict.reason : "malformed";
  return h("p", { id: "cert-request-verdict", class: `verdict certcon-verdict ${verdict.valid ? "inside" : "outside"}`,
    dataset: { valid: String(verdict.valid), reason: verdict.reason } },
  h("span", { "aria-hidden": "true" }, verdict.valid ? "✔ " : "✘ "),
  verdict.valid ? t("certconsole.request.verified") : t("certconsole.request.not_verified", {
    reason: t(`certconsole.reason.${reason}`) }));
}

function certificateElement(app, certificate) {
  const { t } = app;
  const lang = app.language();
  const day = (iso) => new Intl.DateTimeFormat(lang, { dateStyle: "medium" }).format(new Date(iso));
  return h("dl", { class: "facts certcon-request-facts", id: "cert-request-certificate" },
    certificateFacts(certificate, lang).flatMap((fact) => [
      h("dt", {}, fact.fixed ? t(fact.label) : fact.label),
      h("dd", { dataset: { key: fact.key } }, fact.key === "expires"
        ? (fact.value ? day(fact.value) : t("certconsole.never_expires")) : fact.value)]));
}

/**
 * The panel for the ticket being served: { element, ticketId, stop }. `stop` ends its
 * polling (the ticket left the window, or the page was left).
 */
export function certificateRequestPanel(app, ticket) {
  const { t } = app;
  const lang = app.language();
  let stopped = false;
  let timer = null;
  let types = null;
  let request = null;

  const openButton = h("button", { type: "button", class: "inline", id: "cert-request-open",
    "aria-controls": "cert-request-form", "aria-expanded": "false" }, t("certconsole.request.open"));
  const type = h("select", { id: "cert-request-type", required: true });
  const purpose = h("input", { id: "cert-request-purpose", maxlength: 200, autocomplete: "off" });
  const formError = h("p", { class: "error", id: "cert-request-error", role: "alert" });
  const send = h("button", { type: "submit", class: "primary", id: "cert-request-send" }, t("certconsole.request.send"));
  const cancel = h("button", { type: "button", class: "secondary", id: "cert-request-cancel" }, t("certconsole.cancel"));
  const form = h("form", { id: "cert-request-form", class: "certcon-request-form", hidden: true, novalidate: true },
    h("div", { class: "field" }, h("label", { for: "cert-request-type" }, t("certconsole.request.type_label")), type),
    h("div", { class: "field" }, h("label", { for: "cert-request-purpose" }, t("certconsole.request.purpose")), purpose),
    formError, h("div", { class: "toolbar" }, send, cancel));
  const status = h("div", { id: "cert-request-state", role: "status", "aria-live": "polite" });
  const element = h("section", { class: "card certcon-request", id: "cert-request", "aria-labelledby": "cert-request-title",
    dataset: { ticket: ticket.id } },
  h("h2", { id: "cert-request-title" }, t("certconsole.request.title", { number: ticket.number })),
  openButton, form, status);

  const showForm = async () => {
    form.hidden = false;
    openButton.hidden = true;
    openButton.setAttribute("aria-expanded", "true");
    formError.replaceChildren();
    if (!types) {
      type.replaceChildren(h("option", { value: "" }, t("certconsole.loading")));
      try {
        types = itemsOf(await authed("/api/v1/certificate-types"));
      } catch (failure) {
        if (stopped) return;
        formError.textContent = errorText(t, failure);
        type.replaceChildren(h("option", { value: "" }, t("certconsole.choose_type")));
        return;
      }
      if (stopped) return;
      type.replaceChildren(h("option", { value: "" }, t("certconsole.choose_type")),
        ...types.map((ty) => h("option", { value: ty.code }, `${local(ty, "name", lang)}（${ty.code}）`)));
    }
    type.focus();
  };
  const hideForm = () => {
    form.hidden = true;
    openButton.hidden = false;
    openButton.setAttribute("aria-expanded", "false");
  };
  openButton.addEventListener("click", showForm);
  cancel.addEventListener("click", () => { hideForm(); openButton.focus(); });
  form.addEventListener("keydown", (event) => {
    if (event.key === "Escape") { event.preventDefault(); hideForm(); openButton.focus(); }
  });

  const draw = () => {
    if (!request) { status.replaceChildren(); return; }
    const name = local(request, "type_name", lang) || request.type;
    status.dataset.status = request.status;
    status.dataset.id = request.id;
    const lines = [h("p", { class: "certcon-request-status", id: "cert-request-status" },
      h("span", { class: "status-chip certcon-request-chip certcon-chip", dataset: { status: request.status } },
        t(`certconsole.request.status.${request.status}`)), " ",
      t(`certconsole.request.says.${request.status}`, { type: name,
        until: request.expires_at ? formatTime(request.expires_at, lang) : "" }))];
    if (request.purpose) lines.push(h("p", { class: "hint" }, t("certconsole.request.purpose_is", { purpose: request.purpose })));
    if (request.status === "approved") {
      const verdict = verdictOf(request);
      if (verdict) lines.push(verdictElement(t, verdict));
      lines.push(certificateElement(app, request.certificate));
    }
    status.replaceChildren(...lines);
    openButton.textContent = t(isPending(request) ? "certconsole.request.open" : "certconsole.request.again");
    openButton.disabled = isPending(request);
  };

  const follow = async () => {
    timer = null;
    if (stopped || !isPending(request)) return;
    try {
      const next = await authed(`/api/v1/certificate-requests/${request.id}`);
      if (stopped) return;
      request = next;
      draw();
    } catch {
      // A lost answer is asked again at the next beat; the request lives on the server.
    }
    if (!stopped && isPending(request)) timer = setTimeout(follow, REQUEST_POLL_MS);
  };
  const track = (next) => {
    request = next;
    clearTimeout(timer);
    timer = null;
    draw();
    if (isPending(request)) timer = setTimeout(follow, REQUEST_POLL_MS);
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    formError.replaceChildren();
    if (!type.value) { formError.textContent = t("certconsole.need_type"); type.focus(); return; }
    send.disabled = true;
    try {
      const made = await authed(`/api/v1/tickets/${ticket.id}/certificate-requests`, { method: "POST",
        body: { type: type.value, purpose: purpose.value.trim() } });
      if (stopped) return;
      hideForm();
      purpose.value = "";
      track(made);
      status.focus?.();
    } catch (failure) {
      if (!stopped) formError.textContent = errorText(t, failure);
    } finally {
      send.disabled = false;
    }
  });

  // A request made before the page was opened again (a reload) is shown and followed.
  authed(`/api/v1/certificate-requests?ticket_id=${ticket.id}`).then((answer) => {
    if (stopped || request) return;
    const earlier = latestRequestFor(itemsOf(answer), ticket.id);
    if (earlier) track(earlier);
  }).catch(() => {});

  return {
    element,
    ticketId: ticket.id,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
