// Clock in and out (考勤打卡) with one tap, offline or not. The phone shows the distance to
// the worker's fence (电子围栏) from what sync already brought: their post's circle (岗位) if
// they hold one, else their grid's boundary; the punch keeps the device time, and the
// server's own verdict replaces "pending" once it has synced.
import * as store from "../app/store.js";
import { workerFence } from "../app/fence.js";
import { h, latestOnly } from "../app/ui/dom.js";

const POSITION_TIMEOUT_MS = 15_000;

function locate() {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) return reject(new Error("unavailable"));
    navigator.geolocation.getCurrentPosition(resolve, reject,
      { enableHighAccuracy: true, timeout: POSITION_TIMEOUT_MS, maximumAge: 0 });
  });
}

const sameDay = (iso, day) => new Date(iso).toDateString() === day.toDateString();
const clock = (iso, lang) => new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit" })
  .format(new Date(iso));

function verdict(punch, t) {
  if (punch._pending) return { key: "pending", text: t("attendance.pending") };
  if (punch.inside_fence === true) return { key: "inside", text: t("attendance.verdict_inside") };
  if (punch.inside_fence === false) {
    return { key: "outside", text: t("attendance.verdict_outside", { m: Math.round(punch.distance_m) }) };
  }
  return { key: "unknown", text: t("attendance.verdict_unknown") };
}

export async function mount(root, _params, app) {
  const { t } = app;
  const owner = app.owner();
  const user = app.session().user;
  let position = null;
  let fenceOf = null; // the worker's fence: { kind, post?, region?, distance(lat, lon) }
  let fence = null; // { inside, distance_m } of the last position against it

  const status = h("p", { id: "fence-status", class: "fence", "aria-live": "polite" }, t("attendance.locating"));
  const relocate = h("button", { type: "button", class: "secondary", id: "relocate" }, t("attendance.relocate"));
  const punchButton = h("button", { type: "button", class: "primary punch", id: "punch", disabled: true });
  const reason = h("textarea", { id: "reason", name: "reason", rows: 2, maxlength: 500 });
  const reasonField = h("div", { class: "field", hidden: true },
    h("label", { for: "reason" }, t("attendance.reason")), reason);
  const list = h("ul", { class: "list", id: "punch-list" });

  const myFence = async () => {
    const [regions, posts, assignments] = await Promise.all(
      ["regions", "posts", "post_assignments"].map((name) => store.view(owner, name)));
    return workerFence(user.id, user.region?.id, { regions, posts, assignments });
  };
  const todays = async () => (await store.view(owner, "attendance"))
    .filter((p) => sameDay(p.punched_at, new Date()))
    .sort((a, b) => (a.punched_at < b.punched_at ? -1 : 1));

  const showFence = () => {
    if (!position) return;
    const accuracy = Math.round(position.accuracy);
    const m = Math.round(fence?.distance_m);
    const name = fenceOf?.post?.name;
    if (!fence || fence.inside === null) status.textContent = t("attendance.no_fence", { accuracy });
    else if (name) {
      status.textContent = t(fence.inside ? "attendance.post_inside" : "attendance.post_outside",
        { name, m, accuracy });
    } else if (fence.inside) status.textContent = t("attendance.inside", { accuracy });
    else status.textContent = t("attendance.outside", { m, accuracy });
    status.dataset.inside = fence?.inside === null || !fence ? "" : String(fence.inside);
    status.dataset.fence = fence && fence.inside !== null ? fenceOf.kind : "";
    reasonField.hidden = !(fence && fence.inside === false);
  };
  const findMe = async () => {
    status.textContent = t("attendance.locating");
    try {
      const { coords } = await locate();
      position = { lat: coords.latitude, lon: coords.longitude, accuracy: coords.accuracy };
      fenceOf = await myFence();
      fence = fenceOf ? fenceOf.distance(position.lat, position.lon) : null;
      showFence();
      punchButton.disabled = false;
    } catch {
      status.textContent = t("attendance.position_failed");
    }
  };
  relocate.addEventListener("click", findMe);

  const render = latestOnly(async (isStale) => {
    const punches = await todays();
    if (isStale()) return;
    const last = punches.at(-1);
    const kind = last?.kind === "in" ? "out" : "in";
    punchButton.dataset.kind = kind;
    punchButton.textContent = t(kind === "in" ? "attendance.clock_in" : "attendance.clock_out");
    list.replaceChildren(...(punches.length ? punches.map((p) => {
      const v = verdict(p, t);
      return h("li", { class: "row", dataset: { id: p.id, kind: p.kind, verdict: v.key } },
        h("span", { class: "title" }, t(`attendance.kind_${p.kind}`), " ", clock(p.punched_at, app.language())),
        h("span", { class: `meta verdict ${v.key}` }, v.text,
          p.accuracy_flagged ? ` · ${t("attendance.accuracy_flagged")}` : "",
          p.reason ? ` · ${p.reason}` : ""));
    }) : [h("li", { class: "hint" }, t("attendance.none_today"))]));
  });

  punchButton.addEventListener("click", async () => {
    if (!position) return;
    punchButton.disabled = true;
    const outside = fence?.inside === false;
    await app.mutate("attendance", crypto.randomUUID(), "create", {
      kind: punchButton.dataset.kind, lat: position.lat, lon: position.lon,
      accuracy_m: position.accuracy, punched_at: new Date().toISOString(),
      ...(outside && reason.value.trim() ? { reason: reason.value.trim() } : {}) });
    reason.value = "";
    app.toast(t("attendance.saved"));
    await render();
    punchButton.disabled = false;
  });

  root.append(h("section", { class: "narrow", id: "attendance" },
    h("h1", {}, t("attendance.title")),
    h("div", { class: "card" }, status, relocate),
    reasonField, punchButton,
    h("h2", {}, t("attendance.today")), list));
  await render();
  findMe();
  // A sync that landed while the first render was reading is drawn now.
  const off = app.onChange(render);
  render();
  return off;
}
