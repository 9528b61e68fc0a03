// Reports (事项) as the phone shows them: open or closed, editable or not, and the case's
// timeline. Pure functions (no DOM, no IndexedDB): tests/js/ checks them.
import { fenceDistance } from "./geo.js";

// The end of the loop (闭环): nothing happens to these any more.
export const FINISHED = ["closed", "cancelled"];
// A duplicate merged into another case (合并) ends too; its reporter follows that case, and
// gives no feedback on the report itself.
export const MERGED = "merged";

export const isOpen = (report) => ![...FINISHED, MERGED].includes(report.status || "reported");

/** The list filter: "all", "open" (still in the loop) or "closed" (closed or cancelled). */
export function filterReports(reports, filter) {
  if (filter === "open") return reports.filter(isOpen);
  if (filter === "closed") return reports.filter((r) => !isOpen(r));
  return reports;
}

/**
 * May this user still change the report? The server decides on sync (may_write_report);
 * this only decides whether the detail offers "edit": the reporter or a supervisor, while
 * the case is open.
 */
export function canEdit(report, user) {
  if (!report || !user || !isOpen(report)) return false;
  const roles = user.roles || [];
  if (roles.includes("admin") || roles.includes("supervisor")) return true;
  return !report.reporter_id || report.reporter_id === user.id;
}

/**
 * May this user give feedback (结果反馈: satisfied or not) on the report now? Its reporter,
 * once the case is closed or cancelled, once (a reopened case asks again when closed
 * again); not on a case they finished themselves (closed on the spot, withdrawn). The
 * server judges again when it syncs (workflow.judge_feedback).
 */
export function canGiveFeedback(report, userId) {
  if (!report || !userId || isOpen(report) || report.satisfaction || report.status === MERGED) return false;
  if (report.reporter_id !== userId) return false;
  const finished = timelineOf(report).filter((step) => FINISHED.includes(step.status)).pop();
  return !finished || finished.by !== userId;
}

/** The code of the case a merged report went into (its timeline's merge), or null. */
export function mergedIntoCode(report) {
  if (report?.status !== MERGED) return null;
  const moved = timelineOf(report).filter((s) => s.merged_into_code).pop();
  return moved ? moved.merged_into_code : null;
}

/** Past its deadline (时限) and still open. */
export function isOverdue(report, now = new Date()) {
  return Boolean(report.deadline_at) && isOpen(report) && new Date(report.deadline_at) < now;
}

/**
 * The timeline to show, oldest first. The server's once it has one; before the first
 * sync, the phone's own "reported" and a "waiting to sync" step.
 */
export function timelineOf(report) {
  if (report.timeline?.length) {
    return [...report.timeline].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  }
  const steps = [];
  if (report.reported_at) steps.push({ at: report.reported_at, event: "reported", by: report.reporter_id });
  if (report._pending || !report.code) steps.push({ at: null, event: "waiting" });
  return steps;
}

/** The region (a grid, most likely) whose boundary holds the point, or null. Smallest level wins. */
export function regionAt(regions, lat, lon) {
  const order = ["grid", "community", "street", "district", "city"];
  const holding = regions.filter((r) => r.boundary && fenceDistance(r.boundary, lat, lon).inside);
  holding.sort((a, b) => order.indexOf(a.level) - order.indexOf(b.level));
  return holding[0] || null;
}
