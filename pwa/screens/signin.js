// Sign-in. Online only (the server checks the password); after that the app works offline
// until the user signs out. A session that expired keeps its unsynced work for this user.
import { about, signIn } from "../app/api.js";
import { errorMessage } from "../app/i18n.js";
import { getSession } from "../app/store.js";
import { h } from "../app/ui/dom.js";

export async function mount(root, _params, app) {
  const { t } = app;
  const previous = await getSession();
  const username = h("input", { id: "username", name: "username", autocomplete: "username",
    autocapitalize: "none", required: true, value: previous?.user.username || "" });
  const password = h("input", { id: "password", name: "password", type: "password",
    autocomplete: "current-password", required: true });
  const error = h("p", { id: "signin-error", class: "error", role: "alert" });
  const submit = h("button", { type: "submit", class: "primary" }, t("signin.submit"));
  const form = h("form", { id: "signin-form", novalidate: true },
    h("label", { for: "username" }, t("signin.username")), username,
    h("label", { for: "password" }, t("signin.password")), password,
    error, submit);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    if (!username.value || !password.value) {
      error.textContent = t("signin.need_both");
      return;
    }
    submit.disabled = true;
    submit.textContent = t("signin.busy");
    try {
      await app.signedIn(await signIn(username.value.trim(), password.value));
    } catch (failure) {
      error.textContent = errorMessage(failure);
      submit.disabled = false;
      submit.textContent = t("signin.submit");
    }
  });
  // Only a demo names its accounts; a real deployment never shows them.
  const demoHint = h("p", { id: "signin-demo-hint", class: "hint", hidden: true }, t("signin.demo_hint"));
  root.append(h("section", { id: "signin", class: "narrow" },
    h("h1", {}, t("signin.title")),
    previous?.expired ? h("p", { class: "notice warn" }, t("session.expired")) : null,
    form,
    // Citizens make their own accounts; staff accounts come from an administrator.
    h("button", { type: "button", id: "signin-to-signup", class: "secondary", onclick: () => app.navigate("/signup") },
      t("signin.signup")),
    // Checking a certificate needs no account: the keys and lists are public.
    h("button", { type: "button", id: "signin-to-verify", class: "secondary", onclick: () => app.navigate("/verify") },
      t("signin.verify")),
    demoHint));
  (previous ? password : username).focus();
  if ((await about())?.demo_mode) demoHint.hidden = false;
}
