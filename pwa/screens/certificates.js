// 电子证照, the wallet: the citizen's certificates as cards (type, number masked in the
// middle, holder, issuer, expiry, and a status that is said in words as well as colour).
// Online it reads GET /api/v1/certificates and keeps the list on the phone; with no signal
// it shows the list kept ("离线 · HH:MM 更新"), so a certificate can be shown anywhere.
// The small helpers here are shared with the certificate and request screens.
import { authed } from "../app/api.js";
import { cachedCertificates, cacheCertificates } from "../app/certificate-cache.js";
import { errorMessage } from "../app/i18n.js";
import { h } from "../app/ui/dom.js";
import { isNetworkFailure } from "../app/ui/offline-notice.js";

// A list older than this may no longer say the truth (a certificate revoked since): say so.
export const STALE_AFTER_MS = 24 * 60 * 60 * 1000;
export const STATUSES = ["valid", "expired", "revoked", "suspended"];

/**
 * The number with its middle hidden, its length kept: 4 characters each end from 12 on
 * (371302199001011234 → 3713**********1234), fewer for a short number, never all of it.
 */
export function maskNumber(number) {
  const text = String(number ?? "");
  const n = text.length;
  const shown = n >= 12 ? 4 : n >= 6 ? 2 : n >= 3 ? 1 : 0;
  if (!shown) return "*".repeat(n);
  return text.slice(0, shown) + "*".repeat(n - 2 * shown) + text.slice(n - shown);
}

/**
 * The status to show: the server's, except that a certificate read as valid whose expiry
 * has passed since (a list kept offline) is expired now.
 */
export function certificateStatus(certificate, now = Date.now()) {
  const status = STATUSES.includes(certificate?.status) ? certificate.status : "valid";
  if (status === "valid" && certificate.expires_at && Date.parse(certificate.expires_at) <= now) return "expired";
  return status;
}

export const isUsable = (certificate, now = Date.now()) => certificateStatus(certificate, now) === "valid";

/** 有效 / 已过期 / 已吊销 / 已暂停使用. */
export function statusText(t, status) {
  return t(`cert.status.${STATUSES.includes(status) ? status : "valid"}`);
}

/** Whether a copy read at `savedAt` is too old to trust its statuses without saying so. */
export function isStale(savedAt, now = Date.now()) {
  if (!savedAt) return true;
  return now - Date.parse(savedAt) > STALE_AFTER_MS;
}

/** When a copy was read: the time today, the date and time before. */
export function savedWhen(savedAt, lang, now = new Date()) {
  const date = new Date(savedAt);
  const sameDay = date.toDateString() === now.toDateString();
  return new Intl.DateTimeFormat(lang, sameDay
    ? { hour: "2-digit", minute: "2-digit", hour12: false }
    : { month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit", hour12: false }).format(date);
}

/** "离线 · 09:41 更新" (or "离线" with no copy's time). */
export function offlineWords(t, savedAt, lang, now = new Date()) {
  return savedAt ? t("cert.offline_as_of", { time: savedWhen(savedAt, lang, now) }) : t("cert.offline");
}

const english = (lang) => String(lang).toLowerCase().startsWith("en");

/** The type's name in the reader's language (Chinese when there is no English one). */
export function typeName(item, lang) {
  return (english(lang) && item?.type_name_en) || item?.type_name || item?.type || "";
}

export function fieldLabel(field, lang) {
  return (english(lang) && field.label_en) || field.label || field.key;
}

export function formatDate(iso, lang) {
  return new Intl.DateTimeFormat(lang, { year: "numeric", month: "long", day: "numeric" }).format(new Date(iso));
}

export function formatDateTime(iso, lang) {
  return new Intl.DateTimeFormat(lang, { year: "numeric", month: "numeric", day: "numeric",
    hour: "2-digit", minute: "2-digit", hour12: false }).format(new Date(iso));
}

/** 有效期至 2030年1月1日, or 长期有效. */
export function expiryWords(t, certificate, lang) {
  return certificate.expires_at
    ? t("cert.expires_on", { date: formatDate(certificate.expires_at, lang) })
    : t("cert.never_expires");
}

/** The status as a chip: colour and words (colour is never the only cue). */
export function certificateStatusChip(t, status, id) {
  return h("span", { class: "status-chip cert-status", id, dataset: { status } }, statusText(t, status));
}

function certificateCard(app, certificate) {
  const { t } = app;
  const lang = app.language();
  const status = certificateStatus(certificate);
  return h("li", { class: "cert-card-item" },
    h("a", { class: "cert-card", href: `#/certificates/${certificate.id}`, id: `cert-${certificate.id}`,
      dataset: { status, type: certificate.type } },
    h("span", { class: "cert-card-head" },
      h("span", { class: "cert-type" }, typeName(certificate, lang)),
      certificateStatusChip(t, status)),
    h("span", { class: "cert-number", "aria-label": t("cert.number_masked_label") }, maskNumber(certificate.number)),
    h("span", { class: "cert-holder" }, certificate.holder_name),
    h("span", { class: "cert-meta" }, certificate.issuer_name),
    h("span", { class: "cert-meta cert-expiry" }, expiryWords(t, certificate, lang))));
}

/** The offline line and, for an old copy, the warning that a status may have changed. */
export function offlineLines(app, { offline, savedAt, id }) {
  const { t } = app;
  return [
    offline ? h("p", { class: "notice warn", id: `${id}-offline`, role: "status" }, offlineWords(t, savedAt, app.language())) : null,
    offline && isStale(savedAt) ? h("p", { class: "hint", id: `${id}-stale` }, t("cert.stale")) : null,
  ];
}

export async function mount(root, _params, app) {
  const { t } = app;
  const owner = app.owner();
  let items = null;
  let savedAt = null;
  let unreachable = false;
  let problem = null;
  let gone = false;
  let generation = 0;
  const offline = () => unreachable || !navigator.onLine;

  const body = h("div", { id: "certificates-body" });
  root.append(h("section", { id: "certificates", class: "narrow" },
    h("h1", {}, t("cert.title")), body));

  function draw() {
    if (gone) return;
    const content = [];
    if (items) content.push(...offlineLines(app, { offline: offline(), savedAt, id: "certificates" }));
    if (items && problem) content.push(h("p", { class: "error", role: "alert", id: "certificates-problem" }, errorMessage(problem)));
    if (!items) {
      content.push(problem
        ? h("p", { class: "error", role: "alert", id: "certificates-problem" }, errorMessage(problem))
        : h("p", { class: "loading", id: "certificates-loading" }, offline() ? t("cert.offline_no_copy") : t("cert.loading")));
    } else if (!items.length) {
      content.push(h("p", { class: "hint", id: "certificates-none" }, t("cert.none")));
    } else {
      content.push(h("ul", { class: "cert-list", id: "certificate-list" }, items.map((c) => certificateCard(app, c))));
      content.push(h("p", { class: "hint" }, t("cert.list_hint")));
    }
    content.push(h("div", { class: "actions" }, h("a", { class: "button secondary", href: "#/" }, t("cert.home"))));
    body.replaceChildren(...content.filter(Boolean));
  }

  async function refresh() {
    const mine = ++generation;
    try {
      const result = await authed("/api/v1/certificates");
      if (mine !== generation || gone) return;
      items = result.items;
      savedAt = new Date().toISOString();
      unreachable = false;
      problem = null;
      cacheCertificates(owner, items).catch(() => {});
    } catch (error) {
      if (mine !== generation || gone) return;
      if (isNetworkFailure(error)) unreachable = true;
      else problem = error;
    }
    draw();
  }

  const onOnline = () => refresh();
  const onOffline = () => draw();
  window.addEventListener("online", onOnline);
  window.addEventListener("offline", onOffline);

  const kept = await cachedCertificates(owner).catch(() => null);
  if (kept) {
    items = kept.items;
    savedAt = kept.saved_at;
  }
  draw();
  refresh();  // not awaited: the router gets the unmount at once, however slow the link

  return () => {
    gone = true;
    window.removeEventListener("online", onOnline);
    window.removeEventListener("offline", onOffline);
  };
}
