// 电子证照核验, for an official (and anyone: the page is public): scan a citizen's
// certificate QR with the camera, choose a picture of one, or paste its text, and see at
// once a large green "valid" or red "invalid" with who and what it is. It judges on the
// phone (app/certificate-check.js) with the issuers' keys and status lists kept from the
// last visit online (app/verifier-cache.js), so it works with no signal, and always says
// how old those lists are.
//
// The QR decoder: the browser's BarcodeDetector when it has one; otherwise jsQR (vendored,
// a UMD script loaded here only, on first use).
import { verifyQr } from "../app/certificate-check.js";
import { h } from "../app/ui/dom.js";
import { describe, loadVerifierData, refreshVerifierData } from "../app/verifier-cache.js";

const JSQR = "/lib/jsqr-1.4.0.js";
// Pictures are scaled down to this many pixels on the long side before decoding: a phone
// photo is 4,000 px wide, and a QR needs a few pixels per module, not forty.
const MAX_DECODE_SIDE = 1600;
const CAMERA_SCAN_MS = 150;

let loadingJsQR = null;

/** window.jsQR, loading the vendored script on first use. */
export function loadJsQR() {
  if (globalThis.jsQR) return Promise.resolve(globalThis.jsQR);
  loadingJsQR ??= new Promise((resolve, reject) => {
    const script = Object.assign(document.createElement("script"), { src: JSQR });
    script.onload = () => resolve(globalThis.jsQR);
    script.onerror = () => { loadingJsQR = null; reject(new Error("jsqr")); };
    document.head.append(script);
  });
  return loadingJsQR;
}

let detecting = null;

/** A BarcodeDetector for QR codes, or null where the browser has none (Chromium on Linux). */
function qrDetector() {
  detecting ??= (async () => {
    try {
      if (!("BarcodeDetector" in globalThis)) return null;
      const formats = await globalThis.BarcodeDetector.getSupportedFormats();
      return formats.includes("qr_code") ? new globalThis.BarcodeDetector({ formats: ["qr_code"] }) : null;
    } catch {
      return null;
    }
  })();
  return detecting;
}

/**
 * The text of the QR in `source` (an ImageBitmap, <img> or <video>, `width`×`height`), or
 * null. `thorough` also tries the image inverted (a picture; the camera tries again anyway).
 */
export async function decodeQrImage(source, width, height, canvas, { thorough = true } = {}) {
  const detector = await qrDetector();
  if (detector) {
    try {
      const codes = await detector.detect(source);
      if (codes.length) return codes[0].rawValue;
    } catch {
      // fall through to jsQR
    }
  }
  const jsQR = await loadJsQR();
  const scale = Math.min(1, MAX_DECODE_SIDE / Math.max(width, height));
  canvas.width = Math.max(1, Math.round(width * scale));
  canvas.height = Math.max(1, Math.round(height * scale));
  const context = canvas.getContext("2d", { willReadFrequently: true });
  context.drawImage(source, 0, 0, canvas.width, canvas.height);
  const image = context.getImageData(0, 0, canvas.width, canvas.height);
  const code = jsQR(image.data, image.width, image.height,
    { inversionAttempts: thorough ? "attemptBoth" : "dontInvert" });
  return code?.data || null;
}

async function decodeFile(file, canvas) {
  const bitmap = await createImageBitmap(file);
  try {
    return await decodeQrImage(bitmap, bitmap.width, bitmap.height, canvas);
  } finally {
    bitmap.close?.();
  }
}

/** Pasted text: leading white space and line breaks at the end go (a space may end Base45). */
export function cleanPastedText(text) {
  return text.replace(/^\s+/, "").replace(/[\r\n]+$/, "");
}

/** "3 分钟", "5 小时", "2 天": how long ago, roughly. */
export function ageWords(t, seconds) {
  const s = Math.max(0, seconds);
  if (s < 60) return t("verify.age_now");
  if (s < 3600) return t("verify.age_minutes", { n: Math.floor(s / 60) });
  if (s < 86400) return t("verify.age_hours", { n: Math.floor(s / 3600) });
  return t("verify.age_days", { n: Math.floor(s / 86400) });
}

const dateTime = (iso, lang) => new Intl.DateTimeFormat(lang, { year: "numeric", month: "numeric", day: "numeric",
  hour: "2-digit", minute: "2-digit" }).format(new Date(iso));
const dateOnly = (iso, lang) => new Intl.DateTimeFormat(lang, { year: "numeric", month: "numeric", day: "numeric" })
  .format(new Date(iso));

/** The certificate type's name: from the names the server published with its lists (kept
 * offline), else the catalogue, else its code (the QR carries only the code). */
export function typeName(t, code, types = [], lang = "zh-CN") {
  const known = types.find((type) => type.code === code);
  if (known) return (!lang.startsWith("zh") && known.name_en) || known.name;
  const key = `verify.type.${code}`;
  const name = t(key);
  return name === key ? code : name;
}

/** The green or red panel of a verdict. */
export function resultPanel(t, lang, result, now = Date.now(), types = []) {
  const c = result.certificate;
  const fact = (id, label, value) => [h("dt", {}, t(label)), h("dd", { id }, value)];
  let caveat = null;
  if (c && result.listStale) {
    caveat = h("p", { class: "verify-caveat", id: "verify-caveat" }, result.listAge === null
      ? t("verify.caveat_no_list")
      : t("verify.caveat_stale", { age: ageWords(t, result.listAge) }));
  }
  return h("section", { class: `verify-result ${result.valid ? "ok" : "bad"}`, id: "verify-result",
    dataset: { valid: String(result.valid), reason: result.reason } },
  h("p", { class: "verify-verdict", id: "verify-verdict" }, result.valid ? `✓ ${t("verify.valid")}` : `✗ ${t("verify.invalid")}`),
  h("p", { class: "verify-reason", id: "verify-reason" }, t(`verify.reason.${result.reason}`)),
  c ? h("dl", { class: "verify-facts" },
    fact("verify-holder", "verify.holder", c.holder_name),
    fact("verify-type", "verify.type", typeName(t, c.type, types, lang)),
    fact("verify-number", "verify.number", c.number),
    fact("verify-issuer", "verify.issuer", c.issuer_name || c.issuer),
    fact("verify-expires", "verify.expires", c.expires_at ? dateOnly(c.expires_at, lang) : t("verify.never_expires")))
    : null,
  caveat,
  h("p", { class: "verify-checked-at" }, t("verify.checked_at", { time: dateTime(new Date(now).toISOString(), lang) })));
}

/** "名单更新于 …" and its warning: never fetched, or a list past its exp. */
export function freshnessLines(t, lang, data, now = Date.now()) {
  if (data.never) {
    return [h("p", { class: "verify-warning", id: "verify-freshness", dataset: { state: "never" } }, t("verify.never_fetched"))];
  }
  const age = ageWords(t, (now - Date.parse(data.listsFetchedAt)) / 1000);
  const lines = [h("p", { id: "verify-freshness", dataset: { state: data.stale ? "stale" : "fresh" } },
    t("verify.lists_fetched", { time: dateTime(data.listsFetchedAt, lang), age }))];
  if (data.stale) lines.push(h("p", { class: "verify-warning", id: "verify-stale" }, t("verify.lists_stale")));
  return lines;
}

export async function mount(root, _params, app) {
  const { t } = app;
  const lang = app.language();
  let data = await loadVerifierData().catch(() => describe({ jwks: null, statusLists: {} }));
  let lastText = null;
  let stopCamera = null;
  let refreshing = null;
  let unmounted = false;
  const canvas = document.createElement("canvas");

  const resultBox = h("div", { id: "verify-result-box", "aria-live": "assertive" });
  const message = h("p", { class: "error", id: "verify-message", "aria-live": "polite" });
  const freshness = h("div", { class: "verify-freshness" });
  const refreshStatus = h("p", { class: "hint", id: "verify-refresh-status", "aria-live": "polite" });
  const refreshButton = h("button", { type: "button", class: "secondary", id: "verify-refresh" }, t("verify.refresh"));

  const drawFreshness = () => {
    // "3 分钟前" and whether a list has passed its exp move on while the page stays open.
    data = describe({ jwks: data.keys, statusLists: data.statusLists, keysFetchedAt: data.keysFetchedAt,
      listsFetchedAt: data.listsFetchedAt, types: data.types });
    refreshButton.hidden = !navigator.onLine;
    freshness.replaceChildren(...freshnessLines(t, lang, data), refreshButton, refreshStatus);
  };

  let checks = 0;
  const check = async (text) => {
    const mine = ++checks;  // a slower earlier check must not paint over this one
    message.textContent = "";
    lastText = text;
    const now = Date.now();
    const result = await verifyQr(text, { keys: data.keys, statusLists: data.statusLists, now });
    if (mine !== checks) return;
    resultBox.replaceChildren(resultPanel(t, lang, result, now, data.types));
    resultBox.scrollIntoView?.({ block: "start", behavior: "smooth" });
  };

  const refresh = () => {
    refreshing ??= (async () => {
      refreshButton.disabled = true;
      refreshStatus.textContent = t("verify.refreshing");
      try {
        data = await refreshVerifierData();
        refreshStatus.textContent = t("verify.refreshed");
        if (lastText) await check(lastText);  // the verdict shown follows the new lists
      } catch {
        refreshStatus.textContent = t("verify.refresh_failed");
      } finally {
        refreshButton.disabled = false;
        refreshing = null;
        drawFreshness();
      }
    })();
    return refreshing;
  };
  refreshButton.addEventListener("click", refresh);

  // -- camera ----------------------------------------------------------------------------
  const video = h("video", { id: "verify-video", playsinline: true, muted: true, "aria-label": t("verify.camera_view") });
  video.muted = true;  // the property, not only the attribute, lets play() start without a tap
  const stopButton = h("button", { type: "button", class: "secondary", id: "verify-stop" }, t("verify.stop"));
  const cameraBox = h("div", { class: "verify-camera", id: "verify-camera", hidden: true }, video, stopButton);
  const scanButton = h("button", { type: "button", class: "primary verify-scan", id: "verify-scan" }, t("verify.scan"));

  const startCamera = async () => {
    message.textContent = "";
    if (!navigator.mediaDevices?.getUserMedia) {
      message.textContent = t("verify.camera_unavailable");
      return;
    }
    let stream;
    scanButton.disabled = true;  // one camera at a time, while the browser asks for it
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    } catch {
      message.textContent = t("verify.camera_unavailable");
      return;
    } finally {
      scanButton.disabled = false;
    }
    if (unmounted) {  // the user left while the browser asked
      for (const track of stream.getTracks()) track.stop();
      return;
    }
    let timer = null;
    let stopped = false;
    stopCamera = () => {
      stopped = true;
      clearTimeout(timer);
      for (const track of stream.getTracks()) track.stop();
      video.srcObject = null;
      cameraBox.hidden = true;
      scanButton.hidden = false;
      stopCamera = null;
    };
    video.srcObject = stream;
    cameraBox.hidden = false;
    scanButton.hidden = true;
    await video.play().catch(() => {});
    const scan = async () => {
      if (stopped) return;
      let text = null;
      if (video.readyState >= 2 && video.videoWidth) {
        text = await decodeQrImage(video, video.videoWidth, video.videoHeight, canvas, { thorough: false })
          .catch(() => null);
      }
      if (stopped) return;
      if (text) {
        stopCamera();
        navigator.vibrate?.(80);
        await check(text);
      } else {
        timer = setTimeout(scan, CAMERA_SCAN_MS);
      }
    };
    scan();
  };
  scanButton.addEventListener("click", startCamera);
  stopButton.addEventListener("click", () => stopCamera?.());

  // -- a picture ---------------------------------------------------------------------------
  const fileInput = h("input", { type: "file", id: "verify-file", class: "sr-only photo-input", accept: "image/*" });
  fileInput.addEventListener("change", async () => {
    const file = fileInput.files?.[0];
    fileInput.value = "";
    if (!file) return;
    message.textContent = t("verify.reading_picture");
    let text = null;
    try {
      text = await decodeFile(file, canvas);
    } catch {
      text = null;
    }
    if (text) await check(text);
    else {
      resultBox.replaceChildren();
      message.textContent = t("verify.no_qr_found");
    }
  });

  // -- pasted text ---------------------------------------------------------------------------
  const textarea = h("textarea", { id: "verify-text", rows: 3, autocomplete: "off", spellcheck: "false",
    autocapitalize: "characters" });
  const checkButton = h("button", { type: "button", class: "secondary", id: "verify-check" }, t("verify.check"));
  checkButton.addEventListener("click", () => {
    const text = cleanPastedText(textarea.value);
    if (text) check(text);
  });

  const onlineChanged = () => {
    drawFreshness();
    if (navigator.onLine) refresh();
  };
  window.addEventListener("online", onlineChanged);
  window.addEventListener("offline", onlineChanged);
  // A phone put in a pocket does not keep filming.
  const onVisibility = () => { if (document.hidden) stopCamera?.(); };
  document.addEventListener("visibilitychange", onVisibility);

  drawFreshness();
  const clock = setInterval(drawFreshness, 60_000);
  root.append(h("section", { id: "verify" },
    h("h1", {}, t("verify.title")),
    h("p", { class: "hint" }, t("verify.intro")),
    scanButton, cameraBox,
    h("div", { class: "verify-picture" }, fileInput,
      h("label", { for: "verify-file", class: "button secondary" }, t("verify.choose_picture"))),
    message,
    resultBox,
    h("details", { class: "verify-paste" },
      h("summary", {}, t("verify.paste_summary")),
      h("label", { for: "verify-text" }, t("verify.paste_label")), textarea, checkButton),
    freshness));
  if (navigator.onLine) refresh();

  return () => {
    unmounted = true;
    clearInterval(clock);
    stopCamera?.();
    window.removeEventListener("online", onlineChanged);
    window.removeEventListener("offline", onlineChanged);
    document.removeEventListener("visibilitychange", onVisibility);
  };
}
