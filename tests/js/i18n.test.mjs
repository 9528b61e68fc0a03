// errorMessage: one message per error code on every screen, from the real catalogues.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { ApiError } from "../../pwa/app/api.js";
import { errorKey, errorMessage, useCatalogue } from "../../pwa/app/i18n.js";

const catalogue = (lang) => JSON.parse(readFileSync(new URL(`../../pwa/i18n/${lang}.json`, import.meta.url), "utf8"));
const zh = catalogue("zh-CN");
const apiError = (status, code, extra = {}) =>
  new ApiError(status, { error: { code, message: "English, for developers", ...extra } });

test("a code with a message in the catalogue gets that message", () => {
  useCatalogue("zh-CN", zh);
  assert.equal(errorMessage(apiError(422, "post_outside_grid")), "岗位位置必须在所选网格内。");
  assert.equal(errorMessage(apiError(401, "invalid_credentials")), zh["error.invalid_credentials"]);
});

test("no answer at all is the network", () => {
  useCatalogue("zh-CN", zh);
  assert.equal(errorKey(new ApiError(0, null)), "error.network");
});

test("a code the catalogue does not know gets the generic message, never the server's text", () => {
  useCatalogue("zh-CN", zh);
  assert.equal(errorMessage(apiError(500, "a_code_from_a_newer_server")), zh["error.unknown"]);
  assert.equal(errorKey(new ApiError(502, null)), "error.unknown");
  assert.equal(errorKey(new TypeError("boom")), "error.unknown");
  assert.equal(errorKey(undefined), "error.unknown");
});

test("a screen may name its own fallback; known codes still win", () => {
  useCatalogue("zh-CN", zh);
  assert.equal(errorKey({ code: "mystery" }, "error.rejected"), "error.rejected");
  assert.equal(errorKey({ code: "outside_city" }, "error.rejected"), "error.outside_city");
});

test("the error's own fields fill the message's blanks", () => {
  useCatalogue("en", catalogue("en"));
  assert.equal(errorMessage(apiError(429, "too_many_attempts", { retry_after_s: 42 })),
    "Too many failed sign-ins; try again in 42 s.");
});

test("only catalogue entries count as known: not what every object inherits", () => {
  useCatalogue("zh-CN", zh);
  assert.equal(errorKey({ code: "constructor" }), "error.unknown");
});

test("a change the server failed on says so, and that it was not kept", () => {
  useCatalogue("zh-CN", zh);
  assert.equal(errorMessage({ code: "internal_error" }), zh["error.internal_error"]);
});
