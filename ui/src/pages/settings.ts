// Which provisioning service to use (self-hosted or AWS) and how to reach the device.

import { call } from "../api";
import { commands, type BackendInput, type BackendView } from "../bindings";
import { banner, busy, field, h, secretField } from "../dom";
import { describe, toAppError } from "../errors";
import { chooseLanguage, languageChoice, t, type LangChoice } from "../i18n";
import { go } from "../nav";
import { chooseTheme, themeChoice, type ThemeChoice } from "../theme";
import { state } from "../state";
import * as v from "../validate";

/** Reads a picked file as text in the web view (no file-system permission needed). */
function fileText(input: HTMLInputElement): Promise<string | null> {
  const f = input.files?.[0];
  return f ? f.text() : Promise.resolve(null);
}

function radio(name: string, value: string, label: string, checked: boolean): HTMLLabelElement {
  return h("label", {}, h("input", { type: "radio", name, value, checked, "data-choice": value }), label);
}

/** Language and theme: applied at once (the page is drawn again in the new language). */
function appearance(): HTMLElement {
  const pick = (name: string, legend: string, options: [string, string][], current: string, apply: (v: string) => void) => {
    const set = h("fieldset", { "data-role": name }, h("legend", {}, legend), ...options.map(([value, label]) => radio(name, value, label, value === current)));
    set.addEventListener("change", () => {
      apply((set.querySelector("input:checked") as HTMLInputElement).value);
      go("settings");
    });
    return set;
  };
  return h(
    "div",
    { class: "appearance" },
    pick(
      "language",
      t("settings-language"),
      [
        ["system", t("choice-system")],
        ["en", t("language-en")],
        ["zh-CN", t("language-zh-CN")],
      ],
      languageChoice(),
      (v) => chooseLanguage(v as LangChoice),
    ),
    pick(
      "theme",
      t("settings-theme"),
      [
        ["system", t("choice-system")],
        ["light", t("theme-light")],
        ["dark", t("theme-dark")],
      ],
      themeChoice(),
      (v) => chooseTheme(v as ThemeChoice),
    ),
  );
}

export function settingsPage(current: BackendView): HTMLElement {
  const msgs = h("div", { "data-role": "messages" });
  const kind = current.kind === "aws" ? "aws" : "self_hosted";

  // Self-hosted
  const url = field({ label: t("field-service"), name: "api-url", value: current.kind === "self_hosted" ? current.url : "", placeholder: "https://127.0.0.1:8443", validate: v.url });
  const caFile = h("input", { type: "file", id: "ca-file", name: "ca-file", accept: ".pem,.crt" });
  const savedCa = current.kind === "self_hosted" ? current.ca_path : null;
  const caNote = h("p", { class: "field-msg" }, savedCa ? t("ca-replace") : t("ca-optional"));
  // Saving other settings (the device address) must not drop the CA picked earlier.
  const keepCa = h("input", { type: "checkbox", id: "keep-ca", name: "keep-ca", checked: savedCa !== null });
  const keepRow = savedCa ? h("label", { for: "keep-ca", class: "muted" }, keepCa, " ", t("ca-keep", { path: savedCa })) : null;
  const selfBox = h("div", { "data-backend": "self_hosted" }, url.root, h("div", { class: "field" }, h("label", { for: "ca-file" }, t("field-ca")), caFile, caNote, keepRow));

  // AWS
  const aws = current.kind === "aws" ? current : null;
  const outputs = h("input", { type: "file", id: "stack-outputs", name: "stack-outputs", accept: ".json" });
  const region = field({ label: t("field-region"), name: "region", value: aws?.region ?? "", placeholder: "eu-west-1", validate: v.required("v-region-empty") });
  const pool = field({ label: t("field-pool"), name: "user-pool-id", value: aws?.user_pool_id ?? "", validate: v.required("v-pool-empty") });
  const client = field({ label: t("field-client"), name: "client-id", value: aws?.client_id ?? "", validate: v.required("v-client-empty") });
  const api = field({ label: t("field-api"), name: "aws-api-url", value: aws?.api_url ?? "", validate: v.url });
  const secret = secretField({ label: t("field-secret"), name: "client-secret", hint: aws?.has_client_secret ? t("secret-stored") : t("secret-where") });
  outputs.addEventListener("change", async () => {
    const text = await fileText(outputs);
    if (text === null) return;
    try {
      const b = await call(commands.parseStackOutputs(text));
      if (b.kind === "aws") {
        region.set(b.region);
        pool.set(b.user_pool_id);
        client.set(b.client_id);
        api.set(b.api_url);
        msgs.replaceChildren(banner("ok", t("outputs-read")));
      }
    } catch (e) {
      msgs.replaceChildren(banner("error", describe(toAppError(e))));
    }
  });
  const awsBox = h(
    "div",
    { "data-backend": "aws" },
    h("div", { class: "field" }, h("label", { for: "stack-outputs" }, t("field-outputs")), outputs, h("p", { class: "field-msg" }, t("outputs-hint"))),
    region.root,
    pool.root,
    client.root,
    api.root,
    secret.root,
  );

  const choice = h("fieldset", {}, h("legend", {}, t("service-legend")), radio("backend", "self_hosted", t("service-self-hosted"), kind === "self_hosted"), radio("backend", "aws", t("service-aws"), kind === "aws"));
  const show = () => {
    const k = (choice.querySelector("input:checked") as HTMLInputElement).value;
    selfBox.hidden = k !== "self_hosted";
    awsBox.hidden = k !== "aws";
  };
  choice.addEventListener("change", show);

  // Device link
  const direct = field({ label: t("field-device-address"), name: "device-address", value: state.direct ?? "", placeholder: "127.0.0.1:8080", validate: v.address });
  const linkChoice = h(
    "fieldset",
    {},
    h("legend", {}, t("link-legend")),
    radio("link", "soft_ap", t("link-softap"), state.direct === null),
    radio("link", "direct", t("link-direct"), state.direct !== null),
  );
  const showLink = () => {
    direct.root.hidden = (linkChoice.querySelector("input:checked") as HTMLInputElement).value !== "direct";
  };
  linkChoice.addEventListener("change", showLink);

  const save = h("button", { type: "submit", class: "primary", "data-action": "save-settings" }, t("save"));
  const form = h(
    "form",
    { novalidate: true },
    choice,
    selfBox,
    awsBox,
    linkChoice,
    direct.root,
    h("div", { class: "actions" }, state.who ? h("button", { type: "button", "data-nav": "back", onclick: () => go("cert") }, t("back")) : h("span"), h("div", { class: "right" }, save)),
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const k = (choice.querySelector("input:checked") as HTMLInputElement).value;
    let input: BackendInput;
    if (k === "self_hosted") {
      const u = url.check();
      if (u === null) return;
      input = { kind: "self_hosted", url: u.trim(), ca_pem: await fileText(caFile), keep_ca: keepCa.checked };
    } else {
      const vals = [region.check(), pool.check(), client.check(), api.check()];
      if (vals.some((x) => x === null)) return;
      const [r, p, c, a] = vals as string[];
      input = { kind: "aws", region: r.trim(), user_pool_id: p.trim(), client_id: c.trim(), api_url: a.trim(), client_secret: secret.value() || null };
    }
    const useDirect = (linkChoice.querySelector("input:checked") as HTMLInputElement).value === "direct";
    let address: string | null = null;
    if (useDirect) {
      address = direct.check();
      if (address === null) return;
    }
    try {
      await busy(save, t("forgot-saving"), async () => {
        state.backend = await call(commands.setBackend(input));
        const s = await call(commands.loadSettings());
        s.device_link = address === null ? { kind: "soft_ap" } : { kind: "direct", address: address.trim() };
        await call(commands.saveSettings(s));
      });
      const newDirect = address === null ? null : address.trim();
      // Another device address: the previous scan and code belong to another device.
      if (newDirect !== state.direct) {
        state.networks = [];
        state.pop = "";
        state.popAccepted = "";
      }
      state.direct = newDirect;
      go(state.who ? "cert" : "signin");
    } catch (e) {
      msgs.replaceChildren(banner("error", describe(toAppError(e))));
    }
  });
  show();
  showLink();
  return h("section", { class: "panel" }, h("h1", {}, t("settings-title")), msgs, form, appearance());
}
