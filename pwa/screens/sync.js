// Sync, in detail: what waits to be sent, what the server refused or merged, and a button
// to try now. Every notice says what happened and what to do.
import { errorMessage } from "../app/i18n.js";
import { syncSoon } from "../app/scheduler.js";
import * as store from "../app/store.js";
import { formatTime, h, latestOnly } from "../app/ui/dom.js";
import { refreshSyncStatus } from "../app/ui/sync-status.js";

function describe(mutation, t) {
  const what = t(`collection.${mutation.collection}`);
  const summary = mutation.fields?.description || mutation.fields?.note || "";
  return `${t(`op.${mutation.op}`)} · ${what}${summary ? ` · ${summary.slice(0, 40)}` : ""}`;
}

function noticeItem(notice, app, refresh) {
  const { t } = app;
  const what = t(`collection.${notice.collection}`);
  const title = notice.kind === "conflict" ? t("notice.conflict_title", { what })
    : t("notice.rejected_title", { what });
  const reason = notice.kind === "conflict"
    ? t(`notice.conflict.${notice.code}`, {
      field: notice.conflict?.field ? t(`field.${notice.conflict.field}`) : "",
      mine: JSON.stringify(notice.conflict?.losing_value ?? ""),
      theirs: JSON.stringify(notice.conflict?.winning_value ?? "") })
    : errorMessage(notice, "error.rejected");
  const dismiss = h("button", { type: "button", class: "inline" }, t("notice.dismiss"));
  dismiss.addEventListener("click", async () => {
    await store.dismissNotice(app.owner(), notice.id);
    refreshSyncStatus();
    refresh();
  });
  const open = notice.record_id && notice.collection === "reports"
    ? h("a", { href: `#/reports/${notice.record_id}`, class: "inline" }, t("notice.open")) : null;
  return h("li", { class: `notice ${notice.kind}` },
    h("strong", {}, title), h("p", {}, reason),
    h("p", { class: "hint" }, notice.kind === "conflict" ? t("notice.conflict_todo") : t("notice.rejected_todo")),
    h("div", { class: "actions" }, open, dismiss));
}

export async function mount(root, _params, app) {
  const { t } = app;
  const section = h("section", { id: "sync-screen" });
  root.append(section);
  const render = latestOnly(async (isStale) => {
    const owner = app.owner();
    const [pending, notices, status, blobs] = await Promise.all([
      store.outbox(owner), store.notices(owner), store.getMeta(owner, "last_sync_at"),
      store.pendingBlobs(owner)]);
    const now = h("button", { type: "button", class: "primary", id: "sync-now" }, t("sync.now"));
    now.addEventListener("click", () => syncSoon());
    if (isStale()) return;
    section.replaceChildren(
      h("h1", {}, t("sync.title")),
      h("p", {}, status ? t("sync.last", { time: formatTime(status, app.language()) }) : t("sync.never")),
      navigator.onLine ? now : h("p", { class: "notice warn" }, t("sync.offline_hint")),
      h("h2", {}, t("sync.notices"), ` (${notices.length})`),
      notices.length ? h("ul", { class: "list", id: "notices" }, notices.map((n) => noticeItem(n, app, render)))
        : h("p", { class: "hint" }, t("sync.no_notices")),
      h("h2", {}, t("sync.pending"), ` (${pending.length + blobs.length})`),
      pending.length || blobs.length ? h("ul", { class: "list", id: "pending" },
        pending.map((m) => h("li", {}, describe(m, t),
          h("span", { class: "hint" }, ` · ${formatTime(m.client_time, app.language())}`))),
        blobs.map((b) => h("li", {}, t("sync.pending_photo", { kb: Math.round(b.blob.size / 1024) }))))
        : h("p", { class: "hint" }, t("sync.all_sent")));
  });
  await render();
  // A sync that landed while the first render was reading is drawn now.
  const off = app.onChange(render);
  render();
  return off;
}
