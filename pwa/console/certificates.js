// E-certificates in the console (电子证照管理): certificate types and their fields, issuers and
// their signing keys (rotation), issuing one certificate, the issued certificates with
// revoke / suspend / reinstate, and the bulk import from CSV with its progress. For
// administrators, and for department staff on their own department's issuers (the API
// filters what each may see and do). Online only: certificates are signed on the server.
// The format and the API: docs/CERTIFICATES.md.
import { authed, authedAll } from "../app/api.js";
import { errorMessage } from "../app/i18n.js";
import { formatTime, h } from "../app/ui/dom.js";
import { isNetworkFailure, offlineNotice } from "../app/ui/offline-notice.js";

export const TABS = ["certificates", "issue", "import", "types", "issuers"];
export const STATUSES = ["valid", "expired", "suspended", "revoked"];
// The import's columns before the type's own fields (docs/CERTIFICATES.md, "The API").
export const IMPORT_COLUMNS = ["type", "holder", "holder_name", "number", "expires_at"];
export const IMPORT_POLL_MS = 500;
const FIELD_KEY = /^[a-z][a-z0-9_]{0,31}$/;
const TYPE_CODE = /^[A-Z][A-Z0-9]{0,15}$/;
const PER_PAGE = 20;

// -- rules: pure, tested in tests/js/certificates-console.test.mjs ----------------------------

/** A list answer either bare or paged ({ items }). */
export const itemsOf = (answer) => (Array.isArray(answer) ? answer : answer?.items || []);

/** The tab and the certificate search from the address (?tab=&q=&type=&status=&page=). */
export function stateFromQuery(query = "") {
  const params = new URLSearchParams(query || "");
  const tab = TABS.includes(params.get("tab")) ? params.get("tab") : "certificates";
  const status = STATUSES.includes(params.get("status")) ? params.get("status") : "";
  const page = Math.max(1, Number.parseInt(params.get("page"), 10) || 1);
  return { tab, q: params.get("q") || "", type: params.get("type") || "", status, page };
}

export function certificatesHash(state) {
  const params = new URLSearchParams({ tab: state.tab });
  for (const key of ["q", "type", "status"]) if (state[key]) params.set(key, state[key]);
  if (state.page > 1) params.set("page", String(state.page));
  return `#/console/certificates?${params}`;
}

/** The API's query for the issued certificates: only the filters that are set. */
export function searchQuery({ q = "", type = "", status = "", page = 1 } = {}) {
  const params = new URLSearchParams();
  if (q.trim()) params.set("q", q.trim());
  if (type) params.set("type", type);
  if (status) params.set("status", status);
  params.set("page", String(page));
  params.set("per_page", String(PER_PAGE));
  return params.toString();
}

/** A type's field rows for the editor (copies; at least one, blank, for a new type). */
export function fieldRowsOf(type) {
  const rows = (type?.fields || []).map((f) => ({ key: f.key || "", label: f.label || "", label_en: f.label_en || "" }));
  return rows.length ? rows : [{ key: "", label: "", label_en: "" }];
}

/**
 * The fields as the server takes them from the editor's rows: trimmed, blank rows left out.
 * Or the first problem as { error: { index, key } } (key: an i18n key; index: the row).
 */
export function fieldsFromRows(rows) {
  const fields = [];
  const seen = new Set();
  for (const [index, row] of rows.entries()) {
    const key = (row.key || "").trim();
    const label = (row.label || "").trim();
    const labelEn = (row.label_en || "").trim();
    if (!key && !label && !labelEn) continue;
    if (!FIELD_KEY.test(key)) return { error: { index, key: "certconsole.field_key_bad" } };
    if (IMPORT_COLUMNS.includes(key)) return { error: { index, key: "certconsole.field_key_reserved" } };
    if (seen.has(key)) return { error: { index, key: "certconsole.field_key_twice" } };
    if (!label) return { error: { index, key: "certconsole.field_label_needed" } };
    seen.add(key);
    fields.push({ key, label, label_en: labelEn || label });
  }
  return { fields };
}

/**
 * A certificate type from the form's values ({ code, name, name_en, issuer_id,
 * never_expires, validity_days, rows }), as { payload } or { error: { field, key } }.
 */
export function typePayload(values) {
  const code = (values.code || "").trim().toUpperCase();
  const name = (values.name || "").trim();
  if (!TYPE_CODE.test(code)) return { error: { field: "code", key: "certconsole.type_code_hint" } };
  if (!name) return { error: { field: "name", key: "certconsole.need_name" } };
  if (!values.issuer_id) return { error: { field: "issuer", key: "certconsole.need_issuer" } };
  let validityDays = null;
  if (!values.never_expires) {
    validityDays = Number(values.validity_days);
    if (String(values.validity_days ?? "").trim() === "" || !Number.isInteger(validityDays) || validityDays < 1) {
      return { error: { field: "validity", key: "certconsole.validity_bad" } };
    }
  }
  const checked = fieldsFromRows(values.rows || []);
  if (checked.error) return { error: { field: "fields", index: checked.error.index, key: checked.error.key } };
  return { payload: { code, name, name_en: (values.name_en || "").trim() || name, issuer_id: values.issuer_id,
    validity_days: validityDays, fields: checked.fields } };
}

/** What an edit changes: only that goes in the PATCH. */
export const changedFields = (before, fields) =>
  Object.fromEntries(Object.entries(fields).filter(([k, v]) => JSON.stringify(before?.[k]) !== JSON.stringify(v)));

/** The end of a city day ("2031-06-30") in the browser's zone, as ISO 8601 with offset. */
export function endOfDay(day) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day || "")) return null;
  const at = new Date(`${day}T23:59:59`);
  return Number.isNaN(at.getTime()) ? null : at.toISOString();
}

/**
 * One certificate to issue from the form ({ type, holder, holder_name, number, expires_on,
 * fields: { key: value } }) for a type: { payload } or { error: { field, key } }. Every
 * field of the type is sent (blank as ""): the digest binds them all.
 */
export function issuePayload(values, type) {
  if (!type) return { error: { field: "type", key: "certconsole.need_type" } };
  const holder = (values.holder || "").trim();
  const holderName = (values.holder_name || "").trim();
  if (!holder) return { error: { field: "holder", key: "certconsole.need_holder" } };
  if (!holderName) return { error: { field: "holder_name", key: "certconsole.need_holder_name" } };
  const fields = Object.fromEntries((type.fields || []).map((f) => [f.key, String(values.fields?.[f.key] ?? "").trim()]));
  const missing = (type.fields || []).find((f) => !fields[f.key]);
  if (missing) return { error: { field: `field-${missing.key}`, key: "certconsole.need_field", label: missing.label } };
  const payload = { type: type.code, holder, holder_name: holderName, fields };
  const number = (values.number || "").trim();
  if (number) payload.number = number;
  if (values.expires_on) {
    const expiresAt = endOfDay(values.expires_on);
    if (!expiresAt || new Date(expiresAt) <= new Date()) return { error: { field: "expires", key: "certconsole.expiry_bad" } };
    payload.expires_at = expiresAt;
  }
  return { payload };
}

/** One CSV cell (RFC 4180): quoted when it holds a comma, a quote or a line break. */
export const csvCell = (value) => {
  const text = String(value ?? "");
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};

/** The import's columns for a type: the fixed ones, then one per field key. */
export const importColumns = (type) => [...IMPORT_COLUMNS, ...(type?.fields || []).map((f) => f.key)];

/**
 * The CSV template for a type: the header row and one row to fill (the type's code in the
 * first column), CRLF, with a byte-order mark so that Excel reads the Chinese as UTF-8.
 */
export function csvTemplate(type) {
  const columns = importColumns(type);
  const example = columns.map((c) => (c === "type" ? type.code : ""));
  return `\uFEFF${[columns, example].map((row) => row.map(csvCell).join(",")).join("\r\n")}\r\n`;
}

/** A CSV file's text: UTF-8 (with or without a BOM), else GB18030 as Excel saves it in China. */
export function decodeCsv(bytes) {
  let text;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    text = new TextDecoder("gb18030").decode(bytes);
  }
  return text.replace(/^\uFEFF/, "");
}

/** What the import's progress bar shows for a job. */
export function importView(job) {
  const total = Number(job?.total) || 0;
  const done = Math.min(Number(job?.done) || 0, total || Infinity);
  const finished = job?.status === "done" || job?.status === "failed";
  return { phase: job?.status || "checking", total, done, finished,
    percent: total ? Math.round((done / total) * 100) : finished ? 100 : null,
    errors: job?.status === "failed" ? [...(job.errors || [])].sort((a, b) => a.line - b.line) : [],
    issued: job?.status === "done" ? Number(job.issued ?? done) : 0 };
}

/** The status changes a certificate's status allows: revoked is final. */
export function statusActions(status) {
  if (status === "valid") return ["suspended", "revoked"];
  if (status === "suspended") return ["valid", "revoked"];
  if (status === "expired") return ["revoked"];
  return [];
}

/** A label in the reader's language (English when there is one and the page is English). */
export const localName = (item, lang, key = "name") =>
  (lang === "en" ? item?.[`${key}_en`] || item?.[key] : item?.[key] || item?.[`${key}_en`]) || "";

/** A key's row in the issuer's table, newest first. */
export const keysNewestFirst = (keys) => [...(keys || [])].sort((a, b) =>
  String(b.created_at || "").localeCompare(String(a.created_at || "")));

// -- the parts ---------------------------------------------------------------------------------

/** dom.js's latestOnly, passing the call's arguments on: only the latest call draws. */
function latest(render) {
  let generation = 0;
  return (...args) => {
    const mine = ++generation;
    return render(() => mine !== generation, ...args);
  };
}

/** The catalogue's words for an error: certconsole.error.<code>, else the app's usual ones. */
function errorText(t, error) {
  const key = `certconsole.error.${error?.code}`;
  const text = t(key, error?.body?.error || {});
  return text === key ? errorMessage(error) : text;
}

function field(id, label, input, hint) {
  return h("div", { class: "field" }, h("label", { for: id }, label), input,
    hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null);
}

const dayOf = (iso, lang) => (iso ? new Intl.DateTimeFormat(lang, { dateStyle: "medium" }).format(new Date(iso)) : "");

function typeOptions(t, types, lang, { all = false, by = "code" } = {}) {
  return [all ? h("option", { value: "" }, t("certconsole.all_types")) : h("option", { value: "" }, t("certconsole.choose_type")),
    ...types.map((ty) => h("option", { value: ty[by] }, `${ty.code} · ${localName(ty, lang)}`))];
}

/** The field rows editor: key, label, English label per row, with add and remove. */
function fieldRowsEditor(t, rows) {
  const list = h("div", { class: "certcon-field-rows", id: "type-field-rows" });
  let next = 0;
  const addRow = (row = { key: "", label: "", label_en: "" }) => {
    const n = next++;
    const input = (name, value, extra = {}) => h("input", { id: `type-field-${n}-${name}`, value, dataset: { role: name },
      autocomplete: "off", ...extra });
    const key = input("key", row.key, { maxlength: 32, "aria-describedby": "type-fields-hint", spellcheck: "false" });
    const label = input("label", row.label, { maxlength: 50 });
    const labelEn = input("label_en", row.label_en, { maxlength: 50, lang: "en" });
    const line = h("div", { class: "certcon-field-row", dataset: { row: String(n) } },
      field(key.id, t("certconsole.field_key"), key),
      field(label.id, t("certconsole.field_label"), label),
      field(labelEn.id, t("certconsole.field_label_en"), labelEn),
      h("button", { type: "button", class: "inline danger", id: `type-field-${n}-remove`,
        "aria-label": t("certconsole.field_remove_named", { n: list.children.length + 1 }),
        onclick: () => {
          const after = line.nextElementSibling || line.previousElementSibling;
          line.remove();
          (after?.querySelector("input") || add).focus();
        } }, t("certconsole.remove")));
    list.append(line);
    return key;
  };
  rows.forEach((row) => addRow(row));
  const add = h("button", { type: "button", class: "inline", id: "type-field-add", onclick: () => addRow().focus() },
    t("certconsole.field_add"));
  const element = h("fieldset", { id: "type-fields", class: "certcon-fields" },
    h("legend", { class: "label" }, t("certconsole.fields")),
    h("p", { class: "hint", id: "type-fields-hint" }, t("certconsole.fields_hint")), list, add);
  const read = () => [...list.querySelectorAll(".certcon-field-row")].map((line) => ({
    key: line.querySelector('[data-role="key"]').value, label: line.querySelector('[data-role="label"]').value,
    label_en: line.querySelector('[data-role="label_en"]').value }));
  const rowInput = (index) => list.querySelectorAll(".certcon-field-row")[index]?.querySelector("input");
  return { element, read, rowInput };
}

function typesPart(app, data, reload) {
  const { t } = app;
  const lang = app.language();
  const issuerName = new Map(data.issuers.map((i) => [i.id, `${i.code} · ${localName(i, lang)}`]));
  const table = h("table", { class: "table", id: "types-table" },
    h("caption", { class: "sr-only" }, t("certconsole.types")),
    h("thead", {}, h("tr", {}, ["code", "name", "issuer", "validity", "fields", "actions"].map((k) =>
      h("th", { scope: "col" }, t(`certconsole.type_col.${k}`))))),
    h("tbody", {}, data.types.length ? data.types.map((ty) => h("tr", { dataset: { id: ty.id, code: ty.code } },
      h("th", { scope: "row" }, ty.code),
      h("td", {}, ty.name, ty.name_en && ty.name_en !== ty.name ? h("span", { class: "hint", lang: "en" }, ` ${ty.name_en}`) : null),
      h("td", {}, issuerName.get(ty.issuer_id) || ty.issuer_name || ty.issuer || ""),
      h("td", { class: "type-validity" }, ty.validity_days == null ? t("certconsole.never_expires")
        : t("certconsole.days", { n: ty.validity_days })),
      h("td", { class: "type-fields" }, (ty.fields || []).map((f) => localName(f, lang, "label")).join("、")),
      h("td", {}, h("button", { type: "button", class: "inline", "aria-label": t("certconsole.edit_named", { name: ty.name }),
        dataset: { action: "edit" }, onclick: () => { fill(ty); form.querySelector("#type-name").focus(); } },
      t("certconsole.edit")))))
      : h("tr", {}, h("td", { colspan: 6, class: "hint" }, t("certconsole.no_types")))));

  let editing = null;
  const inputs = {
    code: h("input", { id: "type-code", maxlength: 16, required: true, autocomplete: "off", spellcheck: "false",
      "aria-describedby": "type-code-hint" }),
    name: h("input", { id: "type-name", maxlength: 100, required: true }),
    name_en: h("input", { id: "type-name-en", maxlength: 100, lang: "en" }),
    issuer: h("select", { id: "type-issuer", required: true }, h("option", { value: "" }, t("certconsole.choose_issuer")),
      data.issuers.map((i) => h("option", { value: i.id }, `${i.code} · ${localName(i, lang)}`))),
    validity: h("input", { id: "type-validity", type: "number", min: 1, max: 36500, step: 1, value: "3650" }),
    never: h("input", { id: "type-never", type: "checkbox" }),
  };
  inputs.never.addEventListener("change", () => { inputs.validity.disabled = inputs.never.checked; });
  const title = h("h3", { id: "type-form-title" }, t("certconsole.type_add"));
  const error = h("p", { id: "type-error", class: "error", role: "alert" });
  const rowsSlot = h("div", {});
  let rows = fieldRowsEditor(t, fieldRowsOf(null));
  rowsSlot.append(rows.element);
  const fill = (ty) => {
    editing = ty;
    title.textContent = ty ? t("certconsole.type_edit_named", { name: ty.name }) : t("certconsole.type_add");
    inputs.code.value = ty?.code || "";
    inputs.code.readOnly = Boolean(ty);  // a type's code is in every QR it signed
    inputs.name.value = ty?.name || "";
    inputs.name_en.value = ty?.name_en || "";
    inputs.issuer.value = ty?.issuer_id || (data.issuers.length === 1 ? data.issuers[0].id : "");
    inputs.never.checked = Boolean(ty) && ty.validity_days == null;
    inputs.validity.value = ty?.validity_days != null ? String(ty.validity_days) : "3650";
    inputs.validity.disabled = inputs.never.checked;
    rows = fieldRowsEditor(t, fieldRowsOf(ty));
    rowsSlot.replaceChildren(rows.element);
    error.replaceChildren();
  };
  fill(null);
  const form = h("form", { id: "type-form", class: "card", novalidate: true }, title,
    h("div", { class: "form-grid" },
      field("type-code", t("certconsole.type_code"), inputs.code, t("certconsole.type_code_hint")),
      field("type-name", t("certconsole.type_name"), inputs.name),
      field("type-name-en", t("certconsole.type_name_en"), inputs.name_en),
      field("type-issuer", t("certconsole.issuer"), inputs.issuer),
      field("type-validity", t("certconsole.validity_days"), inputs.validity)),
    h("label", { class: "check", for: "type-never" }, inputs.never, ` ${t("certconsole.never_expires_long")}`),
    rowsSlot, error,
    h("div", { class: "toolbar" },
      h("button", { type: "submit", class: "primary", id: "type-save" }, t("certconsole.save")),
      h("button", { type: "button", class: "secondary", id: "type-new", onclick: () => { fill(null); inputs.code.focus(); } },
        t("certconsole.type_new"))));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.replaceChildren();
    const checked = typePayload({ code: inputs.code.value, name: inputs.name.value, name_en: inputs.name_en.value,
      issuer_id: inputs.issuer.value, never_expires: inputs.never.checked, validity_days: inputs.validity.value,
      rows: rows.read() });
    if (checked.error) {
      error.textContent = t(checked.error.key, { n: (checked.error.index ?? 0) + 1 });
      const target = { code: inputs.code, name: inputs.name, issuer: inputs.issuer, validity: inputs.validity }[checked.error.field]
        || rows.rowInput(checked.error.index);
      target?.focus();
      return;
    }
    try {
      if (editing) {
        const { code: _code, ...rest } = checked.payload;
        await authed(`/api/v1/certificate-types/${editing.id}`, { method: "PATCH", body: changedFields(editing, rest) });
      } else {
        await authed("/api/v1/certificate-types", { method: "POST", body: checked.payload });
      }
      app.toast(t("certconsole.saved"));
      reload("#type-new");
    } catch (failure) {
      error.textContent = errorText(t, failure);
    }
  });
  return h("section", { class: "certcon-part", "aria-labelledby": "types-title" },
    h("h2", { id: "types-title" }, t("certconsole.types")),
    data.issuers.length ? null : h("p", { class: "hint", id: "types-need-issuer" }, t("certconsole.types_need_issuer")),
    h("div", { class: "scroll" }, table), form);
}

/** A key's rotation: the button asks, a second button confirms (or cancel goes back). */
function rotateControl(app, issuer, onRotated) {
  const { t } = app;
  const error = h("p", { class: "error", role: "alert", id: `rotate-error-${issuer.code}` });
  const box = h("div", { class: "toolbar certcon-rotate", dataset: { issuer: issuer.code } });
  const ask = () => {
    const confirm = h("button", { type: "button", class: "inline danger", id: `rotate-confirm-${issuer.code}` },
      t("certconsole.rotate_confirm"));
    const cancel = h("button", { type: "button", class: "inline", id: `rotate-cancel-${issuer.code}` }, t("certconsole.cancel"));
    cancel.addEventListener("click", () => { idle(); box.querySelector("button").focus(); });
    confirm.addEventListener("click", async () => {
      confirm.disabled = true;
      cancel.disabled = true;
      error.replaceChildren();
      try {
        await authed(`/api/v1/certificate-issuers/${issuer.id}/keys`, { method: "POST", body: {} });
        app.toast(t("certconsole.rotated", { code: issuer.code }));
        onRotated(`#rotate-${issuer.code}`);
      } catch (failure) {
        error.textContent = errorText(t, failure);
        idle();
      }
    });
    box.replaceChildren(h("span", { class: "warn", id: `rotate-question-${issuer.code}` },
      t("certconsole.rotate_question", { code: issuer.code })), confirm, cancel);
    confirm.focus();
  };
  const idle = () => box.replaceChildren(h("button", { type: "button", class: "inline", id: `rotate-${issuer.code}`,
    "aria-label": t("certconsole.rotate_named", { code: issuer.code }), onclick: ask }, t("certconsole.rotate")));
  idle();
  return h("div", {}, box, error);
}

function issuersPart(app, data, reload) {
  const { t } = app;
  const isAdmin = app.session()?.user.roles?.includes("admin");
  const lang = app.language();
  const departmentName = new Map(data.departments.map((d) => [d.id, d.name]));
  const issuerCard = (issuer) => h("article", { class: "card certcon-issuer", id: `issuer-${issuer.code}`,
    dataset: { id: issuer.id, code: issuer.code } },
  h("h3", {}, `${issuer.code} · ${localName(issuer, lang)}`),
  h("p", { class: "hint" }, t("certconsole.issuer_department", {
    name: departmentName.get(issuer.department_id) || issuer.department_name || issuer.department?.name || "—" })),
  h("div", { class: "scroll" }, h("table", { class: "table certcon-keys", id: `keys-${issuer.code}` },
    h("caption", { class: "sr-only" }, t("certconsole.keys_of", { code: issuer.code })),
    h("thead", {}, h("tr", {}, ["kid", "status", "created", "retired", "certificates"].map((k) =>
      h("th", { scope: "col" }, t(`certconsole.key_col.${k}`))))),
    h("tbody", {}, keysNewestFirst(issuer.keys).map((key) => h("tr", { dataset: { kid: key.kid, status: key.status } },
      h("th", { scope: "row" }, h("code", {}, key.kid)),
      h("td", {}, h("span", { class: "status-chip certcon-key-status certcon-chip", dataset: { status: key.status } },
        t(`certconsole.key_status.${key.status}`))),
      h("td", {}, formatTime(key.created_at, lang)),
      h("td", {}, key.retired_at ? formatTime(key.retired_at, lang) : "—"),
      h("td", { class: "count" }, String(key.certificates ?? 0))))))),
  rotateControl(app, issuer, reload));

  const code = h("input", { id: "issuer-code", maxlength: 16, required: true, autocomplete: "off", spellcheck: "false",
    "aria-describedby": "issuer-code-hint" });
  const name = h("input", { id: "issuer-name", maxlength: 100, required: true });
  const department = h("select", { id: "issuer-department", required: true },
    h("option", { value: "" }, t("certconsole.choose_department")),
    data.departments.map((d) => h("option", { value: d.id }, d.name)));
  const error = h("p", { id: "issuer-error", class: "error", role: "alert" });
  const form = h("form", { id: "issuer-form", class: "card", novalidate: true },
    h("h3", {}, t("certconsole.issuer_add")),
    h("div", { class: "form-grid" },
      field("issuer-code", t("certconsole.issuer_code"), code, t("certconsole.issuer_code_hint")),
      field("issuer-name", t("certconsole.issuer_name"), name),
      field("issuer-department", t("certconsole.department"), department)),
    error,
    h("button", { type: "submit", class: "primary", id: "issuer-save" }, t("certconsole.issuer_create")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.replaceChildren();
    const body = { code: code.value.trim().toUpperCase(), name: name.value.trim(), department_id: department.value };
    if (!TYPE_CODE.test(body.code)) { error.textContent = t("certconsole.issuer_code_hint"); code.focus(); return; }
    if (!body.name) { error.textContent = t("certconsole.need_name"); name.focus(); return; }
    if (!body.department_id) { error.textContent = t("certconsole.need_department"); department.focus(); return; }
    try {
      await authed("/api/v1/certificate-issuers", { method: "POST", body });
      app.toast(t("certconsole.saved"));
      reload(`#rotate-${body.code}`);
    } catch (failure) {
      error.textContent = errorText(t, failure);
    }
  });
  return h("section", { class: "certcon-part", "aria-labelledby": "issuers-title" },
    h("h2", { id: "issuers-title" }, t("certconsole.issuers")),
    h("p", { class: "hint" }, t("certconsole.issuers_hint")),
    data.issuers.length ? h("div", { id: "issuer-list" }, data.issuers.map(issuerCard))
      : h("p", { class: "hint", id: "issuer-list" }, t("certconsole.no_issuers")),
    isAdmin ? form : null);  // only administrators make issuers
}

function issuePart(app, data, onIssued) {
  const { t } = app;
  const lang = app.language();
  const type = h("select", { id: "issue-type", required: true }, typeOptions(t, data.types, lang, { by: "code" }));
  const holder = h("input", { id: "issue-holder", maxlength: 64, required: true, autocomplete: "off", spellcheck: "false",
    "aria-describedby": "issue-holder-hint" });
  const holderName = h("input", { id: "issue-holder-name", maxlength: 100, required: true, autocomplete: "off" });
  const number = h("input", { id: "issue-number", maxlength: 64, autocomplete: "off", pattern: "[0-9A-Za-z\\-]{1,64}", "aria-describedby": "issue-number-hint" });
  const expires = h("input", { id: "issue-expires", type: "date", "aria-describedby": "issue-expires-hint" });
  const fieldsBox = h("fieldset", { id: "issue-fields", hidden: true });
  const error = h("p", { id: "issue-error", class: "error", role: "alert" });
  const result = h("p", { id: "issue-result", class: "notice", role: "status", hidden: true });
  const chosen = () => data.types.find((ty) => ty.code === type.value) || null;
  const drawFields = () => {
    const ty = chosen();
    fieldsBox.hidden = !ty?.fields?.length;
    fieldsBox.replaceChildren(h("legend", { class: "label" }, t("certconsole.issue_fields")),
      h("div", { class: "form-grid" }, (ty?.fields || []).map((f) => field(`issue-field-${f.key}`, localName(f, lang, "label"),
        h("input", { id: `issue-field-${f.key}`, maxlength: 500, required: true, autocomplete: "off", dataset: { key: f.key } })))));
  };
  type.addEventListener("change", drawFields);
  const form = h("form", { id: "issue-form", class: "card", novalidate: true },
    h("div", { class: "form-grid" },
      field("issue-type", t("certconsole.type"), type),
      field("issue-holder", t("certconsole.holder"), holder, t("certconsole.holder_hint")),
      field("issue-holder-name", t("certconsole.holder_name"), holderName),
      field("issue-number", t("certconsole.number_optional"), number, t("certconsole.number_hint")),
      field("issue-expires", t("certconsole.expires_optional"), expires, t("certconsole.expires_hint"))),
    fieldsBox, error, result,
    h("button", { type: "submit", class: "primary", id: "issue-submit" }, t("certconsole.issue_submit")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.replaceChildren();
    result.hidden = true;
    const values = { type: type.value, holder: holder.value, holder_name: holderName.value, number: number.value,
      expires_on: expires.value,
      fields: Object.fromEntries([...fieldsBox.querySelectorAll("input")].map((i) => [i.dataset.key, i.value])) };
    const checked = issuePayload(values, chosen());
    if (checked.error) {
      error.textContent = t(checked.error.key, { label: checked.error.label || "" });
      form.querySelector(`#issue-${checked.error.field === "holder_name" ? "holder-name" : checked.error.field}`)?.focus();
      return;
    }
    const submit = form.querySelector("#issue-submit");
    submit.disabled = true;
    try {
      const issued = await authed("/api/v1/issued-certificates", { method: "POST", body: checked.payload });
      result.textContent = t("certconsole.issued_one", { number: issued.number, holder: issued.holder_name || values.holder_name });
      result.dataset.id = issued.id;
      result.dataset.number = issued.number;
      result.hidden = false;
      for (const input of [holder, holderName, number, expires, ...fieldsBox.querySelectorAll("input")]) input.value = "";
      onIssued();
      holder.focus();
    } catch (failure) {
      error.textContent = errorText(t, failure);
    } finally {
      submit.disabled = false;
    }
  });
  drawFields();
  return h("section", { class: "certcon-part", "aria-labelledby": "issue-title" },
    h("h2", { id: "issue-title" }, t("certconsole.issue")), form);
}

/** The dialog that changes a certificate's status, with its required reason; revoking asks
 * once more, since it is final. */
function statusDialog(app, cert, status, onDone) {
  const { t } = app;
  const reason = h("textarea", { id: "cert-status-reason", maxlength: 200, required: true, rows: 3,
    "aria-describedby": "cert-status-hint" });
  const error = h("p", { class: "error", id: "cert-status-error", role: "alert" });
  const warning = h("p", { class: "notice warn", id: "cert-status-final", role: "alert", hidden: true },
    t("certconsole.revoke_final", { number: cert.number }));
  const submit = h("button", { type: "submit", class: status === "revoked" ? "primary danger" : "primary", id: "cert-status-submit" },
    t(`certconsole.action.${status}`));
  const cancel = h("button", { type: "button", class: "secondary", id: "cert-status-cancel" }, t("certconsole.cancel"));
  let confirming = false;
  const form = h("form", { method: "dialog", id: "cert-status-form", novalidate: true },
    h("h2", { id: "cert-status-title" }, t(`certconsole.action_title.${status}`, { number: cert.number })),
    h("label", { for: "cert-status-reason" }, t("certconsole.reason")), reason,
    h("p", { class: "hint", id: "cert-status-hint" }, t("certconsole.reason_hint")),
    warning, error, h("div", { class: "actions" }, submit, cancel));
  const dialog = h("dialog", { id: "cert-status-dialog", "aria-labelledby": "cert-status-title" }, form);
  cancel.addEventListener("click", () => dialog.close());
  reason.addEventListener("input", () => {
    if (!confirming) return;
    confirming = false;
    warning.hidden = true;
    submit.textContent = t(`certconsole.action.${status}`);
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.replaceChildren();
    const text = reason.value.trim();
    if (!text) { error.textContent = t("certconsole.need_reason"); reason.focus(); return; }
    if (status === "revoked" && !confirming) {
      confirming = true;
      warning.hidden = false;
      submit.textContent = t("certconsole.revoke_confirm");
      submit.focus();
      return;
    }
    submit.disabled = true;
    try {
      await authed(`/api/v1/issued-certificates/${cert.id}/status`, { method: "POST", body: { status, reason: text } });
      app.toast(t(`certconsole.done.${status}`, { number: cert.number }));
      dialog.close();
      onDone();
    } catch (failure) {
      error.textContent = errorText(t, failure);
      submit.disabled = false;
    }
  });
  return { dialog, reason };
}

function certificatesPart(app, data, state, onState) {
  const { t } = app;
  const lang = app.language();
  const q = h("input", { id: "certs-q", type: "search", value: state.q, maxlength: 100, "aria-describedby": "certs-q-hint" });
  const type = h("select", { id: "certs-type" }, typeOptions(t, data.types, lang, { all: true }));
  type.value = state.type;
  const status = h("select", { id: "certs-status" }, h("option", { value: "" }, t("certconsole.all_statuses")),
    STATUSES.map((s) => h("option", { value: s }, t(`certconsole.status.${s}`))));
  status.value = state.status;
  const body = h("div", { id: "certs-body", "aria-live": "polite" });
  const pager = h("div", { class: "toolbar", id: "certs-pager" });
  const error = h("p", { id: "certs-error", class: "error", role: "alert" });
  let dialog = null;
  const search = h("form", { id: "certs-search", class: "toolbar", role: "search" },
    h("label", { for: "certs-q" }, t("certconsole.search")), q,
    h("label", { for: "certs-type" }, t("certconsole.type")), type,
    h("label", { for: "certs-status" }, t("certconsole.status_label")), status,
    h("button", { type: "submit", class: "inline", id: "certs-search-submit" }, t("certconsole.search_submit")));
  search.addEventListener("submit", (event) => {
    event.preventDefault();
    onState({ q: q.value.trim(), type: type.value, status: status.value, page: 1 });
    load();
  });

  const openDialog = (cert, next, back) => {
    dialog?.dialog.remove();
    dialog = statusDialog(app, cert, next, () => load(`tr[data-id="${cert.id}"] button`));
    dialog.dialog.addEventListener("close", () => {
      dialog?.dialog.remove();
      dialog = null;
      if (back.isConnected) back.focus();
    });
    section.append(dialog.dialog);
    dialog.dialog.showModal();
    dialog.reason.focus();
  };

  const row = (cert) => h("tr", { dataset: { id: cert.id, number: cert.number, status: cert.status } },
    h("th", { scope: "row" }, cert.number),
    h("td", {}, cert.holder_name, cert.holder ? h("span", { class: "hint" }, ` (${cert.holder?.username || cert.holder})`) : null),
    h("td", {}, localName(cert, lang, "type_name") || cert.type),
    h("td", {}, cert.issuer_name || cert.issuer || ""),
    h("td", {}, dayOf(cert.issued_at, lang)),
    h("td", {}, cert.expires_at ? dayOf(cert.expires_at, lang) : t("certconsole.never_expires")),
    h("td", { class: "certcon-status" }, h("span", { class: "status-chip certcon-status-chip certcon-chip", dataset: { status: cert.status } },
      t(`certconsole.status.${cert.status}`)),
    cert.status_reason ? h("span", { class: "hint certcon-status-reason" }, ` ${cert.status_reason}`) : null),
    h("td", {}, statusActions(cert.status).map((next) => h("button", {
      type: "button", class: next === "revoked" ? "inline danger" : "inline", dataset: { action: next },
      "aria-label": t(`certconsole.action_named.${next}`, { number: cert.number }),
      onclick: (event) => openDialog(cert, next, event.currentTarget) }, t(`certconsole.action.${next}`)))));

  const load = latest(async (isStale, focus) => {
    history.replaceState(null, "", certificatesHash({ ...state, tab: "certificates" }));
    error.replaceChildren();
    let answer;
    try {
      answer = await authed(`/api/v1/issued-certificates?${searchQuery(state)}`);
    } catch (failure) {
      if (!isStale()) error.textContent = errorText(t, failure);
      return;
    }
    if (isStale()) return;
    const items = itemsOf(answer);
    body.replaceChildren(h("table", { class: "table", id: "certs-table" },
      h("caption", { class: "sr-only" }, t("certconsole.certificates")),
      h("thead", {}, h("tr", {}, ["number", "holder", "type", "issuer", "issued", "expires", "status", "actions"].map((k) =>
        h("th", { scope: "col" }, t(`certconsole.cert_col.${k}`))))),
      h("tbody", {}, items.length ? items.map(row)
        : h("tr", {}, h("td", { colspan: 8, class: "hint" }, t("certconsole.no_certificates"))))));
    const pages = Number(answer.pages) || 1;
    const go = (page) => () => { onState({ page }); load(); };
    pager.replaceChildren(
      h("button", { type: "button", class: "inline", id: "certs-prev", disabled: state.page <= 1, onclick: go(state.page - 1) },
        t("certconsole.prev")),
      h("span", { id: "certs-page" }, t("certconsole.page_of", { page: state.page, pages, total: answer.total ?? items.length })),
      h("button", { type: "button", class: "inline", id: "certs-next", disabled: state.page >= pages, onclick: go(state.page + 1) },
        t("certconsole.next")));
    if (focus) body.querySelector(focus)?.focus();
  });
  const reload = (focus) => load(focus);
  const section = h("section", { class: "certcon-part", "aria-labelledby": "certs-title" },
    h("h2", { id: "certs-title" }, t("certconsole.certificates")), search,
    h("p", { class: "hint", id: "certs-q-hint" }, t("certconsole.search_hint")), error,
    h("div", { class: "scroll" }, body), pager);
  load();
  return { element: section, reload, stop: () => dialog?.dialog.remove() };
}

function importPart(app, data) {
  const { t } = app;
  const lang = app.language();
  let stopped = false;
  let timer = null;
  let templateUrl = null;
  const templateType = h("select", { id: "import-template-type" }, typeOptions(t, data.types, lang));
  const templateLink = h("a", { class: "button secondary", id: "import-template", hidden: true }, t("certconsole.template"));
  templateType.addEventListener("change", () => {
    const ty = data.types.find((x) => x.code === templateType.value);
    if (templateUrl) URL.revokeObjectURL(templateUrl);
    templateUrl = null;
    templateLink.hidden = !ty;
    if (!ty) return;
    templateUrl = URL.createObjectURL(new Blob([csvTemplate(ty)], { type: "text/csv;charset=utf-8" }));
    templateLink.href = templateUrl;
    templateLink.download = `certificates-${ty.code}.csv`;
    templateLink.textContent = t("certconsole.template_named", { code: ty.code });
  });
  if (data.types.length === 1) {
    templateType.value = data.types[0].code;
    templateType.dispatchEvent(new Event("change"));
  }
  const file = h("input", { id: "import-file", type: "file", accept: ".csv,text/csv" });
  const text = h("textarea", { id: "import-csv", rows: 8, spellcheck: "false", "aria-describedby": "import-csv-hint",
    class: "certcon-csv" });
  const error = h("p", { id: "import-error", class: "error", role: "alert" });
  const submit = h("button", { type: "submit", class: "primary", id: "import-submit" }, t("certconsole.import_submit"));
  const bar = h("progress", { id: "import-progress", max: 1, "aria-labelledby": "import-phase" });
  const phase = h("p", { id: "import-phase", role: "status" });
  const outcome = h("div", { id: "import-outcome" });
  const progress = h("div", { id: "import-status", class: "card", hidden: true }, phase, bar, outcome);
  file.addEventListener("change", async () => {
    const chosen = file.files?.[0];
    if (!chosen) return;
    try {
      text.value = decodeCsv(new Uint8Array(await chosen.arrayBuffer()));
    } catch {
      error.textContent = t("certconsole.import_unreadable");
    }
  });

  const show = (job) => {
    const view = importView(job);
    progress.hidden = false;
    progress.dataset.status = view.phase;
    if (view.total) {
      bar.max = view.total;
      bar.value = view.done;
    } else if (view.finished) {
      bar.max = 1;
      bar.value = 1;
    } else {
      bar.removeAttribute("value");  // indeterminate until the job knows its lines
    }
    phase.textContent = t(`certconsole.import_phase.${view.phase}`, { done: view.done, total: view.total });
    if (view.phase === "failed") {
      outcome.replaceChildren(
        h("p", { class: "error", id: "import-nothing" }, t("certconsole.import_nothing", { n: view.errors.length })),
        h("div", { class: "scroll" }, h("table", { class: "table", id: "import-errors" },
          h("caption", {}, t("certconsole.import_errors")),
          h("thead", {}, h("tr", {}, ["line", "code", "message"].map((k) => h("th", { scope: "col" }, t(`certconsole.error_col.${k}`))))),
          h("tbody", {}, view.errors.map((e) => h("tr", { dataset: { line: String(e.line), code: e.code } },
            h("th", { scope: "row" }, String(e.line)), h("td", {}, h("code", {}, e.code)),
            h("td", {}, importErrorText(t, e))))))));
    } else if (view.phase === "done") {
      outcome.replaceChildren(h("p", { class: "notice", id: "import-done" }, t("certconsole.import_done", { n: view.issued })));
    } else {
      outcome.replaceChildren();
    }
    return view.finished;
  };

  const follow = async (id) => {
    if (stopped) return;
    let job;
    try {
      job = await authed(`/api/v1/certificate-imports/${id}`);
    } catch (failure) {
      if (stopped) return;
      // A lost answer is asked again; the import goes on on the server meanwhile.
      if (isNetworkFailure(failure)) { timer = setTimeout(() => follow(id), IMPORT_POLL_MS * 4); return; }
      error.textContent = errorText(t, failure);
      submit.disabled = false;
      return;
    }
    if (stopped) return;
    if (show(job)) { submit.disabled = false; return; }
    timer = setTimeout(() => follow(id), IMPORT_POLL_MS);
  };

  const form = h("form", { id: "import-form", class: "card", novalidate: true },
    h("p", { class: "hint", id: "import-columns" }, t("certconsole.import_columns", { columns: IMPORT_COLUMNS.join(",") })),
    h("div", { class: "toolbar" }, h("label", { for: "import-template-type" }, t("certconsole.template_type")), templateType,
      templateLink),
    field("import-file", t("certconsole.import_file"), file),
    field("import-csv", t("certconsole.import_paste"), text, t("certconsole.import_csv_hint")),
    error, submit);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.replaceChildren();
    const csv = text.value.replace(/^\uFEFF/, "");
    if (!csv.trim()) { error.textContent = t("certconsole.import_empty"); text.focus(); return; }
    submit.disabled = true;
    clearTimeout(timer);
    outcome.replaceChildren();
    let job;
    try {
      job = await authed("/api/v1/certificate-imports", { method: "POST", body: { csv } });
    } catch (failure) {
      error.textContent = errorText(t, failure);
      submit.disabled = false;
      return;
    }
    if (show(job)) { submit.disabled = false; return; }
    timer = setTimeout(() => follow(job.id), IMPORT_POLL_MS);
  });
  const element = h("section", { class: "certcon-part", "aria-labelledby": "import-title" },
    h("h2", { id: "import-title" }, t("certconsole.import")),
    h("p", { class: "hint" }, t("certconsole.import_hint")), form, progress);
  return { element, stop: () => {
    stopped = true;
    clearTimeout(timer);
    if (templateUrl) URL.revokeObjectURL(templateUrl);
  } };
}

/** A line's error in words: ours by its code, else the server's message (it names the column). */
function importErrorText(t, e) {
  const key = `certconsole.line_error.${e.code}`;
  const text = t(key, e);
  return text === key ? e.message || e.code : text;
}

// -- the page ----------------------------------------------------------------------------------

const mayManage = (user) => (user?.roles || []).some((r) => r === "admin" || r === "department");

export async function mount(root, params, app) {
  const { t } = app;
  if (!mayManage(app.session()?.user)) {
    app.navigate("/console");
    return undefined;
  }
  const isAdmin = app.session().user.roles.includes("admin");
  const state = stateFromQuery(params.query);
  const offline = offlineNotice({ id: "certs-offline", text: t("certconsole.offline") });
  const tabs = TABS.map((key) => h("button", { type: "button", class: "chip", id: `certs-tab-${key}`,
    "aria-pressed": String(key === state.tab), "aria-controls": "certs-body-part", dataset: { tab: key } },
  t(`certconsole.tab.${key}`)));
  const body = h("div", { id: "certs-body-part" }, h("p", { class: "loading" }, t("certconsole.loading")));
  root.append(h("section", { id: "certificates-console", class: "wide" },
    h("div", { class: "console-head" }, h("h1", {}, t("certconsole.title")),
      h("a", { class: "button secondary", href: isAdmin ? "#/console" : "#/console/cases", id: "certs-back" },
        t(isAdmin ? "console.title" : "cases.title"))),
    offline.element,
    h("div", { class: "chips", role: "group", "aria-label": t("certconsole.sections"), id: "certs-tabs" }, tabs),
    body));

  let part = null;
  let stopped = false;
  const setState = (next) => { Object.assign(state, next); };
  const load = latest(async (isStale, focus) => {
    let data;
    try {
      const [types, issuers, departments] = await Promise.all([
        authed("/api/v1/certificate-types"),
        ["types", "issuers"].includes(state.tab) ? authed("/api/v1/certificate-issuers") : null,
        state.tab === "issuers" ? authedAll("/api/v1/departments?").catch(() => []) : null]);
      data = { types: itemsOf(types), issuers: itemsOf(issuers), departments: departments || [] };
    } catch (failure) {
      if (stopped || isStale()) return;
      offline.show(isNetworkFailure(failure));
      body.replaceChildren(h("p", { class: "error", role: "alert", id: "certs-load-error" }, errorText(t, failure)));
      return;
    }
    if (stopped || isStale()) return;
    offline.show(false);
    part?.stop?.();
    part = null;
    const reload = (selector) => load(selector);
    if (state.tab !== "certificates") history.replaceState(null, "", certificatesHash({ tab: state.tab, page: 1 }));
    if (state.tab === "types") body.replaceChildren(typesPart(app, data, reload));
    else if (state.tab === "issuers") body.replaceChildren(issuersPart(app, data, reload));
    else if (state.tab === "issue") body.replaceChildren(issuePart(app, data, () => {}));
    else if (state.tab === "import") {
      part = importPart(app, data);
      body.replaceChildren(part.element);
    } else {
      part = certificatesPart(app, data, state, setState);
      body.replaceChildren(part.element);
    }
    if (focus) body.querySelector(focus)?.focus();
  });
  for (const tab of tabs) {
    tab.addEventListener("click", () => {
      state.tab = tab.dataset.tab;
      for (const other of tabs) other.setAttribute("aria-pressed", String(other === tab));
      load();
    });
  }
  const stopWatching = offline.watch(() => load());
  await load();
  return () => {
    stopped = true;
    stopWatching();
    part?.stop?.();
  };
}
