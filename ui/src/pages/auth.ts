// Sign in, sign up, confirm the e-mailed code, forgot password.

import { call } from "../api";
import { commands } from "../bindings";
import { banner, busy, field, h, secretField } from "../dom";
import { describe, toAppError } from "../errors";
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
  const email = field({ label: "E-mail", name: "email", type: "email", value: state.email, autocomplete: "username", validate: v.email });
  const pw = secretField({ label: "Password", name: "password", autocomplete: "current-password", validate: v.password });
  const submit = h("button", { type: "submit", class: "primary", "data-action": "signin" }, "Sign in");
  const form = h("form", { novalidate: true }, email.root, pw.root, h("div", { class: "actions" }, h("span"), h("div", { class: "right" }, submit)));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const e = email.check();
    const p = pw.check();
    if (e === null || p === null) return;
    state.email = e.trim();
    msgs.clear();
    try {
      const who = await busy(submit, "Signing in…", () => call(commands.signIn(state.email, p)));
      await signedIn(who);
    } catch (err) {
      const ae = toAppError(err);
      if (ae.code === "user_not_confirmed") {
        state.notice = selfHosted()
          ? `Your account is not confirmed yet. This service sends no e-mail: its administrator reads your code with “provisiond user code ${state.email}”.`
          : "Your account is not confirmed yet: enter the code from the e-mail.";
        go("confirm");
        return;
      }
      msgs.show(ae);
    }
  });
  return h(
    "section",
    { class: "panel" },
    h("h1", {}, "Sign in"),
    h("p", { class: "lead" }, "Use your account on the provisioning service."),
    msgs.el,
    form,
    h(
      "nav",
      { class: "auth-links" },
      h("button", { type: "button", class: "link", "data-nav": "signup", onclick: () => go("signup") }, "Create an account"),
      h("button", { type: "button", class: "link", "data-nav": "confirm", onclick: () => go("confirm") }, "I have a confirmation code"),
      h("button", { type: "button", class: "link", "data-nav": "forgot", onclick: () => go("forgot") }, "Forgot password"),
    ),
  );
}

export function signUpPage(): HTMLElement {
  const msgs = errorBox();
  const email = field({ label: "E-mail", name: "email", type: "email", value: state.email, autocomplete: "username", validate: v.email });
  const pw = secretField({ label: "Password", name: "password", autocomplete: "new-password", hint: "At least 8 characters with a letter and a digit.", validate: v.newPassword });
  const again = secretField({
    label: "Repeat the password",
    name: "password2",
    autocomplete: "new-password",
    validate: (x) => (x === pw.value() ? null : "The two passwords differ."),
  });
  const submit = h("button", { type: "submit", class: "primary", "data-action": "signup" }, "Create account");
  const form = h(
    "form",
    { novalidate: true },
    email.root,
    pw.root,
    again.root,
    h("div", { class: "actions" }, h("button", { type: "button", "data-nav": "back", onclick: () => go("signin") }, "Back"), h("div", { class: "right" }, submit)),
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const [e, p, a] = [email.check(), pw.check(), again.check()];
    if (e === null || p === null || a === null) return;
    state.email = e.trim();
    msgs.clear();
    try {
      const next = await busy(submit, "Creating…", () => call(commands.signUp(state.email, p)));
      if (next === "confirm_code") {
        state.notice = selfHosted()
          ? `Account created. This service sends no e-mail: its administrator reads your confirmation code with “provisiond user code ${state.email}”.`
          : `We sent a confirmation code to ${state.email}.`;
        go("confirm");
      } else {
        state.notice = "Account created: sign in.";
        go("signin");
      }
    } catch (err) {
      msgs.show(err);
    }
  });
  return h("section", { class: "panel" }, h("h1", {}, "Create an account"), msgs.el, form);
}

export function confirmPage(): HTMLElement {
  const msgs = errorBox();
  takeNotice(msgs);
  const email = field({ label: "E-mail", name: "email", type: "email", value: state.email, autocomplete: "username", validate: v.email });
  const code = field({ label: "Confirmation code", name: "code", autocomplete: "one-time-code", validate: v.code });
  const submit = h("button", { type: "submit", class: "primary", "data-action": "confirm" }, "Confirm");
  const form = h(
    "form",
    { novalidate: true },
    email.root,
    code.root,
    h("div", { class: "actions" }, h("button", { type: "button", "data-nav": "back", onclick: () => go("signin") }, "Back"), h("div", { class: "right" }, submit)),
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const [e, c] = [email.check(), code.check()];
    if (e === null || c === null) return;
    state.email = e.trim();
    msgs.clear();
    try {
      await busy(submit, "Confirming…", () => call(commands.confirmSignUp(state.email, c.trim())));
      state.notice = "Account confirmed: sign in.";
      go("signin");
    } catch (err) {
      msgs.show(err);
    }
  });
  return h("section", { class: "panel" }, h("h1", {}, "Confirm your account"), msgs.el, form);
}

export function forgotPage(): HTMLElement {
  const msgs = errorBox();
  const email = field({ label: "E-mail", name: "email", type: "email", value: state.email, autocomplete: "username", validate: v.email });
  const send = h("button", { type: "button", class: "primary", "data-action": "send-code" }, "Send a reset code");
  const code = field({ label: "Code from the e-mail", name: "code", autocomplete: "one-time-code", validate: v.code });
  const pw = secretField({ label: "New password", name: "new-password", autocomplete: "new-password", hint: "At least 8 characters with a letter and a digit.", validate: v.newPassword });
  const reset = h("button", { type: "submit", class: "primary", "data-action": "reset" }, "Set the new password");
  const second = h("form", { novalidate: true, hidden: true }, code.root, pw.root, h("div", { class: "actions" }, h("span"), h("div", { class: "right" }, reset)));
  send.addEventListener("click", async () => {
    const e = email.check();
    if (e === null) return;
    state.email = e.trim();
    msgs.clear();
    try {
      await busy(send, "Sending…", () => call(commands.forgotPassword(state.email)));
      msgs.info(`If ${state.email} has an account, a reset code is on its way.`);
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
      await busy(reset, "Saving…", () => call(commands.resetPassword(state.email, c.trim(), p)));
      state.notice = "Password changed: sign in with the new one.";
      go("signin");
    } catch (err) {
      msgs.show(err);
    }
  });
  return h(
    "section",
    { class: "panel" },
    h("h1", {}, "Forgot password"),
    msgs.el,
    email.root,
    h("div", { class: "actions" }, h("button", { type: "button", "data-nav": "back", onclick: () => go("signin") }, "Back"), h("div", { class: "right" }, send)),
    second,
  );
}
