// A case's status as a coloured chip that also says it in words (colour is never the only cue).
import { h } from "./dom.js";

export function statusChip(t, status, id) {
  const name = status || "reported";
  return h("span", { class: "status-chip", id, dataset: { status: name } }, t(`status.${name}`));
}
