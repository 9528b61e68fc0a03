// Message catalogues: zh-CN first, English second; the browser's language picks, the user may switch.
const SUPPORTED = ["zh-CN", "en"];
let messages = {};
let current = "zh-CN";

export function pickLanguage() {
  const saved = localStorage.getItem("civicgrid.lang");
  if (SUPPORTED.includes(saved)) return saved;
  const preferred = (navigator.languages || [navigator.language || "zh-CN"]).map((l) => l.toLowerCase());
  return preferred.some((l) => l.startsWith("zh")) || !preferred.some((l) => l.startsWith("en")) ? "zh-CN" : "en";
}

export async function loadLanguage(lang) {
  const response = await fetch(`/i18n/${lang}.json`);
  useCatalogue(lang, await response.json());
  document.documentElement.lang = lang;
  localStorage.setItem("civicgrid.lang", lang);
}

/** The messages `t` reads from; loadLanguage fetches them, tests hand them in. */
export function useCatalogue(lang, catalogue) {
  messages = catalogue;
  current = lang;
}

export const language = () => current;
export const otherLanguage = () => (current === "zh-CN" ? "en" : "zh-CN");

export function t(key, params = {}) {
  const text = messages[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => params[name] ?? "");
}

/**
 * What went wrong, for people: one message per error code (`error.<code>`; no answer at all
 * is ApiError's "network"), the same on every screen, and `fallback` for a code the
 * catalogue does not know. The server's own `message` is English for developers and never
 * shown; the error's other fields (retry_after_s, …) fill the message's blanks.
 */
export function errorKey(error, fallback = "error.unknown") {
  const key = `error.${error?.code}`;
  return error?.code && Object.hasOwn(messages, key) ? key : fallback;
}

export function errorMessage(error, fallback) {
  return t(errorKey(error, fallback), error?.body?.error || {});
}

export function translatePage(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
}
