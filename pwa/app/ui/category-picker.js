// The category of a report, found by typing: Chinese name, English name or code, grouped by
// parent, from the synced catalogue in IndexedDB, so it works with no signal. Each result
// is a real button (48 px); ↓/↑ move between the field and the results, Esc goes back.
import { categoryName, searchCategories } from "../categories.js";
import { h } from "./dom.js";

// A catalogue has a few hundred kinds at most; past this many the worker should type more.
const MAX_SHOWN = 60;

/**
 * picker.element goes in the form; picker.value() is the chosen code ("" if none);
 * picker.update(categories) when the catalogue arrives; picker.focus().
 */
export function categoryPicker(app, categories) {
  const { t } = app;
  const lang = app.language();
  let catalogue = categories;
  let chosen = null;

  const search = h("input", { type: "search", id: "category-search", autocomplete: "off",
    enterkeyhint: "search", "aria-controls": "category-results", "aria-expanded": "false",
    "aria-describedby": "category-limit" });
  search.setAttribute("placeholder", t("report.category_placeholder"));
  const results = h("div", { id: "category-results", class: "category-results", hidden: true });
  const count = h("p", { class: "sr-only", "aria-live": "polite", id: "category-count" });
  const limit = h("p", { class: "hint", id: "category-limit" });

  const showChosen = () => {
    limit.textContent = chosen
      ? t("report.category_limit", { hours: chosen.time_limit_h }) : t("report.category_hint");
    limit.dataset.chosen = chosen ? chosen.code : "";
  };
  const buttons = () => [...results.querySelectorAll("button")];

  const render = () => {
    const groups = searchCategories(catalogue, search.value);
    let shown = 0;
    const sections = [];
    for (const group of groups) {
      const items = group.items.slice(0, Math.max(0, MAX_SHOWN - shown));
      shown += items.length;
      if (!items.length) break;
      const heading = group.parent ? categoryName(group.parent, lang) : t("report.category_other");
      const headingId = `category-group-${group.parent?.code || "other"}`.replace(/[^\w-]/g, "_");
      sections.push(h("section", { class: "category-group", "aria-labelledby": headingId },
        h("h3", { id: headingId }, heading),
        h("ul", {}, items.map((c) => h("li", {}, h("button", {
          type: "button", class: "category-option", dataset: { code: c.code },
          "aria-pressed": String(chosen?.code === c.code), onclick: () => pick(c) },
        h("span", { class: "name" }, categoryName(c, lang)),
        h("span", { class: "limit" }, t("report.category_limit_short", { hours: c.time_limit_h }),
          " · ", c.code)))))));
    }
    const total = groups.reduce((n, g) => n + g.items.length, 0);
    results.replaceChildren(...sections, ...[
      total ? null : h("p", { class: "hint" }, catalogue.length ? t("report.category_none") : t("report.category_loading")),
      total > shown ? h("p", { class: "hint" }, t("report.category_more", { n: total - shown })) : null,
    ].filter(Boolean));
    count.textContent = t("report.category_found", { n: total });
  };

  const open = () => {
    results.hidden = false;
    search.setAttribute("aria-expanded", "true");
    render();
  };
  const close = () => {
    results.hidden = true;
    search.setAttribute("aria-expanded", "false");
  };
  function pick(category) {
    chosen = category;
    search.value = categoryName(category, lang);
    showChosen();
    close();
    search.focus();
  }

  search.addEventListener("input", () => {
    // Typing again means looking for another one: nothing is chosen until a result is picked.
    if (chosen && search.value !== categoryName(chosen, lang)) {
      chosen = null;
      showChosen();
    }
    open();
  });
  search.addEventListener("focus", () => { if (!chosen) open(); });
  search.addEventListener("click", () => { if (results.hidden) open(); });
  search.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown") {
      event.preventDefault();
      if (results.hidden) open();
      buttons()[0]?.focus();
    } else if (event.key === "Enter") {
      // Enter picks the only result (or the first): the form is not sent from the search field.
      event.preventDefault();
      const first = buttons()[0];
      if (!results.hidden && first) first.click();
    } else if (event.key === "Escape" && !results.hidden) {
      event.preventDefault();
      close();
    }
  });
  results.addEventListener("keydown", (event) => {
    const all = buttons();
    const at = all.indexOf(document.activeElement);
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const next = at + (event.key === "ArrowDown" ? 1 : -1);
      (next < 0 ? search : all[Math.min(next, all.length - 1)]).focus();
    } else if (event.key === "Escape") {
      event.preventDefault();
      close();
      search.focus();
    }
  });
  showChosen();

  return {
    element: h("div", { class: "field category-picker" },
      h("label", { for: "category-search" }, t("report.category")), search, limit, count, results),
    value: () => chosen?.code || "",
    focus: () => search.focus(),
    update(next) {
      catalogue = next;
      if (!results.hidden) render();
    },
  };
}
