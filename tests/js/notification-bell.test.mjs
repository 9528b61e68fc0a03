// The notification bell's words and sums: an item worded from the real catalogues, the
// bell's accessible name and badge, where an item leads, and what "mark all read" sends.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { t, useCatalogue } from "../../pwa/app/i18n.js";
import {
  badgeText, countLabel, deadlineText, noticePath, noticeText, readAllBefore,
} from "../../pwa/app/ui/notification-bell.js";

const catalogue = (lang) => JSON.parse(readFileSync(new URL(`../../pwa/i18n/${lang}.json`, import.meta.url), "utf8"));
const ZONE = "Asia/Shanghai";
const overdue = (over = {}) => ({
  id: "n1", kind: "case_overdue", subject_id: "3f0c1a52-8e1b-4c43-9a55-2f8d7b1e0a11",
  params: { code: "LS-20261204-0007", deadline_at: "2026-12-04T09:30:00Z", status: "dispatched" },
  created_at: "2026-12-04T09:35:12.345678+00:00", read_at: null, ...over,
});

test("an overdue case is worded with its code and its deadline in the city's time", () => {
  useCatalogue("zh-CN", catalogue("zh-CN"));
  assert.equal(noticeText(t, overdue(), "zh-CN", ZONE), "案件 LS-20261204-0007 已超期（时限 12/4 17:30）");
  useCatalogue("en", catalogue("en"));
  assert.equal(noticeText(t, overdue(), "en", ZONE), "Case LS-20261204-0007 is overdue (deadline 12/4, 17:30)");
});

test("a late step is worded with the step's name and its own deadline", () => {
  const late = overdue({ kind: "step_overdue_register",
    params: { code: "LS-20261204-0007", step: "register", deadline_at: "2026-12-04T09:30:00Z" } });
  useCatalogue("zh-CN", catalogue("zh-CN"));
  assert.equal(noticeText(t, late, "zh-CN", ZONE), "案件 LS-20261204-0007 待立案已超时（环节时限 12/4 17:30）");
  useCatalogue("en", catalogue("en"));
  assert.equal(noticeText(t, late, "en", ZONE), 'Case LS-20261204-0007: step "To register" is overdue (due 12/4, 17:30)');
});

test("a case still without a code, or without a deadline, is still worded", () => {
  useCatalogue("zh-CN", catalogue("zh-CN"));
  const text = noticeText(t, overdue({ params: {} }), "zh-CN", ZONE);
  assert.equal(text, "案件 编号待分配 已超期（时限 —）");
  assert.equal(deadlineText(null, "zh-CN", ZONE), "—");
});

test("a kind this version does not know is a plain notification, never its key", () => {
  useCatalogue("zh-CN", catalogue("zh-CN"));
  assert.equal(noticeText(t, overdue({ kind: "case_reopened" }), "zh-CN", ZONE), "新通知");
});

test("the bell's name says how many are unread, or nothing when that is unknown", () => {
  useCatalogue("zh-CN", catalogue("zh-CN"));
  assert.equal(countLabel(t, 3), "通知，3 条未读");
  assert.equal(countLabel(t, 0), "通知，没有未读");
  assert.equal(countLabel(t, null), "通知");
  useCatalogue("en", catalogue("en"));
  assert.equal(countLabel(t, 1), "Notifications, 1 unread");
});

test("the badge shows the count, nothing for none, and at most 99+", () => {
  assert.equal(badgeText(0), "");
  assert.equal(badgeText(null), "");
  assert.equal(badgeText(7), "7");
  assert.equal(badgeText(99), "99");
  assert.equal(badgeText(100), "99+");
});

test("an item opens the console's case page, or on the phone the worker's report", () => {
  const notice = overdue();
  assert.equal(noticePath(notice, "console"), `/console/cases/${notice.subject_id}`);
  assert.equal(noticePath(notice, "phone"), `/reports/${notice.subject_id}`);
});

test("mark all read covers the newest shown, and not what arrives a moment later", () => {
  const shown = [overdue({ created_at: "2026-12-04T09:35:12.345678+00:00" }),
    overdue({ created_at: "2026-12-05T01:00:00.999999Z", read_at: "2026-12-05T02:00:00Z" }),
    overdue({ created_at: "2026-12-03T08:00:00+00:00" })];
  // Past the newest's microseconds (the server marks those strictly before), by one millisecond.
  assert.equal(readAllBefore(shown), "2026-12-05T01:00:01.000Z");
  assert.equal(readAllBefore([]), null);
});
