// Sign in, sign up, confirm the e-mailed code, forgot password.

import { call } from "../api";
import { commands } from "../bindings";
import { banner, busy, field, h, secretField } from "../dom";
import { describe, toAppError } from "../errors";
import { t } from "../i18n";
import { go } from "../nav";
import { state } from "../state";
import * as v from "../validate";

function errorBox(): { el: HTMLElement; show(e: unknown): void; info(t: string): void; clear(): void } {
  const el = h("div", { "data-role": "messages" });
  return {
    el,
    show: (e) => el.replaceChildren(banner("error", describe(toAppError(e)))),
    info: (t) => el.replaceChildren(banner("ok", t)),
    clear: () => el.replaceChildren(),
  };
}

/** The self-hosted service mails no codes: its administrator reads them. */
function selfHosted(): boolean {
  return state.backend.kind === "self_hosted";
}

function takeNotice(box: ReturnType<typeof errorBox>): void {
  if (state.notice) box.info(state.notice);
  state.notice = null;
}

/** After a successful sign-in: resume the wizard where it was left. */
async function signedIn(email: string): Promise<void> {
  state.who = email;
  // Start-up only looks for an interrupted run when a session survived (OS keyring). Without
  // a keyring, or once the session has expired, the app starts on this page, so look here too.
  const run = state.interrupted ?? (await call(commands.interruptedRun()).catch(() => null));
  if (run) {
    state.interrupted = run;
    state.serial = run.serial;
    state.softap = run.softap;
    state.ssid = run.ssid ?? state.ssid;
    go("connect");
    return;
  }
  go("cert");
}

export function signInPage(): HTMLElement {
  const msgs = errorBox();
  takeNotice(msgs);
  const email = field({ label: t("field-email"), name: "email", type: "email", value: state.email, autocomplete: "username", validate: v.email });
  const pw = secretField({ label: t("field-password"), name: "password", autocomplete: "current-password", validate: v.password });
  const submit = h("button", { type: "submit", class: "primary", "data-action": "signin" }, t("signin-submit"));
  const form = h("form", { novalidate: true }, email.root, pw.root, h("div", { class: "actions" }, h("span"), h("div", { class: "right" }, submit)));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const e = email.check();
    const p = pw.check();
    if (e === null || p === null) return;
    state.email = e.trim();
    msgs.clear();
    try {
      const who = await busy(submit, t("signin-busy"), () => call(commands.signIn(state.email, p)));
      await signedIn(who);
    } catch (err) {
      const ae = toAppError(err);
      if (ae.code === "user_not_confirmed") {
        state.notice = selfHosted()
          ? t("not-confirmed-self-hosted", { email: state.email })
          : t("not-confirmed-email");
        go("confirm");
        return;
      }
      msgs.show(ae);
    }
  });
  return h(
    "section",
    { class: "panel" },
    h("h1", {}, t("signin-title")),
    h("p", { class: "lead" }, t("signin-lead")),
    msgs.el,
    form,
    h(
      "nav",
      { class: "auth-links" },
      h("button", { type: "button", class: "link", "data-nav": "signup", onclick: () => go("signup") }, t("signin-create")),
      h("button", { type: "button", class: "link", "data-nav": "confirm", onclick: () => go("confirm") }, t("signin-have-code")),
      h("button", { type: "button", class: "link", "data-nav": "forgot", onclick: () => go("forgot") }, t("signin-forgot")),
    ),
  );
}

export function signUpPage(): HTMLElement {
  const msgs = errorBox();
  const email = field({ label: t("field-email"), name: "email", type: "email", value: state.email, autocomplete: "username", validate: v.email });
  const pw = secretField({ label: t("field-password"), name: "password", autocomplete: "new-password", hint: t("password-hint"), validate: v.newPassword });
  const again = secretField({
    label: t("field-repeat-password"),
    name: "password2",
    autocomplete: "new-password",
    validate: (x) => (x === pw.value() ? null : t("passwords-differ")),
  });
  const submit = h("button", { type: "submit", class: "primary", "data-action": "signup" }, t("signup-submit"));
  const form = h(
    "form",
    { novalidate: true },
    email.root,
    pw.root,
    again.root,
    h("div", { class: "actions" }, h("button", { type: "button", "data-nav": "back", onclick: () => go("signin") }, t("back")), h("div", { class: "right" }, submit)),
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const [e, p, a] = [email.check(), pw.check(), again.check()];
    if (e === null || p === null || a === null) return;
    state.email = e.trim();
    msgs.clear();
    try {
      const next = await busy(submit, t("signup-busy"), () => call(commands.signUp(state.email, p)));
      if (next === "confirm_code") {
        state.notice = selfHosted()
          ? t("signup-done-self-hosted", { email: state.email })
          : t("signup-done-email", { email: state.email });
        go("confirm");
      } else {
        state.notice = t("signup-done-no-code");
        go("signin");
      }
    } catch (err) {
      msgs.show(err);
    }
  });
  return h("section", { class: "panel" }, h("h1", {}, t("signup-title")), msgs.el, form);
}

export function confirmPage(): HTMLElement {
  const msgs = errorBox();
  takeNotice(msgs);
  const email = field({ label: t("field-email"), name: "email", type: "email", value: state.email, autocomplete: "username", validate: v.email });
  const code = field({ label: t("field-confirmation-code"), name: "code", autocomplete: "one-time-code", validate: v.code });
  const submit = h("button", { type: "submit", class: "primary", "data-action": "confirm" }, t("confirm-submit"));
  const form = h(
    "form",
    { novalidate: true },
    email.root,
    code.root,
    h("div", { class: "actions" }, h("button", { type: "button", "data-nav": "back", onclick: () => go("signin") }, t("back")), h("div", { class: "right" }, submit)),
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const [e, c] = [email.check(), code.check()];
    if (e === null || c === null) return;
    state.email = e.trim();
    msgs.clear();
    try {
      await busy(submit, t("confirm-busy"), () => call(commands.confirmSignUp(state.email, c.trim())));
      state.notice = t("confirm-done");
      go("signin");
    } catch (err) {
      msgs.show(err);
    }
  });
  return h("section", { class: "panel" }, h("h1", {}, t("confirm-title")), msgs.el, form);
}

export function forgotPage(): HTMLElement {
  const msgs = errorBox();
  const email = field({ label: t("field-email"), name: "email", type: "email", value: state.email, autocomplete: "username", validate: v.email });
  const send = h("button", { type: "button", class: "primary", "data-action": "send-code" }, t("forgot-send"));
  const code = field({ label: t("field-reset-code"), name: "code", autocomplete: "one-time-code", validate: v.code });
  const pw = secretField({ label: t("field-new-password"), name: "new-password", autocomplete: "new-password", hint: t("password-hint"), validate: v.newPassword });
  const reset = h("button", { type: "submit", class: "primary", "data-action": "reset" }, t("forgot-submit"));
  const second = h("form", { novalidate: true, hidden: true }, code.root, pw.root, h("div", { class: "actions" }, h("span"), h("div", { class: "right" }, reset)));
  send.addEventListener("click", async () => {
    const e = email.check();
    if (e === null) return;
    state.email = e.trim();
    msgs.clear();
    try {
      await busy(send, t("forgot-busy"), () => call(commands.forgotPassword(state.email)));
      msgs.info(t("forgot-sent", { email: state.email }));
      second.hidden = false;
      code.input.focus();
    } catch (err) {
      msgs.show(err);
    }
  });
  second.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const [c, p] = [code.check(), pw.check()];
    if (c === null || p === null) return;
    try {
      await busy(reset, t("forgot-saving"), () => call(commands.resetPassword(state.email, c.trim(), p)));
      state.notice = t("forgot-done");
      go("signin");
    } catch (err) {
      msgs.show(err);
    }
  });
  return h(
    "section",
    { class: "panel" },
    h("h1", {}, t("forgot-title")),
    msgs.el,
    email.root,
    h("div", { class: "actions" }, h("button", { type: "button", "data-nav": "back", onclick: () => go("signin") }, t("back")), h("div", { class: "right" }, send)),
    second,
  );
}
