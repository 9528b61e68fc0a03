// The notification bell (通知): the unread count as a badge on a button, and a list that
// opens under it. Each item is worded from the catalogue by its kind (a case overdue);
// choosing one marks it read and opens the case. Online only: offline it says so. The
// count is asked for when the page loads, when the bell opens and every couple of minutes
// while the page is shown, never in a tight loop.
import { authed } from "../api.js";
import { errorMessage } from "../i18n.js";
import { formatTime, h } from "./dom.js";
import { icon } from "./icons.js";
import { isNetworkFailure } from "./offline-notice.js";
import { offerPush } from "../push.js";

export const REFRESH_MS = 120_000;
export const SHOWN = 20;

/** The bell's accessible name: how many are unread, or just "notifications" when unknown. */
export function countLabel(t, unread) {
  if (unread === null || unread === undefined) return t("notify.bell");
  return unread > 0 ? t("notify.bell_unread", { n: unread }) : t("notify.bell_none");
}

/** What the badge shows: nothing for none (or unknown), at most "99+". */
export function badgeText(unread) {
  if (!unread || unread < 0) return "";
  return unread > 99 ? "99+" : String(unread);
}

/** A deadline as a reader says it: month, day and clock time in their language. */
export function deadlineText(iso, lang, timeZone) {
  if (!iso) return "—";
  return new Intl.DateTimeFormat(lang, { month: "numeric", day: "numeric", hour: "2-digit",
    minute: "2-digit", hourCycle: "h23", timeZone }).format(new Date(iso));
}

/** One notification in words, from the catalogue by its kind. */
export function noticeText(t, notice, lang, timeZone) {
  const params = notice.params || {};
  if (notice.kind === "case_overdue") {
    return t("notify.case_overdue", { code: params.code || t("reports.no_code"),
      deadline: deadlineText(params.deadline_at, lang, timeZone) });
  }
  if (notice.kind.startsWith("step_overdue_")) {
    return t("notify.step_overdue", { code: params.code || t("reports.no_code"),
      step: t(`case.step.${params.step}`), deadline: deadlineText(params.deadline_at, lang, timeZone) });
  }
  // About the follower's own merged report (which their phone holds), naming the case.
  if (notice.kind === "followed_case_closed") {
    return t("notify.followed_case_closed", { code: params.code || t("reports.no_code"),
      report: params.report_code || t("reports.no_code") });
  }
  // The service hall's manager: a supervision alert, a bad rating to follow up.
  if (notice.kind === "hall_alert") {
    const label = params.subject_label || "";
    const subject = ["idle_window", "paused_window"].includes(params.kind)
      ? t("hallmgr.subject.window", { window: label }) : label;
    return t("notify.hall_alert", { kind: t(`hallmgr.kind.${params.kind}`), subject });
  }
  if (notice.kind === "bad_rating") {
    return t("notify.bad_rating", { number: params.number || "", score: params.score ?? "" });
  }
  return t("notify.unknown");
}

const HALL_KINDS = ["hall_alert", "bad_rating"];

/** Where choosing a notification goes: the console's case page, or the phone's report. */
export function noticePath(notice, where) {
  if (HALL_KINDS.includes(notice.kind)) return "/console/hall";
  return where === "console" ? `/console/cases/${notice.subject_id}` : `/reports/${notice.subject_id}`;
}

/**
 * The `before` of "mark all read": just after the newest one shown, so that one is marked
 * too (the server marks those created strictly before) but any that arrive after the list
 * was drawn stay unread. Milliseconds are the finest a Date holds; the server's times carry
 * microseconds, so one millisecond past the truncated time is past the real one. Null when
 * nothing is shown.
 */
export function readAllBefore(notices) {
  const times = notices.map((n) => Date.parse(n.created_at)).filter((ms) => !Number.isNaN(ms));
  return times.length ? new Date(Math.max(...times) + 1).toISOString() : null;
}

const unreadCount = async () => (await authed("/api/v1/notifications?unread=true&per_page=1")).total;

/**
 * The bell for a page head. `where` is "console" or "phone" (where an item leads).
 * Returns { element, stop }; stop() ends its timer and listeners (the screen's unmount).
 */
export function notificationBell(app, { where = "console" } = {}) {
  const { t } = app;
  const badge = h("span", { class: "bell-badge", id: "notify-count", "aria-hidden": "true", hidden: true });
  const button = h("button", { type: "button", class: "bell", id: "notify-bell", "aria-expanded": "false",
    "aria-controls": "notify-panel", "aria-label": countLabel(t, null) }, icon("bell"), badge);
  const status = h("p", { class: "hint", id: "notify-status", role: "status" });
  const list = h("ul", { class: "notify-list", id: "notify-list" });
  const readAll = h("button", { type: "button", class: "inline", id: "notify-read-all", disabled: true },
    t("notify.read_all"));
  const panel = h("div", { class: "notify-panel", id: "notify-panel", hidden: true,
    role: "region", "aria-labelledby": "notify-title" },
  h("div", { class: "notify-panel-head" }, h("h2", { id: "notify-title", tabindex: "-1" }, t("notify.title")), readAll),
  status, list);
  const element = h("div", { class: "notify" }, button, panel);
  let shown = [];
  let stopped = false;

  const showCount = (unread) => {
    button.setAttribute("aria-label", countLabel(t, unread));
    badge.textContent = badgeText(unread);
    badge.hidden = !badge.textContent;
    button.dataset.unread = unread ?? "";
  };
  const refreshCount = async () => {
    if (stopped) return;
    if (!navigator.onLine) return showCount(null);
    try {
      const unread = await unreadCount();
      if (!stopped) showCount(unread);
    } catch {
      if (!stopped) showCount(null);  // the panel says why when opened; the head stays quiet
    }
  };
  const failed = (error) => {
    list.replaceChildren();
    readAll.disabled = true;
    status.textContent = isNetworkFailure(error) ? t("notify.offline") : errorMessage(error);
  };

  const item = (notice) => {
    const unread = !notice.read_at;
    const choose = h("button", { type: "button", class: "notify-item", dataset: { id: notice.id,
      unread: String(unread) } },
    unread ? h("span", { class: "notify-dot", "aria-hidden": "true" }) : null,
    h("span", { class: "notify-text" }, noticeText(t, notice, app.language()),
      unread ? h("span", { class: "sr-only" }, ` (${t("notify.unread")})`) : null),
    h("span", { class: "notify-time" }, formatTime(notice.created_at, app.language())));
    choose.addEventListener("click", async () => {
      choose.disabled = true;
      if (unread) {
        try {
          await authed(`/api/v1/notifications/${notice.id}`, { method: "PATCH", body: { read: true } });
        } catch {
          // Still open the case: the notice stays unread and the bell says so again later.
        }
      }
      close();
      app.navigate(noticePath(notice, where));
    });
    return h("li", {}, choose);
  };

  const loadList = async () => {
    if (!navigator.onLine) return failed({ status: 0 });
    status.textContent = t("notify.loading");
    try {
      const [page, unread] = await Promise.all([
        authed(`/api/v1/notifications?per_page=${SHOWN}`), unreadCount()]);
      if (stopped) return;
      shown = page.items;
      showCount(unread);
      list.replaceChildren(...shown.map(item));
      status.textContent = shown.length ? "" : t("notify.none");
      readAll.disabled = !unread;
    } catch (error) {
      if (!stopped) failed(error);
    }
  };

  let pushOffered = false;
  const open = () => {
    panel.hidden = false;
    button.setAttribute("aria-expanded", "true");
    loadList();
    if (!pushOffered) {
      pushOffered = true;
      offerPush();  // notifications while the app is closed, asked for on this tap
    }
  };
  const close = () => {
    panel.hidden = true;
    button.setAttribute("aria-expanded", "false");
  };
  button.addEventListener("click", () => (panel.hidden ? open() : close()));
  element.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && !panel.hidden) {
      close();
      button.focus();
    }
  });
  readAll.addEventListener("click", async () => {
    readAll.disabled = true;
    const before = readAllBefore(shown);
    try {
      const { marked } = await authed("/api/v1/notifications/read", { method: "POST",
        body: before ? { before } : {} });
      await loadList();
      status.textContent = t("notify.marked", { n: marked });
      // The button just went disabled: keep the keyboard in the panel.
      panel.querySelector("#notify-title").focus();
    } catch (error) {
      failed(error);
    }
  });

  const timer = setInterval(() => {
    if (document.visibilityState === "visible") refreshCount();
  }, REFRESH_MS);
  const online = () => (panel.hidden ? refreshCount() : loadList());
  const offline = () => {
    showCount(null);
    if (!panel.hidden) failed({ status: 0 });
  };
  window.addEventListener("online", online);
  window.addEventListener("offline", offline);
  refreshCount();
  return {
    element,
    stop() {
      stopped = true;
      clearInterval(timer);
      window.removeEventListener("online", online);
      window.removeEventListener("offline", offline);
    },
  };
}
