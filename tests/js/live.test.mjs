// The live stream's reading: server-sent event framing cut anywhere between chunks (even in
// the middle of a Chinese character's bytes, which the TextDecoder stream holds back), what
// the pages are told, and which changes are news for a case page.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { t, useCatalogue } from "../../pwa/app/i18n.js";
import { changesOf, isNewer, sseParser } from "../../pwa/app/live.js";
import { liveLabel } from "../../pwa/app/ui/live-status.js";

const STREAM = "retry: 3000\n: live\n\n"
  + 'event: case\ndata: {"id":"c1","code":"LS-20261204-0007","status":"registered","version":3,"overdue":false,"at":"2026-12-04T09:35:12Z"}\n\n'
  + ": keep-alive\n\n"
  + 'event: case\ndata: {"id":"c2","code":"兰山-0008","status":"dispatched","version":5,"overdue":true}\n\n'
  + "event: resync\ndata: {}\n\n"
  + "event: end\ndata: {}\n\n";

test("a whole stream gives the retry hint, two cases, a resync and the end; comments are skipped", () => {
  const events = sseParser()(STREAM);
  assert.deepEqual(events[0], { retry: 3000 });
  assert.deepEqual(events.slice(1).map((e) => e.event), ["case", "case", "resync", "end"]);
  assert.equal(events[2].data.code, "兰山-0008");
  assert.deepEqual(changesOf(events).map((c) => [c.type, c.id, c.status]),
    [["case", "c1", "registered"], ["case", "c2", "dispatched"], ["resync", undefined, undefined]]);
});

test("the same stream cut at every place, as bytes through a streaming decoder, reads the same", () => {
  const bytes = new TextEncoder().encode(STREAM);
  const whole = sseParser()(STREAM);
  for (let cut = 1; cut < bytes.length; cut += 1) {
    const decoder = new TextDecoder();
    const parse = sseParser();
    const events = [...parse(decoder.decode(bytes.slice(0, cut), { stream: true })),
      ...parse(decoder.decode(bytes.slice(cut), { stream: true }))];
    assert.deepEqual(events, whole, `cut at byte ${cut}`);
  }
});

test("CRLF line ends, split between chunks, and multi-line data are one event", () => {
  const parse = sseParser();
  assert.deepEqual(parse("event: case\r\ndata: {\"id\":\"c1\",\r"), []);
  // A lone "\r" already ends a line: the event is whole; the "\n" after it is its pair.
  assert.deepEqual(parse("\ndata: \"version\":2}\r\n\r"), [{ event: "case", data: { id: "c1", version: 2 } }]);
  assert.deepEqual(parse("\nevent: case\r\ndata: {}\r\n\r\n"), [{ event: "case", data: {} }]);
});

test("data that is not JSON is kept as null; a block without data is no event", () => {
  assert.deepEqual(sseParser()("event: case\ndata: <html>\n\nevent: case\n\n"), [{ event: "case", data: null }]);
});

test("a case page redraws for its own case at a newer version, and checks on a resync", () => {
  assert.equal(isNewer({ type: "case", id: "c1", version: 4 }, "c1", 3), true);
  assert.equal(isNewer({ type: "case", id: "c1", version: 3 }, "c1", 3), false);  // its own action
  assert.equal(isNewer({ type: "case", id: "c2", version: 9 }, "c1", 3), false);
  assert.equal(isNewer({ type: "resync" }, "c1", 3), true);
});

test("every state of the live sign has words in both catalogues", () => {
  for (const lang of ["zh-CN", "en"]) {
    useCatalogue(lang, JSON.parse(readFileSync(new URL(`../../pwa/i18n/${lang}.json`, import.meta.url), "utf8")));
    for (const state of ["off", "connecting", "live", "reconnecting", "offline"]) {
      const label = liveLabel(t, state);
      assert.ok(label && !label.startsWith("live."), `${lang} ${state}`);
    }
  }
});
