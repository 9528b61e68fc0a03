// Home: what this person does, by role. Grid workers and citizens get big tiles on the
// phone; supervisors, clerks and admins get their console on a desktop.
import { h } from "../app/ui/dom.js";
import { icon } from "../app/ui/icons.js";
import { notificationBell } from "../app/ui/notification-bell.js";
import { signOutButton } from "../app/ui/sign-out.js";

const TILES = {
  worker: [
    { key: "patrol", href: "#/patrol", icon: "patrol" },
    { key: "attendance", href: "#/attendance", icon: "clock" },
    { key: "report", href: "#/reports/new", icon: "camera" },
    { key: "my_reports", href: "#/reports", icon: "list" },
  ],
  // Citizens report from the same screens as workers (no grid of their own: the server finds
  // the grid from the pin).
  citizen: [
    { key: "citizen_report", href: "#/reports/new", icon: "camera" },
    { key: "citizen_reports", href: "#/reports", icon: "list" },
    { key: "take_number", href: "#/tickets/new", icon: "ticket" },
    { key: "my_tickets", href: "#/tickets", icon: "bell" },
    { key: "appointments", href: "#/appointments", icon: "clock" },
    { key: "certificates", href: "#/certificates", icon: "card" },
  ],
  supervisor: [
    { key: "console", href: "#/console", icon: "map" },
    { key: "my_reports", href: "#/reports", icon: "list" },
  ],
  clerk: [{ key: "clerk_console", href: "#/console/clerk", icon: "window" }],
  // An official checks citizens' e-certificates in the field (电子证照核验).
  official: [{ key: "verify", href: "#/verify", icon: "card" }],
  admin: [{ key: "console", href: "#/console", icon: "gear" }],
};

// Supervisors, admins and department staff work at a desk: their home is the console
// itself, or for department staff the cases dispatched to them (the only console page
// they have). The first desk role in this order picks.
const DESK_HOMES = [["supervisor", "/console"], ["admin", "/console"], ["department", "/console/cases"],
  ["clerk", "/console/clerk"],
  ["hall_manager", "/console/hall"]];
const PHONE_ROLES = ["worker", "citizen", "official"];

/** Where a desk user's home is, or null for someone who gets the phone's tiles. */
export function deskHome(roles) {
  if (roles.some((r) => PHONE_ROLES.includes(r))) return null;
  return DESK_HOMES.find(([role]) => roles.includes(role))?.[1] ?? null;
}

/** The tiles of these roles, each screen once (a worker who is also a citizen reports once). */
export function tilesFor(roles) {
  const seen = new Set();
  return roles.flatMap((role) => TILES[role] || [])
    .filter((tile) => !seen.has(tile.href) && seen.add(tile.href));
}

export function mount(root, _params, app) {
  const { t } = app;
  const user = app.session().user;
  const desk = deskHome(user.roles);
  if (desk) {
    app.navigate(desk);
    return;
  }
  const tiles = tilesFor(user.roles);
  const region = user.region ? user.region.path.map((r) => r.name).join(" / ") : "";
  const signOut = signOutButton(app);
  // Grid workers are told of the cases sent back to them that have run past their deadline.
  const bell = user.roles.includes("worker") ? notificationBell(app, { where: "phone" }) : null;
  root.append(h("section", { id: "home" },
    h("div", { class: "home-head" },
      h("h1", { id: "greeting" }, t("home.hello", { name: user.display_name || user.username })),
      bell?.element),
    h("p", { class: "who" }, user.roles.map((r) => t(`role.${r}`)).join("、"),
      region ? h("span", { class: "region" }, ` · ${region}`) : null),
    h("nav", { class: "tiles", "aria-label": t("home.tasks") },
      tiles.map((tile) => h("a", { class: "tile", href: tile.href, id: `tile-${tile.key}` },
        icon(tile.icon),
        h("span", {}, t(`tile.${tile.key}`))))),
    signOut));
  return bell ? bell.stop : undefined;
}
