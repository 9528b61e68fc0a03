// Building DOM without innerHTML: text is always text, never markup.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") el.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(el.dataset, value);
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** A short relative or clock time in the current language. */
export function formatTime(iso, lang) {
  if (!iso) return "";
  const date = new Date(iso);
  const sameDay = date.toDateString() === new Date().toDateString();
  return new Intl.DateTimeFormat(lang, sameDay
    ? { hour: "2-digit", minute: "2-digit" }
    : { month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit" }).format(date);
}

/**
 * Only the latest call draws. A screen re-renders whenever synced data changes; an older
 * render still awaiting the network or IndexedDB must not paint over a newer one.
 * `render(isStale)` awaits its data, then returns early if isStale().
 */
export function latestOnly(render) {
  let generation = 0;
  return () => {
    const mine = ++generation;
    return render(() => mine !== generation);
  };
}
