// Sign-in and a "who am I" home; the offline app shell replaces this with issue 4.
import { loadLanguage, otherLanguage, pickLanguage, t, translatePage } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const TOKENS = "civicgrid.tokens";

async function api(path, options = {}) {
  const tokens = JSON.parse(localStorage.getItem(TOKENS) || "null");
  const headers = { "Content-Type": "application/json", ...(options.headers || {}) };
  if (tokens && !headers.Authorization) headers.Authorization = `Bearer ${tokens.access_token}`;
  const response = await fetch(path, { ...options, headers });
  const body = response.status === 204 ? null : await response.json();
  if (!response.ok) throw Object.assign(new Error(body?.error?.message), { status: response.status, body });
  return body;
}

function show(section) {
  $("signin").hidden = section !== "signin";
  $("home").hidden = section !== "home";
}

function renderHome(me) {
  $("greeting").textContent = t("home.hello", { name: me.display_name || me.username });
  $("roles").textContent = me.roles.map((r) => t(`role.${r}`)).join("、");
  $("region").textContent = me.region ? me.region.path.map((r) => r.name).join(" / ") : t("home.no_region");
  show("home");
}

async function refreshSession() {
  const tokens = JSON.parse(localStorage.getItem(TOKENS) || "null");
  if (!tokens) return null;
  try {
    return await api("/api/v1/me");
  } catch (error) {
    if (error.status !== 401) throw error;
    try {
      const fresh = await api("/api/v1/auth/refresh", { method: "POST",
        headers: { Authorization: `Bearer ${tokens.refresh_token}` } });
      localStorage.setItem(TOKENS, JSON.stringify({ ...tokens, access_token: fresh.access_token }));
      return await api("/api/v1/me");
    } catch {
      localStorage.removeItem(TOKENS);
      return null;
    }
  }
}

function errorText(error) {
  const code = error.body?.error?.code;
  if (!error.status) return t("error.network");
  if (code === "too_many_attempts") return t("error.too_many_attempts", { seconds: error.body.error.retry_after_s });
  return ["invalid_credentials", "account_inactive", "validation_error"].includes(code)
    ? t(`error.${code}`) : t("error.unknown");
}

async function signIn(event) {
  event.preventDefault();
  const button = event.submitter || $("signin-form").querySelector("button");
  $("signin-error").textContent = "";
  button.disabled = true;
  button.textContent = t("signin.busy");
  try {
    const result = await api("/api/v1/auth/login", { method: "POST", body: JSON.stringify({
      username: $("username").value, password: $("password").value }) });
    localStorage.setItem(TOKENS, JSON.stringify(result));
    renderHome(result.user);
  } catch (error) {
    $("signin-error").textContent = errorText(error);
  } finally {
    button.disabled = false;
    button.textContent = t("signin.submit");
  }
}

async function signOut() {
  const tokens = JSON.parse(localStorage.getItem(TOKENS) || "null");
  localStorage.removeItem(TOKENS);
  if (tokens) {
    api("/api/v1/auth/logout", { method: "POST", headers: { Authorization: `Bearer ${tokens.refresh_token}` } })
      .catch(() => {});
  }
  show("signin");
  $("username").focus();
}

async function start() {
  await loadLanguage(pickLanguage());
  translatePage();
  $("lang").textContent = t("lang.switch");
  $("lang").addEventListener("click", async () => {
    await loadLanguage(otherLanguage());
    translatePage();
    $("lang").textContent = t("lang.switch");
    const me = await refreshSession().catch(() => null);
    if (me) renderHome(me);
  });
  $("signin-form").addEventListener("submit", signIn);
  $("signout").addEventListener("click", signOut);
  const me = await refreshSession().catch(() => null);
  if (me) renderHome(me);
  else show("signin");
}

start();
