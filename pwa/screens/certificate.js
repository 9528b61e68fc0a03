// One certificate, opened to be shown: its QR as wide as the phone (with a word to turn the
// brightness up, and the screen kept on while it shows), its status, its fields, and where
// and when it was checked (核验记录). It works with no signal from the copy the wallet kept;
// a certificate that is no longer valid shows its QR greyed under a banner that says why.
import { authed } from "../app/api.js";
import { cacheCertificate, cachedCertificate } from "../app/certificate-cache.js";
import { errorMessage } from "../app/i18n.js";
import { h } from "../app/ui/dom.js";
import { isNetworkFailure } from "../app/ui/offline-notice.js";
import { qrCode } from "../app/ui/qr-code.js";
import { certificateStatus, certificateStatusChip, fieldLabel, formatDate, formatDateTime,
  maskNumber, offlineLines, typeName } from "./certificates.js";

/** One use, in words: when, how (扫码核验 / 授权出示), who, for which organisation, where. */
export function useLines(t, use, lang) {
  return {
    when: formatDateTime(use.at, lang),
    channel: t(`cert.channel.${use.channel === "consent" ? "consent" : "verify"}`),
    who: [use.verifier || t("cert.use_anonymous"), use.organisation].filter(Boolean).join(" · "),
    place: use.place || "",
  };
}

function usesSection(app, certificate) {
  const { t } = app;
  const uses = certificate.uses || [];
  const total = certificate.uses_count ?? uses.length;
  return h("section", { class: "card", id: "cert-uses", "aria-labelledby": "cert-uses-title" },
    h("h2", { id: "cert-uses-title" }, t("cert.uses")),
    uses.length
      ? h("ol", { class: "cert-uses", id: "cert-use-list" }, uses.map((use) => {
        const words = useLines(t, use, app.language());
        return h("li", { class: "cert-use", dataset: { channel: use.channel } },
          h("p", { class: "cert-use-head" }, h("time", { datetime: use.at }, words.when), " · ", words.channel),
          h("p", { class: "cert-use-who" }, words.who),
          words.place ? h("p", { class: "cert-use-place" }, words.place) : null);
      }))
      : h("p", { class: "hint", id: "cert-uses-none" }, t("cert.uses_none")),
    total > uses.length ? h("p", { class: "hint", id: "cert-uses-more" }, t("cert.uses_more", { n: total, shown: uses.length })) : null);
}

function factsSection(app, certificate, numberShown) {
  const { t } = app;
  const lang = app.language();
  return h("dl", { class: "card facts", id: "cert-facts" },
    h("dt", {}, t("cert.holder")), h("dd", { id: "cert-holder" }, certificate.holder_name),
    h("dt", {}, t("cert.number")),
    h("dd", { id: "cert-number", class: "cert-number" }, numberShown ? certificate.number : maskNumber(certificate.number)),
    h("dt", {}, t("cert.issuer")), h("dd", { id: "cert-issuer" }, certificate.issuer_name),
    certificate.issued_at ? [h("dt", {}, t("cert.issued_at")), h("dd", {}, formatDate(certificate.issued_at, lang))] : null,
    h("dt", {}, t("cert.expiry")), h("dd", { id: "cert-expiry" },
      certificate.expires_at ? formatDate(certificate.expires_at, lang) : t("cert.never_expires")),
    (certificate.fields || []).map((field) => [
      h("dt", {}, fieldLabel(field, lang)),
      h("dd", { dataset: { field: field.key } }, field.value)]));
}

// The screen kept on while a QR shows. Its own lock, not app/wake-lock.js's: that one is a
// single holder for the patrol, and letting it go here would let a running patrol's go too.
function screenKeeper() {
  let sentinel = null;
  let wanted = false;
  const acquire = async () => {
    if (!wanted || sentinel || !("wakeLock" in navigator) || document.visibilityState !== "visible") return;
    try {
      sentinel = await navigator.wakeLock.request("screen");
      sentinel.addEventListener?.("release", () => { sentinel = null; });
      if (!wanted) release();
    } catch {
      sentinel = null;  // refused (low battery…): the QR still shows while the screen is on
    }
  };
  const release = () => {
    const held = sentinel;
    sentinel = null;
    held?.release?.().catch(() => {});
  };
  const onVisible = () => { if (document.visibilityState === "visible") acquire(); };
  return {
    hold() {
      if (wanted) return;
      wanted = true;
      document.addEventListener("visibilitychange", onVisible);
      acquire();
    },
    stop() {
      wanted = false;
      document.removeEventListener("visibilitychange", onVisible);
      release();
    },
  };
}

export async function mount(root, { id }, app) {
  const { t } = app;
  const owner = app.owner();
  let certificate = null;
  let savedAt = null;
  let unreachable = false;
  let problem = null;
  let gone = false;
  let generation = 0;
  let numberShown = false;
  let drawnQr = null;  // the QR is drawn once per text, not on every redraw
  const offline = () => unreachable || !navigator.onLine;
  const screen = screenKeeper();

  const body = h("div", { id: "certificate-body" });
  root.append(h("section", { id: "certificate", class: "narrow" }, body));

  function qrFor(status) {
    const dimmed = status !== "valid";
    if (!drawnQr || drawnQr.text !== certificate.qr || drawnQr.dimmed !== dimmed) {
      drawnQr = { text: certificate.qr, dimmed, element: qrCode(certificate.qr, { id: "cert-qr", dimmed,
        label: t("cert.qr_label", { type: typeName(certificate, app.language()) }) }) };
    }
    return drawnQr.element;
  }

  function draw() {
    if (gone) return;
    const back = h("div", { class: "actions" },
      h("a", { class: "button secondary", href: "#/certificates", id: "cert-back" }, t("cert.back")));
    if (!certificate) {
      screen.stop();
      body.replaceChildren(problem
        ? h("p", { class: "error", role: "alert", id: "cert-problem" },
          problem.status === 404 ? t("cert.not_found") : errorMessage(problem))
        : h("p", { class: "loading" }, offline() ? t("cert.offline_no_copy") : t("cert.loading")), back);
      return;
    }
    const lang = app.language();
    const status = certificateStatus(certificate);
    const valid = status === "valid";
    if (valid) screen.hold();
    else screen.stop();
    const toggle = h("button", { type: "button", class: "inline", id: "cert-number-toggle",
      "aria-pressed": String(numberShown), "aria-controls": "cert-number" },
    numberShown ? t("cert.number_hide") : t("cert.number_show"));
    toggle.addEventListener("click", () => { numberShown = !numberShown; draw(); document.getElementById("cert-number-toggle")?.focus(); });
    body.replaceChildren(...[
      ...offlineLines(app, { offline: offline(), savedAt, id: "cert" }),
      h("div", { class: "cert-head", dataset: { status } },
        h("h1", { id: "cert-type" }, typeName(certificate, lang)),
        certificateStatusChip(t, status, "cert-status")),
      valid ? null : h("div", { class: "notice cert-invalid", id: "cert-invalid", role: "alert", dataset: { status } },
        h("p", { class: "cert-invalid-title" }, t(`cert.invalid.${status}`)),
        certificate.status_reason ? h("p", { id: "cert-status-reason" }, t("cert.status_reason", { reason: certificate.status_reason })) : null),
      certificate.qr ? h("figure", { class: valid ? "qr-frame" : "qr-frame dimmed", id: "cert-qr-frame" }, qrFor(status),
        h("figcaption", { class: "qr-number" }, maskNumber(certificate.number))) : null,
      valid ? h("p", { class: "hint cert-bright", id: "cert-brightness" }, t("cert.brightness_hint")) : null,
      factsSection(app, certificate, numberShown),
      h("div", { class: "actions cert-number-actions" }, toggle),
      usesSection(app, certificate),
      back,
    ].filter(Boolean));
  }

  async function refresh() {
    const mine = ++generation;
    try {
      const fresh = await authed(`/api/v1/certificates/${id}`);
      if (mine !== generation || gone) return;
      certificate = fresh;
      savedAt = new Date().toISOString();
      unreachable = false;
      problem = null;
      cacheCertificate(owner, fresh).catch(() => {});
    } catch (error) {
      if (mine !== generation || gone) return;
      if (isNetworkFailure(error)) unreachable = true;
      else if (error.status === 404) {
        certificate = null;  // not (or no longer) the citizen's: show nothing kept
        problem = error;
      } else problem = error;
    }
    draw();
  }

  const onOnline = () => refresh();
  const onOffline = () => draw();
  window.addEventListener("online", onOnline);
  window.addEventListener("offline", onOffline);

  const kept = await cachedCertificate(owner, id).catch(() => null);
  if (kept) {
    certificate = kept.certificate;
    savedAt = kept.saved_at;
  }
  draw();
  refresh();

  return () => {
    gone = true;
    screen.stop();
    window.removeEventListener("online", onOnline);
    window.removeEventListener("offline", onOffline);
  };
}
