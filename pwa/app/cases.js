// Cases (案件) as the console works them: the list's query, what each action's form asks
// for, and the timeline in words. Pure functions (no DOM, no network): tests/js/ checks them.
// Which actions a user may take is never decided here: the server's `actions` says so.

export const STATUSES = ["reported", "registered", "dispatched", "handled", "verified", "closed", "cancelled", "merged"];
export const PER_PAGE = 20;

// backend/incidents/workflow.py ACTIONS: the actions that need a note, and those that take
// "after" photos (close_on_spot always; handle when the case's category asks, which only the
// server knows, so the form offers them and the server's photos_required says when).
const NOTE_REQUIRED = new Set(["escalate", "handle", "send_back", "reopen"]);
const PHOTOS = { close_on_spot: "required", handle: "optional" };

/** What the form of one action asks for: note and photos "required", "optional" or null;
 * `target` when it needs a department or a grid worker (dispatch). */
export function actionForm(action) {
  return {
    note: NOTE_REQUIRED.has(action) ? "required" : "optional",
    photos: PHOTOS[action] || null,
    target: action === "dispatch",
  };
}

/** A dispatch target as one select's value: "department:<id>" or "worker:<id>". */
export function parseTarget(value) {
  const match = /^(department|worker):(.+)$/.exec(value || "");
  return match ? { kind: match[1], id: match[2] } : null;
}

/** What is missing before the form may go: the server's own error code for it, or null. */
export function missingInput(action, { note = "", photos = [], target = "" } = {}) {
  const form = actionForm(action);
  if (form.note === "required" && !note.trim()) return "note_required";
  if (form.photos === "required" && !photos.length) return "photos_required";
  if (form.target && !parseTarget(target)) return "dispatch_target_required";
  return null;
}

/** The body of POST /api/v1/cases/{id}/actions: only what this action takes. */
export function actionBody(action, { note = "", photos = [], target = "" } = {}) {
  const form = actionForm(action);
  const body = { action };
  if (note.trim()) body.note = note.trim();
  if (form.photos && photos.length) body.photos = [...photos];
  const chosen = form.target ? parseTarget(target) : null;
  if (chosen?.kind === "department") body.department_id = chosen.id;
  if (chosen?.kind === "worker") body.worker_id = chosen.id;
  return body;
}

const EMPTY = { status: [], overdue: false, category: "", department_id: "", region_id: "", q: "", page: 1 };

/** The list's filters from the part of the hash after "?" (so that "back" keeps them). */
export function filtersFromQuery(query) {
  const params = new URLSearchParams(query || "");
  const page = Number.parseInt(params.get("page") || "1", 10);
  return {
    status: params.getAll("status").filter((s) => STATUSES.includes(s)),
    overdue: params.get("overdue") === "true",
    category: params.get("category") || "",
    department_id: params.get("department_id") || "",
    region_id: params.get("region_id") || "",
    q: params.get("q") || "",
    page: Number.isInteger(page) && page > 0 ? page : 1,
  };
}

/** GET /api/v1/cases's query for these filters: empty ones left out, status repeated. */
export function caseQuery(filters = {}, perPage = PER_PAGE) {
  const f = { ...EMPTY, ...filters };
  const params = new URLSearchParams();
  for (const status of f.status) params.append("status", status);
  if (f.overdue) params.set("overdue", "true");
  if (f.category) params.set("category", f.category);
  if (f.department_id) params.set("department_id", f.department_id);
  if (f.region_id) params.set("region_id", f.region_id);
  if (f.q.trim()) params.set("q", f.q.trim());
  params.set("page", String(f.page));
  params.set("per_page", String(perPage));
  return params.toString();
}

/** The list's own hash for these filters (no per_page: that is the screen's). */
export function casesHash(filters = {}) {
  const query = new URLSearchParams(caseQuery(filters));
  query.delete("per_page");
  if (query.get("page") === "1") query.delete("page");
  const text = query.toString();
  return text ? `#/console/cases?${text}` : "#/console/cases";
}

const LEVEL_ORDER = ["city", "district", "street", "community", "grid"];

/** The regions a list may be narrowed to, from the top down (each after its parent), with
 * their depth below the highest held (for indenting). */
export function regionChoices(regions) {
  const byParent = new Map();
  const ids = new Set(regions.map((r) => r.id));
  for (const r of regions) {
    const parent = ids.has(r.parent_id) ? r.parent_id : null;
    if (!byParent.has(parent)) byParent.set(parent, []);
    byParent.get(parent).push(r);
  }
  const out = [];
  const walk = (parent, depth) => {
    const children = (byParent.get(parent) || []).sort((a, b) =>
      LEVEL_ORDER.indexOf(a.level) - LEVEL_ORDER.indexOf(b.level) || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
    for (const r of children) {
      out.push({ id: r.id, name: r.name, level: r.level, depth });
      walk(r.id, depth + 1);
    }
  };
  walk(null, 0);
  return out;
}

/** The main classes (大类) of the catalogue: categories that other categories name as parent. */
export function mainClasses(categories) {
  const parents = new Set(categories.map((c) => c.parent_code).filter(Boolean));
  return categories.filter((c) => parents.has(c.code)).sort((a, b) => (a.code < b.code ? -1 : 1));
}

/** A timeline entry in words: what happened, and who did it in what capacity. */
export function describeStep(step, t, { reporterId = null } = {}) {
  let what;
  if (step.event === "reported") what = t("case.event.reported");
  else if (step.event === "received") what = t("case.event.received", { code: step.code || "" });
  else if (step.event === "overdue") what = t("case.event.overdue");
  else if (step.event === "action" && step.action === "merge") {
    what = t("case.event.merged_into", { code: step.merged_into_code || "" });
  } else if (step.event === "merged_in") {
    what = t("case.event.merged_in", { code: step.report_code || "", name: step.reporter_name || t("case.the_reporter") });
  } else if (step.event === "merged_along") {
    what = t("case.event.merged_along", { code: step.merged_into_code || "" });
  } else if (step.event === "action" && step.action) {
    what = t("case.event.action", { action: t(`case.action.${step.action}`), status: t(`status.${step.status}`) });
  } else if (step.status) what = t("case.event.status", { status: t(`status.${step.status}`) });
  else what = step.event || "";
  const name = step.by_name || (step.by && step.by === reporterId ? t("case.the_reporter") : "");
  const role = step.role ? t(`case.party.${step.role}`) : step.via === "sync" ? t("case.via_sync") : "";
  return { what, who: [name, role].filter(Boolean).join(" · ") };
}

/** Oldest first, as it happened. */
export function timelineSteps(caseData) {
  return [...(caseData.timeline || [])].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
}

// 批量立案 / 批量派遣: the actions the list offers on many cases at once, and its limit
// (backend/incidents/cases.py BULK_ACTIONS, BULK_MAX).
export const BULK_ACTIONS = ["register", "dispatch"];
export const BULK_MAX = 200;

/** The body of POST /api/v1/cases/actions: these ids (each once), the action and its target. */
export function bulkBody(action, ids, { departmentId = "", note = "" } = {}) {
  const body = { ids: [...new Set(ids)], action };
  if (action === "dispatch" && departmentId) body.department_id = departmentId;
  if (note.trim()) body.note = note.trim();
  return body;
}

/** The page's select-all box: "none", "some" (shown as mixed) or "all" of the rows chosen. */
export function selectionState(chosen, rows) {
  if (!rows || !chosen) return "none";
  return chosen >= rows ? "all" : "some";
}

/** A refused bulk request's cases (error.refused), each with its code for the reader. */
export function refusedCases(error, codesById = new Map()) {
  return (error?.body?.error?.refused || []).map((r) => ({
    id: r.id, code: codesById.get(r.id) || r.id, error: { code: r.code, ...r },
  }));
}

const OPEN = new Set(["reported", "registered", "dispatched", "handled", "verified"]);
const IN_HAND = ["registered", "dispatched", "handled", "verified"];
export const LATE_SHOWN = 20;

/**
 * The command centre's home from the synced store (so it works offline): counts a
 * supervisor reads at a glance, the reports waiting to be registered (newest first, all of
 * them: the street's inbox), and the open cases that are late — past the whole case's
 * deadline, or past the current step's — most overdue first, at most LATE_SHOWN.
 * `now` is an ISO time; `today` the city's date (YYYY-MM-DD) of reports counted as new.
 */
export function consoleDigest(reports, now, today, dayOf) {
  const open = reports.filter((r) => OPEN.has(r.status || "reported"));
  const isLate = (r) => Boolean(r.deadline_at && r.deadline_at < now);
  const isStepLate = (r) => Boolean(r.step_deadline_at && r.step_deadline_at < now);
  const waiting = open.filter((r) => (r.status || "reported") === "reported")
    .sort((a, b) => (a.reported_at < b.reported_at ? 1 : a.reported_at > b.reported_at ? -1 : 0));
  // Late first by how late the case is as a whole, then by its step.
  const lateness = (r) => (isLate(r) ? r.deadline_at : `~${r.step_deadline_at}`);
  const late = open.filter((r) => isLate(r) || isStepLate(r))
    .sort((a, b) => (lateness(a) < lateness(b) ? -1 : lateness(a) > lateness(b) ? 1 : 0));
  return {
    counts: {
      waiting: waiting.length,
      in_hand: open.filter((r) => IN_HAND.includes(r.status)).length,
      overdue: open.filter(isLate).length,
      step_overdue: open.filter((r) => !isLate(r) && isStepLate(r)).length,
      today: reports.filter((r) => r.reported_at && dayOf(r.reported_at) === today).length,
      all: reports.length,
    },
    waiting,
    late: late.slice(0, LATE_SHOWN),
    lateTotal: late.length,
    isLate,
  };
}

/** Where each count of the home leads: the case list with its filter (null: no filter). */
export const DIGEST_LINKS = {
  waiting: casesHash({ status: ["reported"] }),
  in_hand: casesHash({ status: IN_HAND }),
  overdue: casesHash({ overdue: true }),
  step_overdue: null,
  today: null,
  all: casesHash({}),
};
