// Keeping what goes over the wire small, on a cheap data plan: gzip for large JSON bodies
// (a day's push), and the ladder of encodings a photo goes down until it fits its budget.
// Pure and DOM-free: the page, the service worker and node's tests all use it.

/** JSON shorter than this goes as it is: gzip's header and the work would not pay. */
export const GZIP_MIN_CHARS = 4 * 1024;

/**
 * What to send for a JSON text: `{body, headers}`, gzipped with `Content-Encoding: gzip`
 * where the browser has CompressionStream (Chrome 80, Safari 16.4, Firefox 113) and the
 * text is large, else the text itself. The server decodes it, and applies its byte limit
 * to the decoded size, so batches are still cut by the length of the JSON text.
 */
export async function jsonBody(text, minChars = GZIP_MIN_CHARS) {
  if (text.length < minChars || typeof CompressionStream !== "function") return { body: text, headers: {} };
  try {
    const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
    const body = new Uint8Array(await new Response(stream).arrayBuffer());
    return { body, headers: { "Content-Encoding": "gzip" } };
  } catch {
    return { body: text, headers: {} };
  }
}

// Photos. The budget: 150 KB a photo. A worker's day of 30 reports with 3 photos each must
// fit a 15 MB day on the wire with the records (~1.5 MB gzipped), which leaves
// ~150 KB a photo; and a report may carry nine photos (MAX_PHOTOS), 1.35 MB over a weak
// signal on a cheap plan. WebP keeps a 1600 px street scene under it at quality 0.75 where
// JPEG needs ~250 KB; JPEG (browsers without a WebP encoder) steps down further.
export const PHOTO_BUDGET_BYTES = 150 * 1024;
export const PHOTO_SIDES_PX = [1600, 1280];  // 1280 only when no quality fits at 1600
export const PHOTO_QUALITIES = [0.75, 0.65, 0.55, 0.5];
export const PHOTO_TYPE = "image/webp";
export const FALLBACK_TYPE = "image/jpeg";

/** The size a width × height picture is drawn at: longest side at most maxSide, never enlarged. */
export function fitSize(width, height, maxSide) {
  const scale = Math.min(1, maxSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/**
 * Encode a width × height picture within the budget: `encode(w, h, type, quality)` returns a
 * Blob. WebP first; a browser that cannot encode WebP hands back another type (Safari: PNG),
 * and then it is JPEG from there on. Each quality at 1600 px, then each at 1280 px; the
 * last try is kept even if it is still over. Resolves with `{blob, width, height, quality}`.
 */
export async function encodeWithin(encode, width, height, budget = PHOTO_BUDGET_BYTES) {
  let type = PHOTO_TYPE;
  let best = null;
  let previous = null;
  for (const side of PHOTO_SIDES_PX) {
    const size = fitSize(width, height, side);
    if (previous && size.width === previous.width) break;  // already small: the same again
    previous = size;
    for (const quality of PHOTO_QUALITIES) {
      let blob = await encode(size.width, size.height, type, quality);
      if (blob.type !== type) {
        type = FALLBACK_TYPE;
        blob = await encode(size.width, size.height, type, quality);
      }
      best = { blob, ...size, quality };
      if (blob.size <= budget) return best;
    }
  }
  return best;
}
