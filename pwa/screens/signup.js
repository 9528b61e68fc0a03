// A citizen makes their own account, then is signed in as the sign-in screen does. Online
// only: the server makes the account. The server's problems show beside their fields.
import { signUp } from "../app/api.js";
import { errorMessage } from "../app/i18n.js";
import { h } from "../app/ui/dom.js";

// Which field a server error code belongs beside; the rest show under the form.
const FIELD_OF_CODE = { username_taken: "username", invalid_username: "username", weak_password: "password" };

export async function mount(root, _params, app) {
  const { t } = app;
  const inputs = {
    username: h("input", { id: "signup-username", name: "username", autocomplete: "username",
      autocapitalize: "none", required: true, maxlength: 64, "aria-describedby": "signup-username-rule signup-username-error" }),
    display_name: h("input", { id: "signup-display-name", name: "display_name", autocomplete: "name",
      required: true, maxlength: 100, "aria-describedby": "signup-display_name-error" }),
    password: h("input", { id: "signup-password", name: "password", type: "password",
      autocomplete: "new-password", required: true, "aria-describedby": "signup-password-rule signup-password-error" }),
    phone: h("input", { id: "signup-phone", name: "phone", type: "tel", autocomplete: "tel",
      inputmode: "tel", maxlength: 32, "aria-describedby": "signup-phone-rule signup-phone-error" }),
  };
  const errors = Object.fromEntries(Object.keys(inputs).map((name) =>
    [name, h("p", { id: `signup-${name}-error`, class: "error", role: "alert" })]));
  const formError = h("p", { id: "signup-error", class: "error", role: "alert" });
  const offline = h("p", { id: "signup-offline", class: "notice warn", hidden: navigator.onLine }, t("signup.offline"));
  const submit = h("button", { type: "submit", class: "primary" }, t("signup.submit"));

  const field = (name, labelKey, rule) => [
    h("label", { for: inputs[name].id }, t(labelKey)),
    inputs[name],
    rule ? h("p", { id: `signup-${name}-rule`, class: "hint" }, t(rule)) : null,
    errors[name],
  ];
  const form = h("form", { id: "signup-form", novalidate: true },
    ...field("username", "signup.username", "signup.username_rule"),
    ...field("display_name", "signup.display_name"),
    ...field("password", "signup.password", "signup.password_rule"),
    ...field("phone", "signup.phone", "signup.phone_rule"),
    formError, submit);

  const clearErrors = () => {
    for (const el of [...Object.values(errors), formError]) el.textContent = "";
    for (const input of Object.values(inputs)) input.removeAttribute("aria-invalid");
  };
  const showError = (name, text) => {
    errors[name].textContent = text;
    inputs[name].setAttribute("aria-invalid", "true");
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors();
    const missing = ["username", "display_name", "password"].filter((name) => !inputs[name].value.trim());
    for (const name of missing) showError(name, t("signup.required"));
    if (missing.length) return inputs[missing[0]].focus();
    if (!navigator.onLine) {
      offline.hidden = false;
      return;
    }
    submit.disabled = true;
    submit.textContent = t("signup.busy");
    try {
      await app.signedIn(await signUp({
        username: inputs.username.value.trim(), display_name: inputs.display_name.value.trim(),
        password: inputs.password.value, phone: inputs.phone.value.trim() || null,
      }));
    } catch (failure) {
      submit.disabled = false;
      submit.textContent = t("signup.submit");
      if (failure.status === 0) {
        offline.hidden = false;
        return;
      }
      const name = FIELD_OF_CODE[failure.code];
      const perField = failure.body?.error?.fields || {};
      if (failure.code === "weak_password") {
        const key = `signup.weak.${failure.body?.error?.reason}`;
        showError("password", t(key) !== key ? t(key) : errorMessage(failure));
      } else if (name) showError(name, errorMessage(failure));
      else if (failure.code === "validation_error" && Object.keys(perField).some((f) => f in inputs)) {
        for (const f of Object.keys(perField).filter((f) => f in inputs)) showError(f, t(`signup.invalid.${f}`));
      } else formError.textContent = errorMessage(failure);
      const first = Object.keys(inputs).find((f) => errors[f].textContent);
      if (first) inputs[first].focus();
    }
  });

  const onOnline = () => { offline.hidden = true; };
  const onOffline = () => { offline.hidden = false; };
  window.addEventListener("online", onOnline);
  window.addEventListener("offline", onOffline);

  root.append(h("section", { id: "signup", class: "narrow" },
    h("h1", {}, t("signup.title")),
    offline,
    form,
    h("button", { type: "button", id: "signup-to-signin", class: "secondary", onclick: () => app.navigate("/signin") },
      t("signup.have_account"))));
  inputs.username.focus();
  return () => {
    window.removeEventListener("online", onOnline);
    window.removeEventListener("offline", onOffline);
  };
}
