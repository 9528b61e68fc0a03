// A certificate's QR code, drawn on a <canvas>: black on white, a 4-module quiet zone, as
// wide as the phone. The text ("CG1:" + Base45) is all in the QR alphanumeric set, which
// packs 5.5 bits a character where byte mode takes 8: that is what keeps a certificate at
// version ≤ 15 (error correction M), readable at arm's length (docs/CERTIFICATES.md).
import qrcode from "../../lib/qrcode-generator-2.0.4.js";

export const QUIET_MODULES = 4;
export const ERROR_CORRECTION = "M";
// The QR alphanumeric set; anything else would need byte mode (a much larger code).
const ALPHANUMERIC = /^[0-9A-Z $%*+\-./:]*$/;

/** The QR symbol for this text: { version, size (modules), isDark(row, col) }. */
export function qrSymbol(text) {
  const mode = ALPHANUMERIC.test(text) ? "Alphanumeric" : "Byte";
  const code = qrcode(0, ERROR_CORRECTION);  // 0: the smallest version the text fits
  code.addData(text, mode);
  code.make();
  const size = code.getModuleCount();
  return { version: (size - 17) / 4, size, mode, isDark: (row, col) => code.isDark(row, col) };
}

/** The version (1–40) the text is drawn at. */
export function qrVersion(text) {
  return qrSymbol(text).version;
}

/** The version of a drawn code (the element qrCode returned). */
export function drawnVersion(element) {
  return Number(element.dataset.version);
}

// Whole device pixels per module, so every module has sharp edges, and the canvas at least
// as many device pixels as the screen is wide (CSS then scales it to the width).
function pixelsPerModule(modules, cssWidth = 600) {
  const ratio = globalThis.devicePixelRatio || 1;
  return Math.max(4, Math.ceil((cssWidth * ratio) / modules));
}

/**
 * A <canvas> with the code, labelled for screen readers; `dimmed` greys it (a certificate
 * that is no longer valid: shown, but plainly not for use).
 */
export function qrCode(text, { label = "", dimmed = false, id } = {}) {
  const symbol = qrSymbol(text);
  const modules = symbol.size + 2 * QUIET_MODULES;
  const scale = pixelsPerModule(modules, Math.min(globalThis.screen?.width || 600, 800));
  const canvas = document.createElement("canvas");
  canvas.width = modules * scale;
  canvas.height = modules * scale;
  canvas.className = dimmed ? "qr-code dimmed" : "qr-code";
  if (id) canvas.id = id;
  canvas.dataset.version = String(symbol.version);
  canvas.dataset.modules = String(symbol.size);
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", label);
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = "#000";
  for (let row = 0; row < symbol.size; row += 1) {
    for (let col = 0; col < symbol.size; col += 1) {
      if (symbol.isDark(row, col)) {
        ctx.fillRect((col + QUIET_MODULES) * scale, (row + QUIET_MODULES) * scale, scale, scale);
      }
    }
  }
  return canvas;
}
