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
  messages = await response.json();
  current = lang;
  document.documentElement.lang = lang;
  localStorage.setItem("civicgrid.lang", lang);
}

export const language = () => current;
export const otherLanguage = () => (current === "zh-CN" ? "en" : "zh-CN");

export function t(key, params = {}) {
  const text = messages[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => params[name] ?? "");
}

export function translatePage(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
}
