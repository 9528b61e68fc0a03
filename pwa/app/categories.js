// The category catalogue (事项类别) as the report form searches it: offline, from the synced
// `categories` records. Pure functions (no DOM, no IndexedDB): tests/js/ checks them.

/** The name to show in `lang`: the English name in English when the catalogue has one. */
export function categoryName(category, lang) {
  if (!category) return "";
  return lang === "en" && category.name_en ? category.name_en : category.name;
}

const fold = (text) => (text || "").toLocaleLowerCase().normalize("NFKC");

/**
 * The categories a worker may pick, grouped by parent, filtered by `query`: every word of
 * it must occur in the Chinese name, the English name or the code, of the category or of
 * its parent ("道路" finds every road category). A parent that has children is a heading,
 * not a choice. Returns [{parent (a category or null), items: [category…]}], groups in
 * the order of their first item, items by code.
 */
export function searchCategories(categories, query = "") {
  const byCode = new Map(categories.map((c) => [c.code, c]));
  const parents = new Set(categories.map((c) => c.parent_code).filter((code) => byCode.has(code)));
  const words = fold(query).split(/\s+/).filter(Boolean);
  const text = (c) => (c ? fold(`${c.name} ${c.name_en || ""} ${c.code}`) : "");
  const groups = new Map();
  for (const category of [...categories].sort((a, b) => (a.code < b.code ? -1 : 1))) {
    if (parents.has(category.code)) continue;
    const parent = byCode.get(category.parent_code) || null;
    const haystack = `${text(category)} ${text(parent)}`;
    if (!words.every((word) => haystack.includes(word))) continue;
    const key = parent?.code ?? "";
    if (!groups.has(key)) groups.set(key, { parent, items: [] });
    groups.get(key).items.push(category);
  }
  // Categories without a known parent come last, under "other".
  const ungrouped = groups.get("");
  groups.delete("");
  return ungrouped ? [...groups.values(), ungrouped] : [...groups.values()];
}
