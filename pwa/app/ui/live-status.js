// The console head's small "live" sign: whether changes arrive as they happen (实时), are
// being reconnected, or wait for the network. Its words come from the catalogue by state.
import { onLiveState } from "../live.js";
import { h } from "./dom.js";

/** The words of a state: live.state.<state>. */
export const liveLabel = (t, state) => t(`live.state.${state}`);

/** Returns { element, stop }; stop() on the page's unmount. */
export function liveStatus(app) {
  const element = h("span", { class: "live-status", id: "live-status", role: "status",
    title: app.t("live.title") });
  const stop = onLiveState((state) => {
    element.dataset.state = state;
    element.textContent = liveLabel(app.t, state);
  });
  return { element, stop };
}
