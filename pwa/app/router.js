// A tiny hash router: each route loads its screen module with import() and mounts it.
// A screen exports mount(root, params, app) and returns an unmount function.
const ROUTES = [
  { pattern: /^\/signin$/, module: "../screens/signin.js", public: true },
  { pattern: /^\/signup$/, module: "../screens/signup.js", public: true },
  { pattern: /^\/display(?:\/(?<hall>[0-9a-f-]{36}))?$/, module: "../display/display.js", public: true },
  { pattern: /^\/verify$/, module: "../screens/verify.js", public: true },
  { pattern: /^\/$/, module: "../screens/home.js" },
  { pattern: /^\/sync$/, module: "../screens/sync.js" },
  { pattern: /^\/reports$/, module: "../screens/reports.js" },
  { pattern: /^\/reports\/new$/, module: "../screens/report-edit.js" },
  { pattern: /^\/reports\/(?<id>[0-9a-f-]{36})$/, module: "../screens/report-detail.js" },
  { pattern: /^\/reports\/(?<id>[0-9a-f-]{36})\/edit$/, module: "../screens/report-edit.js" },
  { pattern: /^\/attendance$/, module: "../screens/attendance.js" },
  { pattern: /^\/patrol$/, module: "../screens/patrol.js" },
  { pattern: /^\/console$/, module: "../console/console.js" },
  { pattern: /^\/console\/attendance$/, module: "../console/attendance.js" },
  { pattern: /^\/console\/tracks$/, module: "../console/tracks.js" },
  { pattern: /^\/console\/posts$/, module: "../console/posts.js" },
  { pattern: /^\/console\/map$/, module: "../console/map.js" },
  { pattern: /^\/console\/audit$/, module: "../console/audit.js" },
  { pattern: /^\/console\/clerk$/, module: "../console/clerk.js" },
  { pattern: /^\/console\/halls$/, module: "../console/halls.js" },
  { pattern: /^\/appointments$/, module: "../screens/appointments.js" },
  { pattern: /^\/console\/assessment(?:\?(?<query>.*))?$/, module: "../console/assessment.js" },
  { pattern: /^\/console\/hall-stats(?:\?(?<query>.*))?$/, module: "../console/hall-stats.js" },
  { pattern: /^\/console\/certificates(?:\?(?<query>.*))?$/, module: "../console/certificates.js" },
  { pattern: /^\/console\/cases(?:\?(?<query>.*))?$/, module: "../console/cases.js" },
  { pattern: /^\/console\/cases\/(?<id>[0-9a-f-]{36})$/, module: "../console/case.js" },
  { pattern: /^\/console\/hall(?:\?(?<query>.*))?$/, module: "../console/hall.js" },
  { pattern: /^\/tickets$/, module: "../screens/tickets.js" },
  { pattern: /^\/tickets\/new$/, module: "../screens/take-number.js" },
  { pattern: /^\/tickets\/(?<id>[0-9a-f-]{36})$/, module: "../screens/ticket.js" },
  { pattern: /^\/certificates$/, module: "../screens/certificates.js" },
  { pattern: /^\/certificates\/(?<id>[0-9a-f-]{36})$/, module: "../screens/certificate.js" },
  { pattern: /^\/certificate-requests\/(?<id>[0-9a-f-]{36})$/, module: "../screens/certificate-request.js" },
  { pattern: /^\/soon\/(?<feature>[a-z_]+)$/, module: "../screens/soon.js" },
];

let unmount = null;
let current = null;

export function navigate(path) {
  if (location.hash === `#${path}`) render();
  else location.hash = path;
}

export function currentPath() {
  return location.hash.replace(/^#/, "") || "/";
}

async function render() {
  const path = currentPath();
  const app = current;
  const route = ROUTES.find((r) => r.pattern.test(path));
  if (!route) return navigate("/");
  if (!route.public && !app.session()) return navigate("/signin");
  const params = { ...(path.match(route.pattern).groups || {}) };
  const screen = await import(route.module);
  if (path !== currentPath()) return;  // the user moved on while the module loaded
  unmount?.();
  const root = document.getElementById("root");
  root.replaceChildren();
  unmount = (await screen.mount(root, params, app)) || null;
  root.focus({ preventScroll: true });
}

export function startRouter(app) {
  current = app;
  window.addEventListener("hashchange", render);
  return render();
}

export const rerender = () => render();
