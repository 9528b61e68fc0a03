// Keeping the wire small: gzip for large JSON bodies, the photo encoding ladder.
import assert from "node:assert/strict";
import { test } from "node:test";
import { gunzipSync } from "node:zlib";

import {
  GZIP_MIN_CHARS, PHOTO_BUDGET_BYTES, encodeWithin, fitSize, jsonBody,
} from "../../pwa/app/shrink.js";

const bytesOf = async (body) => Buffer.from(body instanceof Uint8Array ? body : await new Blob([body]).arrayBuffer());

test("a large JSON body goes gzipped and decodes to the same text", async () => {
  const text = JSON.stringify({ mutations: Array.from({ length: 200 }, (_, mid) => ({ mid, description: "路面坑洼" })) });
  const { body, headers } = await jsonBody(text);
  assert.deepEqual(headers, { "Content-Encoding": "gzip" });
  assert.ok(body instanceof Uint8Array && body.length < text.length / 4);
  assert.equal(gunzipSync(await bytesOf(body)).toString("utf8"), text);
});

test("a small JSON body goes as it is", async () => {
  const text = JSON.stringify({ a: "x".repeat(GZIP_MIN_CHARS - 20) });
  assert.deepEqual(await jsonBody(text), { body: text, headers: {} });
});

test("without CompressionStream the body goes plain", async () => {
  const saved = globalThis.CompressionStream;
  try {
    delete globalThis.CompressionStream;
    const text = "x".repeat(GZIP_MIN_CHARS * 2);
    assert.deepEqual(await jsonBody(text), { body: text, headers: {} });
  } finally {
    globalThis.CompressionStream = saved;
  }
});

test("fitSize keeps the aspect, caps the longest side and never enlarges", () => {
  assert.deepEqual(fitSize(4000, 3000, 1600), { width: 1600, height: 1200 });
  assert.deepEqual(fitSize(3000, 2000, 1600), { width: 1600, height: 1067 });
  assert.deepEqual(fitSize(2000, 3000, 1280), { width: 853, height: 1280 });
  assert.deepEqual(fitSize(800, 600, 1600), { width: 800, height: 600 });
});

// A fake canvas: sizes grow with pixels and quality; `types` says what it can encode.
function fakeEncoder({ types = ["image/webp", "image/jpeg"], bytesPerPixel = 0.1 } = {}) {
  const calls = [];
  const encode = async (width, height, type, quality) => {
    calls.push([width, type, quality]);
    const made = types.includes(type) ? type : "image/png";
    const factor = made === "image/jpeg" ? 1.6 : made === "image/png" ? 4 : 1;
    return { type: made, size: Math.round(width * height * bytesPerPixel * quality * factor) };
  };
  return { encode, calls };
}

test("WebP at 0.75 and 1600 px when it fits the budget", async () => {
  const { encode, calls } = fakeEncoder({ bytesPerPixel: 0.1 });
  const result = await encodeWithin(encode, 4000, 3000);
  assert.deepEqual(calls, [[1600, "image/webp", 0.75]]);
  assert.equal(result.blob.type, "image/webp");
  assert.ok(result.blob.size <= PHOTO_BUDGET_BYTES);
  assert.deepEqual([result.width, result.height, result.quality], [1600, 1200, 0.75]);
});

test("quality steps down before the size does", async () => {
  const { encode, calls } = fakeEncoder({ bytesPerPixel: 0.14 });  // fits at 0.55 (147 KB)
  const result = await encodeWithin(encode, 4000, 3000);
  assert.deepEqual(calls.map((c) => c[2]), [0.75, 0.65, 0.55]);
  assert.deepEqual([result.width, result.quality], [1600, 0.55]);
});

test("1280 px only when no quality fits at 1600, and the last try is kept if still over", async () => {
  const { encode, calls } = fakeEncoder({ bytesPerPixel: 0.5 });
  const result = await encodeWithin(encode, 4000, 3000);
  assert.deepEqual(calls.map((c) => c[0]), [1600, 1600, 1600, 1600, 1280, 1280, 1280, 1280]);
  assert.deepEqual([result.width, result.height, result.quality], [1280, 960, 0.5]);
  assert.ok(result.blob.size > PHOTO_BUDGET_BYTES);
});

test("a browser without a WebP encoder (Safari gives PNG) gets JPEG from then on", async () => {
  const { encode, calls } = fakeEncoder({ types: ["image/jpeg"], bytesPerPixel: 0.07 });
  const result = await encodeWithin(encode, 4000, 3000);
  assert.equal(result.blob.type, "image/jpeg");
  assert.deepEqual(calls, [[1600, "image/webp", 0.75], [1600, "image/jpeg", 0.75],
    [1600, "image/jpeg", 0.65]]);
});

test("a picture already under 1280 px is not encoded twice at the same size", async () => {
  const { encode, calls } = fakeEncoder({ bytesPerPixel: 5 });
  const result = await encodeWithin(encode, 1000, 800);
  assert.equal(calls.length, 4);
  assert.deepEqual([result.width, result.height, result.quality], [1000, 800, 0.5]);
});
