// One case (案件详情) in the console: what was reported and where, its photos and "after"
// photos, who has it and until when, the timeline (who, in what capacity, when, why), and
// the buttons of exactly the actions the server says this user may take now. Each action
// opens a small form with what it needs; the answer is the case as it now is. Online only.
import { authed, authedAll } from "../app/api.js";
import { actionBody, actionForm, describeStep, missingInput, timelineSteps } from "../app/cases.js";
import { categoryName } from "../app/categories.js";
import { errorMessage } from "../app/i18n.js";
import { isNewer, onCaseChange } from "../app/live.js";
import { MAX_PHOTOS, photoSource, shrinkPhoto, uploadPhoto } from "../app/photos.js";
import * as store from "../app/store.js";
import { formatTime, h } from "../app/ui/dom.js";
import { liveStatus } from "../app/ui/live-status.js";
import { notificationBell } from "../app/ui/notification-bell.js";
import { caseMap } from "../app/ui/case-map.js";
import { statusChip } from "../app/ui/status-chip.js";
import { departmentsById, hasConsole, holderText } from "./cases.js";

function fullTime(iso, lang) {
  if (!iso) return "";
  return new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));
}

/** Thumbnails of some photos (the server's, by an authed fetch); release() frees them. */
function thumbnails(app, shas, { id, alt, caseId }) {
  const owner = app.owner();
  const urls = [];
  let released = false;
  const list = h("ul", { class: "photo-list", id });
  list.replaceChildren(...shas.map(() => h("li", { dataset: { state: "loading" } })));
  Promise.all(shas.map((sha) => photoSource(owner, sha, { has_blob: true }, { caseId }))).then((sources) => {
    if (released) return sources.forEach((s) => s.url && URL.revokeObjectURL(s.url));
    urls.push(...sources.map((s) => s.url).filter(Boolean));
    list.replaceChildren(...sources.map((source, i) => h("li", { dataset: { state: source.state || "shown" } },
      source.url ? h("img", { src: source.url, alt: app.t(alt, { n: i + 1 }) })
        : h("span", { class: "photo-placeholder" }, app.t("case.photo_unavailable")))));
  });
  return { element: list, release: () => { released = true; urls.forEach((u) => URL.revokeObjectURL(u)); } };
}

/** The grid workers a case may go back to (supervisors may list them; nobody else needs to). */
async function gridWorkers(caseData) {
  if (!caseData.grid_id) return [];
  try {
    return await authedAll(`/api/v1/accounts?role=worker&region_id=${caseData.grid_id}`);
  } catch {
    return [];
  }
}

function facts(app, c, names) {
  const { t } = app;
  const lang = app.language();
  const grid = names.regions.get(c.grid_id);
  return h("dl", { class: "card facts case-facts", id: "case-facts" },
    h("dt", {}, t("report.status")), h("dd", {}, statusChip(t, c.status, "case-status")),
    h("dt", {}, t("report.category")), h("dd", { id: "case-category" },
      categoryName(names.categories.get(c.category), lang) || c.category),
    h("dt", {}, t("case.tier_label")), h("dd", { id: "case-tier" }, t(`case.tier.${c.tier || "street"}`)),
    h("dt", {}, t("case.holder")), h("dd", { id: "case-holder" }, holderText(t, c, names.departments, names.workers)),
    h("dt", {}, t("report.reported_at")), h("dd", {}, fullTime(c.reported_at, lang)),
    h("dt", {}, t("report.deadline")), h("dd", { id: "case-deadline", class: c.overdue ? "overdue" : "" },
      c.deadline_at ? fullTime(c.deadline_at, lang) : "—",
      c.overdue ? h("span", { class: "badge overdue" }, t("report.overdue")) : null),
    c.step ? [h("dt", {}, t("case.step_deadline")),
      h("dd", { id: "case-step-deadline", class: c.step_overdue ? "overdue" : "" },
        `${t(`case.step.${c.step}`)} · ${c.step_deadline_at ? fullTime(c.step_deadline_at, lang) : "—"}`,
        c.step_overdue ? h("span", { class: "badge overdue" }, t("case.step_overdue")) : null)] : null,
    c.closed_at ? [h("dt", {}, t("case.closed_at")), h("dd", {}, fullTime(c.closed_at, lang))] : null,
    c.merged_into_id ? [h("dt", {}, t("case.merged_into")), h("dd", { id: "case-merged-into" },
      h("a", { href: `#/console/cases/${c.merged_into_id}`, class: "case-code" }, c.merged_into_code || c.merged_into_id))] : null,
    h("dt", {}, t("report.location")), h("dd", { id: "case-location" },
      grid ? `${grid.name} · ` : "", t("report.at_plain", { lat: Number(c.lat).toFixed(5), lon: Number(c.lon).toFixed(5) })),
    h("dt", {}, t("report.description")), h("dd", { id: "case-description" }, c.description || t("reports.no_description")));
}

function timeline(app, c, held) {
  const { t } = app;
  const lang = app.language();
  return h("ol", { class: "timeline", id: "case-timeline" }, timelineSteps(c).map((step) => {
    const { what, who } = describeStep(step, t, { reporterId: c.reporter_id });
    let photos = null;
    if (step.photos?.length) {
      const shown = thumbnails(app, step.photos, { alt: "case.after_photo_alt", caseId: c.id });
      held.push(shown);
      photos = shown.element;
    }
    const data = Object.entries({ event: step.event, action: step.action, status: step.status })
      .filter(([, value]) => value != null);
    return h("li", { dataset: Object.fromEntries(data) },
      step.at ? h("time", { datetime: step.at }, fullTime(step.at, lang)) : null,
      h("span", { class: "event" }, what),
      who ? h("span", { class: "who" }, who) : null,
      step.note ? h("p", { class: "note" }, step.note) : null,
      photos);
  }));
}

/** "After" photos chosen in the form: shrunk as they are picked, sent when the form goes. */
function afterPhotoPicker(t, required) {
  const picked = [];
  const list = h("ul", { class: "photo-list", id: "case-photo-list" });
  const status = h("p", { class: "hint", id: "case-photo-status", "aria-live": "polite" });
  const input = h("input", { type: "file", id: "case-photos", accept: "image/*", multiple: true });
  let busy = Promise.resolve();
  const draw = () => list.replaceChildren(...picked.map((p, i) => h("li", {},
    h("img", { src: p.url, alt: t("case.after_photo_alt", { n: i + 1 }) }))));
  input.addEventListener("change", () => {
    const files = [...input.files].slice(0, MAX_PHOTOS - picked.length);
    input.value = "";
    status.textContent = t("report.photo_processing");
    busy = busy.then(async () => {
      let failed = 0;
      for (const file of files) {
        try {
          const photo = await shrinkPhoto(file);
          if (!picked.some((p) => p.sha256 === photo.sha256)) picked.push({ ...photo, url: URL.createObjectURL(photo.blob) });
        } catch {
          failed += 1;
        }
      }
      draw();
      status.textContent = [t("report.photo_count", { n: picked.length, max: MAX_PHOTOS }),
        failed ? t("report.photo_failed", { n: failed }) : ""].filter(Boolean).join(" ");
    });
  });
  return {
    element: h("div", { class: "field" },
      h("label", { for: "case-photos" }, t(required ? "case.after_photos_required" : "case.after_photos_optional")),
      input, list, status),
    photos: async () => { await busy; return picked; },
    release: () => picked.forEach((p) => URL.revokeObjectURL(p.url)),
  };
}

/**
 * 疑似重复: open cases of the same category near this new report, and a Merge button for
 * each; merging asks first (what happens, an optional note), Escape or Cancel goes back.
 */
function duplicatesPanel(app, c, onMerged) {
  const { t } = app;
  const lang = app.language();
  const confirmBox = h("div", { id: "dup-confirm-box" });
  const ask = (dup, opener) => {
    const error = h("p", { class: "error", id: "dup-error", role: "alert" });
    const note = h("textarea", { id: "dup-note", rows: 2, maxlength: 2000 });
    const yes = h("button", { type: "button", class: "primary", id: "dup-confirm-yes" }, t("dup.confirm_yes"));
    const no = h("button", { type: "button", class: "secondary", id: "dup-confirm-no" }, t("case.cancel"));
    const back = () => { confirmBox.replaceChildren(); opener.focus(); };
    const box = h("div", { class: "card dup-confirm", id: "dup-confirm", role: "group", "aria-labelledby": "dup-confirm-text" },
      h("p", { id: "dup-confirm-text" }, t("dup.confirm", { code: dup.code })),
      h("label", { for: "dup-note" }, t("case.note_optional")), note,
      error, h("div", { class: "actions" }, yes, no));
    box.addEventListener("keydown", (e) => { if (e.key === "Escape") back(); });
    no.addEventListener("click", back);
    yes.addEventListener("click", async () => {
      yes.disabled = true;
      error.replaceChildren();
      try {
        const body = { action: "merge", target_id: dup.id, ...(note.value.trim() ? { note: note.value.trim() } : {}) };
        onMerged(await authed(`/api/v1/cases/${c.id}/actions`, { method: "POST", body }), dup);
      } catch (failure) {
        yes.disabled = false;
        error.textContent = errorMessage(failure);
      }
    });
    confirmBox.replaceChildren(box);
    yes.focus();
  };
  const items = (c.possible_duplicates || []).map((dup) => {
    const merge = h("button", { type: "button", class: "inline", id: `dup-merge-${dup.id}`, dataset: { id: dup.id } },
      t("dup.merge", { code: dup.code }));
    merge.addEventListener("click", () => ask(dup, merge));
    return h("li", { class: "dup-item", dataset: { id: dup.id } },
      h("a", { href: `#/console/cases/${dup.id}`, class: "case-code" }, dup.code), " ",
      statusChip(t, dup.status), " ",
      h("span", { class: "hint" }, t("dup.distance", { n: Math.round(dup.distance_m) }), " · ",
        t("dup.reported", { time: formatTime(dup.reported_at, lang) })),
      " ", merge);
  });
  return h("section", { class: "duplicates", id: "case-duplicates", "aria-labelledby": "dup-title" },
    h("h2", { id: "dup-title" }, t("dup.title")),
    h("p", { class: "hint" }, t("dup.hint")),
    items.length ? h("ul", { class: "dup-list", id: "dup-list" }, items) : h("p", { class: "hint", id: "dup-none" }, t("dup.none")),
    confirmBox);
}

/** The form of one action: only the fields it needs, its errors beside it. */
function actionPanel(app, c, action, { departments, workers, onDone, onCancel }) {
  const { t } = app;
  const needs = actionForm(action);
  const error = h("p", { class: "error", id: "case-action-error", role: "alert" });
  const note = h("textarea", { id: "case-note", name: "note", rows: 3, maxlength: 2000,
    "aria-required": needs.note === "required" ? "true" : null });
  const target = needs.target ? h("select", { id: "case-target", name: "target" },
    h("option", { value: "" }, t("case.choose_target")),
    h("optgroup", { label: t("case.to_department") },
      [...departments.values()].map((d) => h("option", { value: `department:${d.id}` }, d.name))),
    workers.length ? h("optgroup", { label: t("case.to_worker") },
      workers.map((w) => h("option", { value: `worker:${w.id}` }, w.display_name || w.username))) : null)
    : null;
  const picker = needs.photos ? afterPhotoPicker(t, needs.photos === "required") : null;
  const submit = h("button", { type: "submit", class: "primary", id: "case-action-submit" }, t(`case.action.${action}`));
  const form = h("form", { class: "card case-action-form", id: "case-action-form", dataset: { action }, novalidate: true },
    h("h2", {}, t(`case.action.${action}`)),
    target ? [h("label", { for: "case-target" }, t("case.target")), target] : null,
    h("label", { for: "case-note" }, t(needs.note === "required" ? "case.note_required" : "case.note_optional")), note,
    picker?.element,
    error,
    h("div", { class: "actions" }, submit,
      h("button", { type: "button", class: "secondary", id: "case-action-cancel" }, t("case.cancel"))));
  const release = () => picker?.release();
  form.querySelector("#case-action-cancel").addEventListener("click", () => { release(); onCancel(); });
  form.addEventListener("keydown", (e) => {
    if (e.key === "Escape") { release(); onCancel(); }
  });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.replaceChildren();
    const picked = picker ? await picker.photos() : [];
    const values = { note: note.value, target: target?.value || "", photos: picked.map((p) => p.sha256) };
    const missing = missingInput(action, values);
    if (missing) {
      error.textContent = t(`error.${missing}`);
      (missing === "note_required" ? note : missing === "dispatch_target_required" ? target : form.querySelector("#case-photos"))?.focus();
      return;
    }
    submit.disabled = true;
    try {
      for (const photo of picked) await uploadPhoto(photo);
      const answer = await authed(`/api/v1/cases/${c.id}/actions`, { method: "POST", body: actionBody(action, values) });
      release();
      onDone(answer);
    } catch (failure) {
      submit.disabled = false;
      const current = failure?.body?.error?.current?.status;
      error.replaceChildren(errorMessage(failure),
        current ? ` ${t("case.now_status", { status: t(`status.${current}`) })}` : "",
        current ? h("button", { type: "button", class: "inline", id: "case-reload" }, t("case.reload")) : null);
      error.querySelector("#case-reload")?.addEventListener("click", () => { release(); onCancel(true); });
    }
  });
  return form;
}

/**
 * When this case changes elsewhere: redrawn at once (focus kept) unless the user is filling
 * in an action's form or typing, whose work must not be lost; then a note offers to refresh.
 * A resync (events may have been missed) reads the case to see whether it changed.
 */
function liveRedraw(app, section, id, shown, load) {
  return async (change) => {
    let newer = shown() && isNewer(change, id, shown().version);
    if (shown() && change.type === "resync") {
      try {
        newer = (await authed(`/api/v1/cases/${id}`)).version > shown().version;
      } catch {
        return;
      }
    }
    if (!newer || !section.isConnected) return;
    const focused = section.contains(document.activeElement) ? document.activeElement : null;
    if (section.querySelector("#case-action-form, #dup-confirm") || focused?.matches("textarea, input, select")) {
      const refresh = h("button", { type: "button", class: "inline", id: "case-live-refresh" }, app.t("live.refresh"));
      refresh.addEventListener("click", () => load());
      section.querySelector("#case-announce")?.replaceChildren(
        h("span", { class: "case-changed", id: "case-changed" }, app.t("live.case_changed"), " ", refresh));
      return;
    }
    await load();
    if (focused?.id) document.getElementById(focused.id)?.focus();
  };
}

export async function mount(root, { id }, app) {
  const { t } = app;
  const owner = app.owner();
  const user = app.session().user;
  const section = h("section", { id: "case-page", class: "wide" });
  const bell = notificationBell(app, { where: "console" });
  root.append(section);
  const [categories, regions, departments] = await Promise.all([store.view(owner, "categories"),
    store.view(owner, "regions"), departmentsById()]);
  const names = { categories: new Map(categories.map((c) => [c.code, c])),
    regions: new Map(regions.map((r) => [r.id, r])), departments, workers: new Map() };
  let held = [];  // thumbnails to release on the next render
  let workers = null;
  let current = null;  // the case as shown
  const live = liveStatus(app);

  const render = async (c, { announce = "" } = {}) => {
    current = c;
    if (hasConsole(user) && workers === null && (c.actions.includes("dispatch") || c.assignee_id)) {
      workers = await gridWorkers(c);
      names.workers = new Map(workers.map((w) => [w.id, w]));
    }
    held.forEach((shown) => shown.release());
    held = [];
    const photos = thumbnails(app, c.photos || [], { id: "case-photos-before", alt: "report.photo_alt", caseId: c.id });
    const after = thumbnails(app, c.after_photos || [], { id: "case-photos-after", alt: "case.after_photo_alt", caseId: c.id });
    held.push(photos, after);
    const where = caseMap(c, names.regions.get(c.grid_id), t("case.map_label"));
    held.push(where);
    const panel = h("div", { id: "case-action-panel" });
    // A merge needs the case it goes into: it is taken from the duplicates panel.
    const shown = c.actions.filter((action) => action !== "merge");
    const duplicates = c.actions.includes("merge")
      ? duplicatesPanel(app, c, (answer, dup) => render(answer, { announce: t("dup.merged", { code: dup.code }) }))
      : null;
    const buttons = h("div", { class: "toolbar case-actions", id: "case-actions", role: "group", "aria-label": t("case.actions") },
      shown.length ? shown.map((action) => h("button", { type: "button", class: "inline", id: `case-do-${action}`,
        dataset: { action } }, t(`case.action.${action}`)))
        : h("p", { class: "hint", id: "case-no-actions" }, t("case.no_actions")));
    for (const button of buttons.querySelectorAll("button")) {
      button.addEventListener("click", () => {
        for (const other of buttons.querySelectorAll("button")) other.setAttribute("aria-pressed", String(other === button));
        const form = actionPanel(app, c, button.dataset.action, {
          departments, workers: workers || [],
          onDone: (answer) => render(answer, { announce: t("case.done", { action: t(`case.action.${button.dataset.action}`) }) }),
          onCancel: (reload) => (reload ? load() : render(c)),
        });
        panel.replaceChildren(form);
        form.querySelector("select, textarea, input")?.focus();
      });
    }
    const title = h("h1", { id: "case-title", tabindex: "-1" }, c.code || t("reports.no_code"), " ", statusChip(t, c.status));
    section.replaceChildren(
      h("div", { class: "console-head" }, title, live.element, bell.element,
        h("a", { class: "button secondary", href: "#/console/cases", id: "case-back" }, t("cases.title")),
        hasConsole(user) ? h("a", { class: "button secondary", href: "#/console" }, t("console.title")) : null),
      h("p", { class: "hint", id: "case-announce", role: "status" }, announce),
      h("div", { class: "case-layout" },
        h("div", { class: "case-main" },
          facts(app, c, names),
          where.element,
          h("h2", {}, t("report.photos_saved")),
          (c.photos || []).length ? photos.element : h("p", { class: "hint" }, t("report.no_photos")),
          h("h2", {}, t("case.after_photos")),
          (c.after_photos || []).length ? after.element : h("p", { class: "hint", id: "case-no-after" }, t("case.no_after_photos"))),
        h("div", { class: "case-side" },
          h("h2", {}, t("case.actions")), buttons, panel,
          duplicates,
          h("h2", { id: "case-timeline-title" }, t("report.timeline")),
          timeline(app, c, held))));
    where.draw();
    if (announce) title.focus();
  };

  const load = async () => {
    try {
      await render(await authed(`/api/v1/cases/${id}`));
    } catch (error) {
      section.replaceChildren(h("h1", {}, t("case.title")),
        h("p", { class: "error", role: "alert", id: "case-error" },
          navigator.onLine ? errorMessage(error) : t("cases.offline")),
        h("a", { class: "button secondary", href: "#/console/cases" }, t("cases.title")));
    }
  };
  await load();
  const offLive = onCaseChange(liveRedraw(app, section, id, () => current, load));
  return () => { held.forEach((shown) => shown.release()); bell.stop(); live.stop(); offLive(); };
}
