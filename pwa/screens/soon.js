// A feature that has its tile but not yet its screen.
import { h } from "../app/ui/dom.js";

export function mount(root, { feature }, app) {
  const { t } = app;
  root.append(h("section", { class: "narrow" },
    h("h1", {}, t(`tile.${feature}`)),
    h("p", { class: "hint" }, t("soon.text")),
    h("a", { class: "button secondary", href: "#/" }, t("nav.home"))));
}
