// Photos for reports: shrunk on the phone before they are kept, so that a weak signal only
// has to carry ~150 KB each (the budget and why: shrink.js), and shown again from the phone
// or from the server's thumbnail. Re-encoding through a canvas also drops EXIF (camera, GPS)
// and every other metadata block; what we keep of time and place goes into the `photos`
// record instead.
import { authed } from "./api.js";
import { encodeWithin } from "./shrink.js";
import * as store from "./store.js";

export const MAX_PHOTOS = 9;  // the server's limit per report (ReportFields.photos)

async function encode(bitmap, width, height, type, quality) {
  if (typeof OffscreenCanvas !== "undefined") {
    const canvas = new OffscreenCanvas(width, height);
    draw(canvas.getContext("2d"), bitmap, width, height);
    return canvas.convertToBlob({ type, quality });
  }
  const canvas = Object.assign(document.createElement("canvas"), { width, height });
  draw(canvas.getContext("2d"), bitmap, width, height);
  return new Promise((resolve, reject) => canvas.toBlob(
    (blob) => (blob ? resolve(blob) : reject(new Error("encode failed"))), type, quality));
}

function draw(context, bitmap, width, height) {
  context.imageSmoothingQuality = "high";
  context.drawImage(bitmap, 0, 0, width, height);
}

export async function sha256Hex(blob) {
  const digest = await crypto.subtle.digest("SHA-256", await blob.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * A picked or taken photo, ready to keep: upright (EXIF orientation applied), at most
 * 1600 px on its longest side (1280 px if no quality fits the budget there), WebP where the
 * browser can encode it and JPEG elsewhere, without metadata, named by its SHA-256.
 * Throws when the browser cannot decode the file (e.g. HEIC on some phones).
 */
export async function shrinkPhoto(file) {
  const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  try {
    const { blob, width, height } = await encodeWithin(
      (w, h, type, quality) => encode(bitmap, w, h, type, quality), bitmap.width, bitmap.height);
    return { blob, sha256: await sha256Hex(blob), width, height,
      taken_at: new Date(file.lastModified || Date.now()).toISOString() };
  } finally {
    bitmap.close();
  }
}

/**
 * Where to show one of a report's photos: `{url}` (an object URL the caller revokes) from
 * the phone's own copy or else the server's thumbnail; `{state: "pending"}` while the bytes
 * are on no one's side yet, `{state: "unavailable"}` when offline or refused.
 */
export async function photoSource(owner, sha256, record, { caseId } = {}) {
  const local = await store.getBlob(owner, sha256);
  if (local) return { url: URL.createObjectURL(local.blob) };
  if (record && !record.has_blob) return { state: "pending" };
  try {
    // Shown with a case: whoever may see the case may see the photos it names.
    const query = caseId ? `?case_id=${encodeURIComponent(caseId)}` : "";
    const response = await authed(`/api/v1/blobs/${sha256}/thumbnail${query}`, { raw: true });
    if (response.ok) return { url: URL.createObjectURL(await response.blob()) };
    // No record on this phone and none of the bytes on the server: they are still coming.
    return { state: response.status === 404 && !record ? "pending" : "unavailable" };
  } catch {
    return { state: "unavailable" };  // offline, or the session needs a new sign-in
  }
}

/**
 * Send a shrunk photo's bytes now (an "after" photo taken in the console, online): PUT is
 * idempotent by hash, so a retry or a photo the server already has costs nothing more.
 */
export async function uploadPhoto({ blob, sha256 }) {
  await authed(`/api/v1/blobs/${sha256}`, { method: "PUT", body: blob,
    headers: { "Content-Type": blob.type || "application/octet-stream" } });
  return sha256;
}
