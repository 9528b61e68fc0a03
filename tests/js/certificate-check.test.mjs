// The offline certificate check against real vectors: a P-256 key made here, claims
// CBOR-encoded here (an encoder independent of the module's), signed with node's crypto,
// zlib-compressed and Base45-encoded as docs/CERTIFICATES.md says.
import assert from "node:assert/strict";
import { generateKeyPairSync, sign } from "node:crypto";
import { test } from "node:test";
import { deflateSync, gzipSync } from "node:zlib";

import {
  base45Decode, bitIsSet, decodeCbor, inflate, isListStale, verifyQr, verifyStatusLists, verifyStatusListToken,
} from "../../pwa/app/certificate-check.js";
import { describe, newestTokens } from "../../pwa/app/verifier-cache.js";
import { ageWords, cleanPastedText, typeName } from "../../pwa/screens/verify.js";

// -- builders ------------------------------------------------------------------------------

function cbor(value) {
  const head = (major, n) => {
    if (n < 24) return Buffer.from([(major << 5) | n]);
    if (n < 0x100) return Buffer.from([(major << 5) | 24, n]);
    if (n < 0x10000) { const b = Buffer.alloc(3); b[0] = (major << 5) | 25; b.writeUInt16BE(n, 1); return b; }
    const b = Buffer.alloc(5);
    b[0] = (major << 5) | 26;
    b.writeUInt32BE(n, 1);
    return b;
  };
  if (typeof value === "number") return value < 0 ? head(1, -1 - value) : head(0, value);
  if (typeof value === "string") { const b = Buffer.from(value, "utf8"); return Buffer.concat([head(3, b.length), b]); }
  if (Buffer.isBuffer(value)) return Buffer.concat([head(2, value.length), value]);
  if (Array.isArray(value)) return Buffer.concat([head(4, value.length), ...value.map(cbor)]);
  if (value instanceof Map) {
    return Buffer.concat([head(5, value.size), ...[...value].flatMap(([k, v]) => [cbor(k), cbor(v)])]);
  }
  if (value && value.tag !== undefined) return Buffer.concat([head(6, value.tag), cbor(value.value)]);
  throw new Error(`cannot encode ${value}`);
}

const B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
function base45(bytes) {
  let out = "";
  for (let i = 0; i < bytes.length; i += 2) {
    if (i + 1 < bytes.length) {
      let n = bytes[i] * 256 + bytes[i + 1];
      for (let k = 0; k < 3; k++) { out += B45[n % 45]; n = Math.floor(n / 45); }
    } else {
      let n = bytes[i];
      for (let k = 0; k < 2; k++) { out += B45[n % 45]; n = Math.floor(n / 45); }
    }
  }
  return out;
}

const b64url = (bytes) => Buffer.from(bytes).toString("base64url");

function issuerKey({ iss = "LYGA", kidBytes = Buffer.from("0123456789abcdef", "hex") } = {}) {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const jwk = { ...publicKey.export({ format: "jwk" }), kid: b64url(kidBytes), alg: "ES256", use: "sig",
    iss, issuer_name: "临沂市公安局", status: "current" };
  return { privateKey, jwk, kidBytes };
}

const NOW_S = 1_800_000_000;
const NOW = NOW_S * 1000;

function claims({ iss = "LYGA", iat = NOW_S - 3600, exp = NOW_S + 86400 * 365, index = 7, holder = "张三" } = {}) {
  const map = new Map([[1, iss], [6, iat]]);
  if (exp !== null) map.set(4, exp);
  map.set(-65537, new Map([["t", "ID"], ["n", "371302199001011234"], ["h", holder],
    ["d", Buffer.alloc(32, 0xab)], ["s", index]]));
  return map;
}

/** The COSE_Sign1 bytes of these claims signed by `key` (the key's kid unless `kidBytes`). */
function coseSign1(key, claimMap, { kidBytes = key.kidBytes, tamper } = {}) {
  const protectedBytes = cbor(new Map([[1, -7], [4, kidBytes]]));
  let payload = cbor(claimMap);
  const toSign = cbor(["Signature1", protectedBytes, Buffer.alloc(0), payload]);
  const signature = sign("sha256", toSign, { key: key.privateKey, dsaEncoding: "ieee-p1363" });
  if (tamper) payload = tamper(payload);
  return cbor({ tag: 18, value: [protectedBytes, new Map(), payload, signature] });
}

const qrText = (coseBytes) => `CG1:${base45(deflateSync(coseBytes))}`;

function bitstring(size, setBits) {
  const bytes = Buffer.alloc(size / 8);
  for (const i of setBits) bytes[i >> 3] |= 1 << (7 - (i % 8));
  return `u${b64url(gzipSync(bytes))}`;
}

function statusListToken(key, { iss = "LYGA", iat = NOW_S - 600, exp = NOW_S + 86400, size = 131072,
  revoked = [], suspended = [], kid = key.jwk.kid } = {}) {
  const header = b64url(Buffer.from(JSON.stringify({ alg: "ES256", kid, typ: "statuslist+jwt" })));
  const payload = b64url(Buffer.from(JSON.stringify({ iss, iat, exp, size,
    revocation: bitstring(size, revoked), suspension: bitstring(size, suspended) })));
  const signature = sign("sha256", Buffer.from(`${header}.${payload}`), { key: key.privateKey, dsaEncoding: "ieee-p1363" });
  return `${header}.${payload}.${b64url(signature)}`;
}

const KEY = issuerKey();
const JWKS = { keys: [KEY.jwk] };

async function lists(options = {}) {
  return verifyStatusLists({ items: [{ issuer: "LYGA", token: statusListToken(KEY, options) }] }, JWKS);
}

async function check(text, { statusLists, now = NOW, keys = JWKS } = {}) {
  return verifyQr(text, { keys, statusLists: statusLists ?? await lists(), now });
}

// -- verdicts ---------------------------------------------------------------------------------

test("a good certificate is valid and says what the QR says", async () => {
  const result = await check(qrText(coseSign1(KEY, claims())));
  assert.equal(result.valid, true);
  assert.equal(result.reason, "valid");
  assert.equal(result.certificate.holder_name, "张三");
  assert.equal(result.certificate.type, "ID");
  assert.equal(result.certificate.number, "371302199001011234");
  assert.equal(result.certificate.issuer, "LYGA");
  assert.equal(result.certificate.issuer_name, "临沂市公安局");
  assert.equal(result.certificate.status_index, 7);
  assert.equal(result.certificate.kid, KEY.jwk.kid);
  assert.equal(result.certificate.expires_at, new Date((NOW_S + 86400 * 365) * 1000).toISOString());
  assert.equal(result.listAge, 600);
  assert.equal(result.listStale, false);
});

test("the COSE bytes uncompressed (first byte 0xD2) are accepted too", async () => {
  const result = await check(`CG1:${base45(coseSign1(KEY, claims()))}`);
  assert.equal(result.reason, "valid");
});

test("a certificate with no exp never expires", async () => {
  const result = await check(qrText(coseSign1(KEY, claims({ exp: null }))), { now: NOW + 100 * 365 * 86400_000 });
  assert.equal(result.reason, "valid");
  assert.equal(result.certificate.expires_at, null);
});

test("a tampered payload byte fails the signature and shows nothing", async () => {
  const tamper = (payload) => {
    const copy = Buffer.from(payload);
    const at = copy.indexOf(Buffer.from("张三"));
    copy.set(Buffer.from("李四"), at);
    return copy;
  };
  const result = await check(qrText(coseSign1(KEY, claims(), { tamper })));
  assert.deepEqual([result.valid, result.reason, result.certificate], [false, "bad_signature", null]);
});

test("a certificate signed by another key under the same kid fails the signature", async () => {
  const impostor = issuerKey();
  const result = await check(qrText(coseSign1(impostor, claims())));
  assert.equal(result.reason, "bad_signature");
  assert.equal(result.certificate, null);
});

test("one issuer's key cannot sign another issuer's certificate", async () => {
  const other = issuerKey({ iss: "LYSJ", kidBytes: Buffer.from("1111111111111111", "hex") });
  const keys = { keys: [KEY.jwk, other.jwk] };
  const result = await check(qrText(coseSign1(other, claims({ iss: "LYGA" }))), { keys });
  assert.equal(result.reason, "bad_signature");
});

test("a kid the JWKS does not have is an unknown key", async () => {
  const result = await check(qrText(coseSign1(KEY, claims(), { kidBytes: Buffer.from("ffffffffffffffff", "hex") })));
  assert.equal(result.reason, "unknown_key");
  assert.equal(result.certificate, null);
});

test("no keys at all (never fetched) is an unknown key", async () => {
  const result = await verifyQr(qrText(coseSign1(KEY, claims())), { keys: null, statusLists: null, now: NOW });
  assert.equal(result.reason, "unknown_key");
});

test("at or past exp is expired (as on the server), a second before is not", async () => {
  const result = await check(qrText(coseSign1(KEY, claims({ exp: NOW_S }))));
  assert.equal(result.reason, "expired");
  assert.equal(result.certificate.holder_name, "张三");
  assert.equal((await check(qrText(coseSign1(KEY, claims({ exp: NOW_S + 1 }))))).reason, "valid");
});

test("an iat more than five minutes ahead is not yet valid; within five minutes is fine", async () => {
  assert.equal((await check(qrText(coseSign1(KEY, claims({ iat: NOW_S + 301 }))))).reason, "not_yet_valid");
  assert.equal((await check(qrText(coseSign1(KEY, claims({ iat: NOW_S + 299 }))))).reason, "valid");
});

test("a set revocation bit is revoked, a set suspension bit suspended", async () => {
  const text = qrText(coseSign1(KEY, claims({ index: 7 })));
  assert.equal((await check(text, { statusLists: await lists({ revoked: [7] }) })).reason, "revoked");
  assert.equal((await check(text, { statusLists: await lists({ suspended: [7] }) })).reason, "suspended");
  assert.equal((await check(text, { statusLists: await lists({ revoked: [6, 8], suspended: [0, 15] }) })).reason,
    "valid");
});

test("revoked wins over suspended", async () => {
  const text = qrText(coseSign1(KEY, claims({ index: 9 })));
  assert.equal((await check(text, { statusLists: await lists({ revoked: [9], suspended: [9] }) })).reason, "revoked");
});

test("bit i is bit 7 - i % 8 of byte i // 8", () => {
  const bits = Uint8Array.from([0b1000_0000, 0b0000_0001]);
  assert.equal(bitIsSet(bits, 0), true);
  assert.equal(bitIsSet(bits, 7), false);
  assert.equal(bitIsSet(bits, 15), true);
  assert.equal(bitIsSet(bits, 14), false);
  assert.equal(bitIsSet(bits, 99), false);
});

test("a list past its exp is stale but still judges", async () => {
  const text = qrText(coseSign1(KEY, claims()));
  const old = await lists({ iat: NOW_S - 3 * 86400, exp: NOW_S - 2 * 86400, revoked: [7] });
  assert.equal(isListStale(old.LYGA, NOW), true);
  assert.equal(isListStale((await lists()).LYGA, NOW), false);
  const result = await check(text, { statusLists: old });
  assert.equal(result.reason, "revoked");
  assert.equal(result.listStale, true);
  assert.equal(result.listAge, 3 * 86400);
});

test("without the issuer's list a good certificate is valid, flagged unchecked", async () => {
  const result = await check(qrText(coseSign1(KEY, claims())), { statusLists: {} });
  assert.equal(result.reason, "valid");
  assert.equal(result.listAge, null);
  assert.equal(result.listStale, true);
});

test("longer than 2,048 characters is oversize, whatever it holds", async () => {
  assert.equal((await check(`CG1:${"0".repeat(2045)}`)).reason, "oversize");
  assert.equal((await check("x".repeat(5000))).reason, "oversize");
});

const good = coseSign1(KEY, claims());
test("malformed texts are malformed", async (t) => {
  const cases = {
    "no prefix": base45(deflateSync(good)),
    "other prefix": `HC1:${base45(deflateSync(good))}`,
    "lower-case base45": `CG1:${base45(deflateSync(good)).toLowerCase()}`,
    "base45 group too big": "CG1::::",
    "base45 dangling char": `CG1:${base45(deflateSync(good))}A`,
    "empty": "CG1:",
    "not zlib": `CG1:${base45(Buffer.from("hello, not compressed"))}`,
    "truncated zlib": `CG1:${base45(deflateSync(good).subarray(0, 40))}`,
    "zlib of bad cbor": `CG1:${base45(deflateSync(Buffer.from([0xd2, 0x84, 0x41])))}`,
    "zlib followed by more": `CG1:${base45(Buffer.concat([deflateSync(good), Buffer.from("junk")]))}`,
    "cbor trailing bytes": `CG1:${base45(deflateSync(Buffer.concat([good, Buffer.from([0])])))}`,
    "not tag 18": `CG1:${base45(deflateSync(cbor({ tag: 17, value: [Buffer.alloc(1), new Map(), Buffer.alloc(1), Buffer.alloc(64)] })))}`,
    "not cose": `CG1:${base45(deflateSync(cbor([1, 2, 3])))}`,
    "not text": null,
  };
  for (const [name, text] of Object.entries(cases)) {
    await t.test(name, async () => {
      const result = await check(text);
      assert.deepEqual([result.valid, result.reason, result.certificate], [false, "malformed", null]);
    });
  }
});

test("a signed payload missing its claims is malformed", async () => {
  const noCertificate = new Map([[1, "LYGA"], [6, NOW_S - 10]]);
  assert.equal((await check(qrText(coseSign1(KEY, noCertificate)))).reason, "malformed");
});

test("a zlib bomb is refused, not inflated", async () => {
  const bomb = deflateSync(Buffer.alloc(1_000_000));
  await assert.rejects(inflate(bomb, "deflate", 16 * 1024), /too large/);
  const text = `CG1:${base45(bomb)}`;
  assert.ok(text.length <= 2048);
  assert.equal((await check(text)).reason, "malformed");
});

// -- decoders -----------------------------------------------------------------------------------

test("base45 decodes RFC 9285's examples and rejects bad values", () => {
  assert.equal(Buffer.from(base45Decode("BB8")).toString(), "AB");
  assert.equal(Buffer.from(base45Decode("%69 VD92EX0")).toString(), "Hello!!");
  assert.equal(Buffer.from(base45Decode("UJCLQE7W581")).toString(), "base-45");
  assert.throws(() => base45Decode("GGW"));  // 65536
  assert.throws(() => base45Decode("ZZ"));  // > 255
  assert.throws(() => base45Decode("abc"));
  assert.throws(() => base45Decode("BB8A"));
});

test("the CBOR decoder is strict", () => {
  assert.deepEqual(decodeCbor(Uint8Array.from([0x83, 0x01, 0x20, 0x61, 0x61])), [1, -1, "a"]);
  assert.equal(decodeCbor(Uint8Array.from([0x3a, 0x00, 0x01, 0x00, 0x00])), -65537);
  assert.throws(() => decodeCbor(Uint8Array.from([0x83, 0x01])));  // truncated
  assert.throws(() => decodeCbor(Uint8Array.from([0x01, 0x01])));  // trailing
  assert.throws(() => decodeCbor(Uint8Array.from([0x9f, 0x01, 0xff])));  // indefinite
  assert.throws(() => decodeCbor(Uint8Array.from([0xa2, 0x01, 0x01, 0x01, 0x02])));  // duplicate key
  assert.throws(() => decodeCbor(Uint8Array.from([0x62, 0xff, 0xfe])));  // bad UTF-8
  assert.throws(() => decodeCbor(Uint8Array.from([0x9b, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff])));  // huge count
  assert.throws(() => decodeCbor(Uint8Array.from(Array(40).fill(0x81).concat([0x01]))));  // too deep
});

// -- status-list tokens ---------------------------------------------------------------------------

test("a status-list token signed by the issuer's key is read", async () => {
  const list = await verifyStatusListToken(statusListToken(KEY, { revoked: [3] }), JWKS);
  assert.equal(list.issuer, "LYGA");
  assert.equal(list.size, 131072);
  assert.equal(list.revocation.length, 16384);
  assert.equal(bitIsSet(list.revocation, 3), true);
});

test("a status-list token whose signature fails is null", async () => {
  const token = statusListToken(KEY, { revoked: [3] });
  const [header, , signature] = token.split(".");
  const forged = b64url(Buffer.from(JSON.stringify({ iss: "LYGA", iat: NOW_S, exp: NOW_S + 86400, size: 131072,
    revocation: bitstring(131072, []), suspension: bitstring(131072, []) })));
  assert.equal(await verifyStatusListToken(`${header}.${forged}.${signature}`, JWKS), null);
  assert.equal(await verifyStatusListToken(statusListToken(issuerKey()), JWKS), null);  // another key, same kid
  assert.equal(await verifyStatusListToken(statusListToken(KEY, { kid: "nope" }), JWKS), null);
  assert.equal(await verifyStatusListToken("a.b", JWKS), null);
  assert.equal(await verifyStatusListToken(token, null), null);
});

test("an issuer's key cannot sign another issuer's status list", async () => {
  assert.equal(await verifyStatusListToken(statusListToken(KEY, { iss: "LYSJ" }), JWKS), null);
});

test("verifyStatusLists keeps the good lists by issuer and drops a forged one", async () => {
  const result = await verifyStatusLists({ items: [
    { issuer: "LYGA", token: statusListToken(KEY) },
    { issuer: "LYSJ", token: "x.y.z" },
  ] }, JWKS);
  assert.deepEqual(Object.keys(result), ["LYGA"]);
});

// -- what the phone keeps, and the screen's words ------------------------------------------------

test("a refresh keeps per issuer the newest list whose signature holds", async () => {
  const older = statusListToken(KEY, { iat: NOW_S - 7200 });
  const newer = statusListToken(KEY, { iat: NOW_S - 60, revoked: [7] });
  const forged = statusListToken(issuerKey(), { iat: NOW_S });
  const kept = await newestTokens([{ issuer: "LYGA", token: newer }], [{ issuer: "LYGA", token: older },
    { issuer: "LYGA", token: forged }], JWKS);
  assert.deepEqual(kept, [{ issuer: "LYGA", token: newer }]);
  const fresh = await newestTokens([{ issuer: "LYGA", token: older }], [{ issuer: "LYGA", token: newer }], JWKS);
  assert.deepEqual(fresh, [{ issuer: "LYGA", token: newer }]);
});

test("the kept lists are never fetched, fresh, or stale past an exp", async () => {
  assert.equal(describe({ jwks: null, statusLists: {} }, NOW).never, true);
  const fresh = describe({ jwks: JWKS, statusLists: await lists(), keysFetchedAt: "x", listsFetchedAt: "x" }, NOW);
  assert.deepEqual([fresh.never, fresh.stale], [false, false]);
  assert.equal(fresh.listsIssuedAt, new Date((NOW_S - 600) * 1000).toISOString());
  const stale = describe({ jwks: JWKS, statusLists: await lists(), keysFetchedAt: "x", listsFetchedAt: "x" },
    NOW + 2 * 86400_000);
  assert.equal(stale.stale, true);
});

test("the screen's words: ages, pasted text, type names", () => {
  const t = (key, params = {}) => ({ "verify.type.ID": "居民身份证" }[key]
    ?? `${key}${params.n === undefined ? "" : `:${params.n}`}`);
  assert.equal(ageWords(t, 30), "verify.age_now");
  assert.equal(ageWords(t, 600), "verify.age_minutes:10");
  assert.equal(ageWords(t, 7200), "verify.age_hours:2");
  assert.equal(ageWords(t, 3 * 86400), "verify.age_days:3");
  assert.equal(cleanPastedText("  CG1:AB C\r\n"), "CG1:AB C");
  assert.equal(typeName(t, "ID"), "居民身份证");
  assert.equal(typeName(t, "XX"), "XX");
  // The names the server published with its lists come first, in the page's language.
  const types = [{ code: "XX", name: "残疾人证", name_en: "Disability card" }];
  assert.equal(typeName(t, "XX", types, "zh-CN"), "残疾人证");
  assert.equal(typeName(t, "XX", types, "en"), "Disability card");
});
