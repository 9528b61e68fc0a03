// The offline check of an e-certificate's QR (电子证照核验), as docs/CERTIFICATES.md
// specifies: `CG1:` + Base45(zlib(COSE_Sign1)), an ES256 signature under a key of the
// public JWKS, and the issuer's signed status lists. DOM-free and dependency-free (WebCrypto
// and DecompressionStream only), so node --test runs it as the browser does. Loaded only by
// the verify screen.
//
// Everything that comes from a QR or the network is hostile until its signature holds: the
// decoders are strict (no trailing bytes, bounded lengths, depth and output sizes), and
// nothing the payload says is shown unless the signature over it holds. The order of the
// checks (shape, key, signature, dates, status) is the server's (backend/certificates), so
// a QR gets the same reason online and off.

export const PREFIX = "CG1:";
export const MAX_QR_CHARS = 2048;
/** An `iat` this far ahead of our clock is still accepted (phones' clocks drift). */
export const CLOCK_SKEW_S = 300;
export const REASONS = ["valid", "malformed", "oversize", "unknown_key", "bad_signature",
  "not_yet_valid", "expired", "revoked", "suspended"];

const COSE_SIGN1_TAG = 18;
const ALG_ES256 = -7;
const CLAIM_ISS = 1;
const CLAIM_EXP = 4;
const CLAIM_IAT = 6;
const CLAIM_CERTIFICATE = -65537;
// A 2,048-character QR is at most 1,365 bytes; its COSE inflated is a few hundred. Anything
// bigger is a decompression bomb, not a certificate.
const MAX_COSE_BYTES = 4096;
// A status list of 2^26 certificates is 8 MB of bits: far beyond any issuer we serve.
const MAX_STATUS_LIST_BYTES = 8 * 1024 * 1024;

class Malformed extends Error {}

// -- Base45 (RFC 9285) ------------------------------------------------------------------

const BASE45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
const BASE45_VALUE = new Map([...BASE45].map((c, i) => [c, i]));

/** The bytes of a Base45 text; throws on a character outside the set or a value too big. */
export function base45Decode(text) {
  const values = [...text].map((c) => {
    const value = BASE45_VALUE.get(c);
    if (value === undefined) throw new Malformed("base45: bad character");
    return value;
  });
  if (values.length % 3 === 1) throw new Malformed("base45: bad length");
  const out = new Uint8Array(Math.floor(values.length / 3) * 2 + (values.length % 3 === 2 ? 1 : 0));
  let o = 0;
  for (let i = 0; i < values.length; i += 3) {
    if (i + 2 < values.length) {
      const n = values[i] + values[i + 1] * 45 + values[i + 2] * 2025;
      if (n > 0xffff) throw new Malformed("base45: group too big");
      out[o++] = n >> 8;
      out[o++] = n & 0xff;
    } else {
      const n = values[i] + values[i + 1] * 45;
      if (n > 0xff) throw new Malformed("base45: group too big");
      out[o++] = n;
    }
  }
  return out;
}

// -- inflate ----------------------------------------------------------------------------

/**
 * `bytes` decompressed ("deflate" is zlib, RFC 1950; "gzip"), at most `maxBytes` of output.
 * Throws on a truncated or corrupt stream.
 */
export async function inflate(bytes, format, maxBytes) {
  const stream = new DecompressionStream(format);
  const writer = stream.writable.getWriter();
  // Errors surface on the reading side; these promises must not go unhandled.
  writer.write(bytes).catch(() => {});
  writer.close().catch(() => {});
  const reader = stream.readable.getReader();
  const chunks = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) throw new Malformed(`${format}: output too large`);
      chunks.push(value);
    }
  } catch (error) {
    reader.cancel().catch(() => {});
    throw error instanceof Malformed ? error : new Malformed(`${format}: ${error.message}`);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/**
 * zlib `bytes` inflated, refusing bytes after the stream's end as the server does. Some
 * DecompressionStreams (Node's) ignore such bytes; a stream that ends exactly at its last
 * byte fails without that byte (its Adler-32 is cut), so one that does not fail had more.
 */
async function inflateWhole(bytes, maxBytes) {
  const out = await inflate(bytes, "deflate", maxBytes);
  const shorter = await inflate(bytes.subarray(0, -1), "deflate", maxBytes).then(() => true, () => false);
  if (shorter) throw new Malformed("deflate: followed by more");
  return out;
}

// -- CBOR (RFC 8949), the strict subset a certificate needs -----------------------------

/** A CBOR tag and its content. */
export class CborTag {
  constructor(tag, value) {
    this.tag = tag;
    this.value = value;
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The one CBOR item in `bytes`: integers as numbers (beyond 2^53 throws), byte strings as
 * Uint8Array, text as strings, arrays, maps as Map (duplicate keys throw), tags as CborTag,
 * false/true/null/undefined and floats. Definite lengths only; throws on truncation,
 * trailing bytes, or nesting deeper than `maxDepth`.
 */
export function decodeCbor(bytes, { maxDepth = 16 } = {}) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;

  const need = (n) => {
    if (n > bytes.length - pos) throw new Malformed("cbor: truncated");
  };
  const argument = (info) => {
    if (info < 24) return info;
    if (info === 24) { need(1); return bytes[pos++]; }
    if (info === 25) { need(2); const v = view.getUint16(pos); pos += 2; return v; }
    if (info === 26) { need(4); const v = view.getUint32(pos); pos += 4; return v; }
    if (info === 27) {
      need(8);
      const v = view.getBigUint64(pos);
      pos += 8;
      if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Malformed("cbor: integer too large");
      return Number(v);
    }
    throw new Malformed("cbor: indefinite or reserved length");
  };
  const item = (depth) => {
    if (depth > maxDepth) throw new Malformed("cbor: too deep");
    need(1);
    const initial = bytes[pos++];
    const major = initial >> 5;
    const info = initial & 0x1f;
    if (major === 7) return simple(info);
    const n = argument(info);
    switch (major) {
      case 0: return n;
      case 1: return -1 - n;
      case 2: need(n); pos += n; return bytes.slice(pos - n, pos);
      case 3: {
        need(n);
        pos += n;
        try {
          return utf8.decode(bytes.subarray(pos - n, pos));
        } catch {
          throw new Malformed("cbor: bad UTF-8");
        }
      }
      case 4: {
        need(n);  // every item takes at least a byte: a huge count cannot be honest
        const array = [];
        for (let i = 0; i < n; i++) array.push(item(depth + 1));
        return array;
      }
      case 5: {
        need(n * 2);
        const map = new Map();
        for (let i = 0; i < n; i++) {
          const key = item(depth + 1);
          if (typeof key !== "number" && typeof key !== "string") throw new Malformed("cbor: map key type");
          if (map.has(key)) throw new Malformed("cbor: duplicate map key");
          map.set(key, item(depth + 1));
        }
        return map;
      }
      default: return new CborTag(n, item(depth + 1));  // major 6
    }
  };
  const simple = (info) => {
    if (info === 20) return false;
    if (info === 21) return true;
    if (info === 22) return null;
    if (info === 23) return undefined;
    if (info === 25) { need(2); const v = halfFloat(view.getUint16(pos)); pos += 2; return v; }
    if (info === 26) { need(4); const v = view.getFloat32(pos); pos += 4; return v; }
    if (info === 27) { need(8); const v = view.getFloat64(pos); pos += 8; return v; }
    throw new Malformed("cbor: unsupported simple value");
  };

  const value = item(0);
  if (pos !== bytes.length) throw new Malformed("cbor: trailing bytes");
  return value;
}

function halfFloat(bits) {
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  const sign = bits & 0x8000 ? -1 : 1;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** CBOR of non-negative and negative safe integers, text, byte strings, arrays and Maps. */
export function encodeCbor(value) {
  const out = [];
  const head = (major, n) => {
    if (n < 24) out.push((major << 5) | n);
    else if (n < 0x100) out.push((major << 5) | 24, n);
    else if (n < 0x10000) out.push((major << 5) | 25, n >> 8, n & 0xff);
    else if (n < 0x100000000) out.push((major << 5) | 26, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
    else throw new Error("cbor: integer too large to encode");
  };
  const put = (v) => {
    if (typeof v === "number" && Number.isInteger(v)) head(v < 0 ? 1 : 0, v < 0 ? -1 - v : v);
    else if (typeof v === "string") {
      const b = new TextEncoder().encode(v);
      head(3, b.length);
      out.push(...b);
    } else if (v instanceof Uint8Array) {
      head(2, v.length);
      for (const b of v) out.push(b);
    } else if (Array.isArray(v)) {
      head(4, v.length);
      v.forEach(put);
    } else if (v instanceof Map) {
      head(5, v.size);
      for (const [k, x] of v) { put(k); put(x); }
    } else throw new Error("cbor: cannot encode this value");
  };
  put(value);
  return Uint8Array.from(out);
}

// -- COSE_Sign1 (RFC 9052) --------------------------------------------------------------

/**
 * The parts of a COSE_Sign1 (tag 18): the protected header's bytes and map, the payload's
 * and signature's bytes, and the 8-byte kid. Throws Malformed on anything else, including
 * an algorithm other than ES256.
 */
export function parseCoseSign1(bytes) {
  const item = decodeCbor(bytes);
  if (!(item instanceof CborTag) || item.tag !== COSE_SIGN1_TAG) throw new Malformed("cose: not tag 18");
  const parts = item.value;
  if (!Array.isArray(parts) || parts.length !== 4) throw new Malformed("cose: not a 4-array");
  const [protectedBytes, , payload, signature] = parts;
  // The unprotected header is not looked at (nothing in it is signed), as on the server.
  if (!(protectedBytes instanceof Uint8Array) || !(payload instanceof Uint8Array)
      || !(signature instanceof Uint8Array) || signature.length !== 64) {
    throw new Malformed("cose: part types");
  }
  const header = decodeCbor(protectedBytes);
  if (!(header instanceof Map) || header.get(1) !== ALG_ES256) throw new Malformed("cose: alg");
  const kid = header.get(4);
  if (!(kid instanceof Uint8Array)) throw new Malformed("cose: kid");
  return { protectedBytes, header, payload, signature, kid };
}

/** The bytes COSE signs: the CBOR of ["Signature1", protected, h'', payload]. */
export function sigStructure(protectedBytes, payload) {
  return encodeCbor(["Signature1", protectedBytes, new Uint8Array(0), payload]);
}

// -- keys and signatures ------------------------------------------------------------------

export function base64urlDecode(text) {
  if (typeof text !== "string" || !/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) {
    throw new Malformed("base64url");
  }
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

export function base64urlEncode(bytes) {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The usable ES256 keys of a JWKS (the object or its `keys` array). */
function jwkList(keys) {
  const list = Array.isArray(keys) ? keys : keys?.keys;
  return (Array.isArray(list) ? list : []).filter((k) => k && k.kty === "EC" && k.crv === "P-256"
    && typeof k.x === "string" && typeof k.y === "string" && typeof k.kid === "string"
    && (k.alg === undefined || k.alg === "ES256") && (k.use === undefined || k.use === "sig"));
}

const imported = new Map();  // JSON of the public JWK → Promise<CryptoKey>

function importKey(jwk) {
  const publicJwk = { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y };
  const cacheKey = JSON.stringify(publicJwk);
  if (!imported.has(cacheKey)) {
    imported.set(cacheKey, crypto.subtle.importKey("jwk", publicJwk, { name: "ECDSA", namedCurve: "P-256" },
      false, ["verify"]).catch((error) => {
      imported.delete(cacheKey);
      throw error;
    }));
  }
  return imported.get(cacheKey);
}

/** Whether `signature` (r‖s, 64 bytes) is this key's ES256 signature of `data`; never throws. */
async function es256Verify(jwk, signature, data) {
  if (signature.length !== 64) return false;
  try {
    return await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, await importKey(jwk), signature, data);
  } catch {
    return false;  // a key that is not on the curve
  }
}

// -- status lists -------------------------------------------------------------------------

/**
 * A status-list token checked and read: `{ issuer, iat, exp, size, revocation, suspension,
 * kid }` (the bitstrings as Uint8Array), or null when it is not an ES256 `statuslist+jwt`
 * signed by a key of the JWKS belonging to the list's issuer, or its lists do not decode.
 */
export async function verifyStatusListToken(token, keys) {
  try {
    if (typeof token !== "string") return null;
    const parts = token.split(".");
    if (parts.length !== 3) return null;
    const header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(base64urlDecode(parts[0])));
    if (header?.alg !== "ES256" || header.typ !== "statuslist+jwt" || typeof header.kid !== "string") return null;
    const jwk = jwkList(keys).find((k) => k.kid === header.kid);
    if (!jwk) return null;
    const signed = new TextEncoder().encode(`${parts[0]}.${parts[1]}`);
    if (!(await es256Verify(jwk, base64urlDecode(parts[2]), signed))) return null;
    const claims = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(base64urlDecode(parts[1])));
    const { iss, iat, exp, size } = claims || {};
    if (typeof iss !== "string" || !Number.isSafeInteger(iat) || !Number.isSafeInteger(exp)
        || !Number.isSafeInteger(size) || size <= 0) return null;
    // One issuer's key must not speak for another issuer's certificates.
    if (jwk.iss !== undefined && jwk.iss !== iss) return null;
    const revocation = await decodeBitstring(claims.revocation, size);
    const suspension = await decodeBitstring(claims.suspension, size);
    return { issuer: iss, iat, exp, size, revocation, suspension, kid: header.kid };
  } catch {
    return null;
  }
}

async function decodeBitstring(encoded, size) {
  if (typeof encoded !== "string" || !encoded.startsWith("u")) throw new Malformed("multibase");
  const bits = await inflate(base64urlDecode(encoded.slice(1)), "gzip", MAX_STATUS_LIST_BYTES);
  if (bits.length * 8 < size) throw new Malformed("bitstring shorter than its size");
  return bits;
}

/**
 * The server's `{items: [{issuer, token}]}` checked against the JWKS: `{ [issuer]: list }`
 * of the lists whose signatures hold (a token that fails is left out).
 */
export async function verifyStatusLists(response, keys) {
  const lists = {};
  for (const entry of Array.isArray(response?.items) ? response.items : []) {
    const list = await verifyStatusListToken(entry?.token, keys);
    if (list && (entry.issuer === undefined || entry.issuer === list.issuer)) lists[list.issuer] = list;
  }
  return lists;
}

/** Bit `index` of a bitstring: bit 7 - index % 8 of byte index // 8 (left-most first). */
export function bitIsSet(bits, index) {
  const byte = bits[Math.floor(index / 8)];
  return byte !== undefined && ((byte >> (7 - (index % 8))) & 1) === 1;
}

const nowSeconds = (now) => Math.floor((now instanceof Date ? now.getTime() : now ?? Date.now()) / 1000);

/** Whether a list is past its `exp`: a verifier should have fetched a newer one. */
export function isListStale(list, now) {
  return !list || nowSeconds(now) > list.exp;
}

// -- the verdict --------------------------------------------------------------------------

/**
 * The verdict on a QR's text, offline: `{ valid, reason, certificate, listAge, listStale }`.
 * `keys` is the JWKS; `statusLists` what verifyStatusLists gave; `now` a Date or epoch ms.
 * `reason` is one of REASONS; `certificate` is null unless the signature holds; `listAge`
 * is the seconds since the issuer's status list was issued (null: no list for the issuer,
 * so revocation could not be checked, and `listStale` is true). Never throws.
 */
export async function verifyQr(text, { keys, statusLists = {}, now } = {}) {
  const verdict = (reason, certificate = null, list = null) => ({
    valid: reason === "valid", reason, certificate,
    listAge: list ? Math.max(0, nowSeconds(now) - list.iat) : null,
    listStale: certificate ? isListStale(list, now) : false,
  });
  try {
    if (typeof text !== "string") return verdict("malformed");
    if (text.length > MAX_QR_CHARS) return verdict("oversize");
    const cose = await decodeText(text.trim());  // as the server: Base45 never ends in a space
    const claims = readClaims(decodeCbor(cose.payload));  // its shape only: nothing is believed yet
    const jwk = jwkList(keys).find((k) => k.kid === base64urlEncode(cose.kid));
    if (!jwk) return verdict("unknown_key");
    if (!(await es256Verify(jwk, cose.signature, sigStructure(cose.protectedBytes, cose.payload)))) {
      return verdict("bad_signature");
    }
    if (jwk.iss !== undefined && jwk.iss !== claims.issuer) return verdict("bad_signature");
    const certificate = {
      type: claims.type, type_name: null, number: claims.number, holder_name: claims.holderName,
      issuer: claims.issuer, issuer_name: jwk.issuer_name ?? null,
      issued_at: new Date(claims.iat * 1000).toISOString(),
      expires_at: claims.exp === null ? null : new Date(claims.exp * 1000).toISOString(),
      kid: jwk.kid, status_index: claims.statusIndex, details_sha256: claims.digest,
    };
    const list = statusLists?.[claims.issuer] || null;
    const at = nowSeconds(now);
    if (claims.iat > at + CLOCK_SKEW_S) return verdict("not_yet_valid", certificate, list);
    if (claims.exp !== null && at >= claims.exp) return verdict("expired", certificate, list);
    // An index past the list's size is a certificate issued after this list: not in it.
    const listed = (bits) => list && claims.statusIndex < list.size && bitIsSet(bits, claims.statusIndex);
    if (listed(list?.revocation)) return verdict("revoked", certificate, list);
    if (listed(list?.suspension)) return verdict("suspended", certificate, list);
    return verdict("valid", certificate, list);
  } catch {
    return verdict("malformed");  // Malformed, or anything unforeseen: never "valid"
  }
}

/** The COSE_Sign1 parts inside a QR's text; throws Malformed. */
export async function decodeText(text) {
  if (!text.startsWith(PREFIX)) throw new Malformed("prefix");
  const packed = base45Decode(text.slice(PREFIX.length));
  if (packed.length === 0) throw new Malformed("empty");
  const bytes = packed[0] === 0xd2 ? packed : await inflateWhole(packed, MAX_COSE_BYTES);
  return parseCoseSign1(bytes);
}

function readClaims(payload) {
  if (!(payload instanceof Map)) throw new Malformed("claims: not a map");
  const iss = payload.get(CLAIM_ISS);
  const iat = payload.get(CLAIM_IAT);
  const exp = payload.has(CLAIM_EXP) ? payload.get(CLAIM_EXP) : null;
  const body = payload.get(CLAIM_CERTIFICATE);
  const isTime = (v) => Number.isSafeInteger(v) && v >= 0 && v < 2 ** 34;
  if (typeof iss !== "string" || !isTime(iat) || (exp !== null && !isTime(exp)) || !(body instanceof Map)) {
    throw new Malformed("claims");
  }
  const type = body.get("t");
  const number = body.get("n");
  const holderName = body.get("h");
  const digest = body.get("d");
  const statusIndex = body.get("s");
  const isText = (v) => typeof v === "string" && v.length > 0;
  if (!isText(type) || !isText(number) || !isText(holderName) || !(digest instanceof Uint8Array)
      || digest.length !== 32 || !Number.isSafeInteger(statusIndex) || statusIndex < 0 || statusIndex >= 2 ** 31) {
    throw new Malformed("certificate claims");
  }
  return { iss, issuer: iss, iat, exp, type, number, holderName, statusIndex,
    digest: [...digest].map((b) => b.toString(16).padStart(2, "0")).join("") };
}
