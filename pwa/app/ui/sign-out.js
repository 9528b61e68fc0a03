// The sign-out button of the home screen and the console.
import { outbox } from "../store.js";
import { h } from "./dom.js";

/** Sign out, after a warning when changes are still waiting to be sent. */
export function signOutButton(app) {
  const { t } = app;
  const button = h("button", { type: "button", class: "secondary", id: "signout" }, t("home.signout"));
  button.addEventListener("click", async () => {
    const pending = (await outbox(app.owner())).length;
    if (pending && !confirm(t("home.signout_pending", { n: pending }))) return;
    await app.signOut();
  });
  return button;
}
