// One report (事项详情), read from IndexedDB, so it opens with no signal: status, case code,
// deadline, category, description, place, photos ("photo pending" until the bytes reach the
// server) and the case's timeline as it syncs back. The console's case links open it too.
// "Edit" leads to the form while the case is open and the user may change it. Once the case
// is closed, its reporter says whether the result satisfies them (结果反馈), offline too.
import { authed } from "../app/api.js";
import * as store from "../app/store.js";
import { categoryName } from "../app/categories.js";
import { canEdit, canGiveFeedback, isOverdue, mergedIntoCode, timelineOf } from "../app/reports.js";
import { h, latestOnly } from "../app/ui/dom.js";
import { pinMap } from "../app/ui/pin-map.js";
import { photoGallery } from "../app/ui/report-photos.js";
import { statusChip } from "../app/ui/status-chip.js";

function fullTime(iso, lang) {
  if (!iso) return "";
  return new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));
}

function eventLabel(t, step, me) {
  const mine = step.by && step.by === me ? t("report.event_by_me") : "";
  if (step.event === "reported") return t("report.event_reported") + mine;
  if (step.event === "received") return t("report.event_received", { code: step.code || "" });
  // A case action (dispatch, handle…) reads on the phone as the status it led to.
  if (step.event === "status" || step.event === "action") return t("report.event_status", { status: t(`status.${step.status}`) }) + mine;
  if (step.event === "waiting") return t("report.event_waiting");
  if (step.event === "feedback") return t("report.event_feedback", { satisfaction: t(`feedback.${step.satisfaction}`) }) + mine;
  if (step.event === "merged_along") return t("report.event_merged_along", { code: step.merged_into_code || "" });
  if (step.event === "merged_in") return t("report.event_merged_in", { code: step.report_code || "" });
  return step.event;
}

function timeline(app, report) {
  const { t } = app;
  const lang = app.language();
  const me = app.owner();
  return h("ol", { class: "timeline", id: "report-timeline" }, timelineOf(report).map((step) =>
    h("li", { dataset: { event: step.event, status: step.status } },
      step.at ? h("time", { datetime: step.at }, fullTime(step.at, lang)) : null,
      h("span", { class: "event" }, eventLabel(t, step, me)))));
}

// How good the place is: the GPS fix's accuracy, and whether the pin was moved by hand
// (both when it was dragged off a fix). Reports from before these fields show neither.
function locationQuality(t, report) {
  const accuracy = report.accuracy_m;
  return [
    accuracy != null && Number.isFinite(Number(accuracy))
      ? h("p", { class: "hint", id: "report-accuracy" }, t("report.accuracy_about", { n: Math.round(Number(accuracy)) }))
      : null,
    report.location_adjusted ? h("p", { class: "hint", id: "report-adjusted" }, t("report.location_adjusted")) : null,
  ];
}

function facts(app, report, category) {
  const { t } = app;
  const lang = app.language();
  const overdue = isOverdue(report);
  const fixed = (n) => Number(n).toFixed(5);
  return h("dl", { class: "card facts", id: "report-facts" },
    h("dt", {}, t("report.status")), h("dd", {}, statusChip(t, report.status, "report-status"),
      report._pending ? h("span", { class: "badge", id: "report-pending" }, t("reports.pending")) : null),
    h("dt", {}, t("report.code")), h("dd", { id: "report-code" }, report.code || t("reports.no_code")),
    h("dt", {}, t("report.category")), h("dd", { id: "report-category" },
      categoryName(category, lang) || report.category,
      category ? h("span", { class: "hint" }, " · ", t("report.category_limit_short", { hours: category.time_limit_h })) : null),
    report.deadline_at ? [h("dt", {}, t("report.deadline")), h("dd", { id: "report-deadline", class: overdue ? "overdue" : "" },
      fullTime(report.deadline_at, lang), overdue ? h("span", { class: "badge overdue" }, t("report.overdue")) : null)] : null,
    h("dt", {}, t("report.reported_at")), h("dd", {}, fullTime(report.reported_at, lang)),
    h("dt", {}, t("report.description")), h("dd", { id: "report-description" }, report.description || t("reports.no_description")),
    h("dt", {}, t("report.location")), h("dd", { id: "report-location" },
      t("report.at_plain", { lat: fixed(report.lat), lon: fixed(report.lon) }), locationQuality(t, report)),
    report.note ? [h("dt", {}, t("report.note")), h("dd", {}, report.note)] : null);
}

/**
 * 结果反馈: the feedback given (with "not synced" until the server has it), or the reporter's
 * two buttons and an optional note. The form is made once per mount and kept across
 * re-renders, so a sync landing while the citizen types loses nothing.
 */
function feedbackForm(app, report) {
  const { t } = app;
  const note = h("textarea", { id: "feedback-note", rows: 2, maxlength: 500 });
  const buttons = [];
  const give = async (satisfaction) => {
    buttons.forEach((button) => { button.disabled = true; });
    await app.mutate("reports", report.id, "update", { satisfaction, satisfaction_note: note.value.trim() });
    app.toast(t("feedback.saved_offline"));
  };
  for (const satisfaction of ["satisfied", "unsatisfied"]) {
    buttons.push(h("button", { type: "button", id: `feedback-${satisfaction}`,
      class: satisfaction === "satisfied" ? "primary" : "secondary", onclick: () => give(satisfaction) },
    t(`feedback.${satisfaction}`)));
  }
  return h("section", { class: "card feedback", id: "report-feedback", "aria-labelledby": "feedback-title" },
    h("h2", { id: "feedback-title" }, t("feedback.title")),
    h("p", { class: "hint" }, t("feedback.ask")),
    h("label", { for: "feedback-note" }, t("feedback.note")), note,
    h("div", { class: "actions" }, buttons));
}

function feedbackGiven(app, report) {
  const { t } = app;
  return h("section", { class: "card feedback", id: "report-feedback", "aria-labelledby": "feedback-title" },
    h("h2", { id: "feedback-title" }, t("feedback.title")),
    h("p", { id: "feedback-given", dataset: { satisfaction: report.satisfaction } },
      t(`feedback.${report.satisfaction}`),
      report._pending ? h("span", { class: "badge pending" }, t("reports.pending")) : null),
    report.satisfaction_note ? h("p", { class: "hint", id: "feedback-given-note" }, report.satisfaction_note) : null);
}

/**
 * 合并: a report merged into another case says which, and that its reporter follows that
 * case; online, the case's status now (the phone may not hold the case itself). Made once
 * per mount and case, so a sync landing meanwhile does not ask again.
 */
function followedCase(app, report) {
  const { t } = app;
  const code = mergedIntoCode(report) || "";
  const status = h("p", { class: "hint", id: "report-followed-status", "aria-live": "polite" });
  if (report.merged_into_id && navigator.onLine) {
    authed(`/api/v1/cases/${report.merged_into_id}`).then((followed) => {
      status.replaceChildren(t("report.followed_status", { code: followed.code || code }),
        statusChip(t, followed.status, "report-followed-chip"));
    }).catch(() => {});  // offline or gone: the words above still say what happened
  }
  return h("section", { class: "card", id: "report-merged", dataset: { into: report.merged_into_id || "" } },
    h("h2", {}, t("report.merged_into", { code })),
    h("p", { id: "report-following" }, t("report.following", { code })),
    status);
}

// Back to where cases are listed for this person: the console at a desk, else My reports.
function backLink(app) {
  const atDesk = app.session().user.roles.some((r) => ["supervisor", "admin"].includes(r));
  return atDesk ? h("a", { class: "button secondary", href: "#/console", id: "report-back" }, app.t("console.title"))
    : h("a", { class: "button secondary", href: "#/reports", id: "report-back" }, app.t("reports.title"));
}

export async function mount(root, { id }, app) {
  const { t } = app;
  const owner = app.owner();
  const section = h("section", { class: "narrow", id: "report-detail" });
  root.append(section);
  // Kept across re-renders: the map and the photos load once, then follow changes.
  let gallery = null;
  let map = null;
  let askFeedback = null;
  let followed = null;
  let unmounted = false;
  const mapBox = h("div", { id: "report-detail-map", class: "map", role: "region", "aria-label": t("report.location") });

  const render = latestOnly(async (isStale) => {
    const [report, categories] = await Promise.all([store.viewOne(owner, "reports", id),
      store.view(owner, "categories")]);
    if (isStale()) return;
    if (!report) {
      section.replaceChildren(h("h1", {}, t("report.missing")),
        h("a", { class: "button secondary", href: "#/reports" }, t("reports.title")));
      return;
    }
    const category = categories.find((c) => c.code === report.category);
    if (!gallery || (gallery.photos !== (report.photos || []).join())) {
      gallery?.release();
      gallery = { ...photoGallery(app, report), photos: (report.photos || []).join() };
    }
    if (canGiveFeedback(report, owner)) askFeedback ??= feedbackForm(app, report);
    else askFeedback = null;
    if (report.status !== "merged") followed = null;
    else if (followed?.dataset.into !== (report.merged_into_id || "")) followed = followedCase(app, report);
    section.replaceChildren(
      h("h1", {}, categoryName(category, app.language()) || t("report.title_detail")),
      facts(app, report, category),
      followed,
      report.satisfaction ? feedbackGiven(app, report) : askFeedback,
      mapBox,
      gallery.element,
      h("h2", { id: "timeline-title" }, t("report.timeline")),
      timeline(app, report),
      h("div", { class: "actions report-actions" },
        canEdit(report, app.session().user)
          ? h("a", { class: "button primary", id: "report-edit-link", href: `#/reports/${id}/edit` }, t("report.edit")) : null,
        backLink(app)));
    gallery.refresh();
    if (!map) {
      map = pinMap(mapBox, { at: { lat: report.lat, lon: report.lon } }).then((drawn) => {
        if (unmounted) drawn.remove();
        return drawn;
      }).catch(() => { mapBox.hidden = true; });
    }
  });
  await render();
  // A sync that landed while the first render was reading is drawn now.
  const stop = app.onChange(render);
  render();
  return () => {
    unmounted = true;
    stop();
    gallery?.release();
    map?.then((drawn) => drawn?.remove());
  };
}
