// Page 1: the device's serial number and where its key is made. The certificate itself is
// issued during "Connect" (in device-CSR mode the request is made on the device).

import { call } from "../api";
import { commands, type CertView } from "../bindings";
import { banner, busy, field, h } from "../dom";
import { describe, toAppError } from "../errors";
import { t } from "../i18n";
import { go } from "../nav";
import { state, type CertMode } from "../state";
import * as v from "../validate";

export function certFacts(c: CertView): HTMLElement {
  return h(
    "dl",
    { class: "facts", "data-role": "cert" },
    h("dt", {}, t("fact-thing")),
    h("dd", { "data-fact": "thing" }, c.thing_name),
    h("dt", {}, t("fact-certificate-id")),
    h("dd", { "data-fact": "certificate-id" }, c.certificate_id),
    h("dt", {}, t("fact-expires")),
    h("dd", { "data-fact": "expiry" }, c.expires_at ?? t("fact-not-stated")),
    h("dt", {}, t("fact-fingerprint")),
    h("dd", { "data-fact": "fingerprint" }, c.fingerprint_sha256 ?? t("fact-not-reported")),
  );
}

export function certPage(): HTMLElement {
  const msgs = h("div", { "data-role": "messages" });
  if (state.notice) msgs.append(banner("error", state.notice));
  state.notice = null;
  const result = h("div", { "data-role": "cert-result" });
  const next = h("button", { type: "button", class: "primary", "data-nav": "next", disabled: true }, t("next"));
  let checked = "";
  const serial = field({
    label: t("field-serial"),
    name: "serial",
    value: state.serial,
    placeholder: t("serial-placeholder"),
    hint: t("serial-hint"),
    validate: v.serial,
    onInput: (x) => {
      next.disabled = x.trim() !== checked || checked === "";
    },
  });
  const mode = h(
    "fieldset",
    {},
    h("legend", {}, t("key-legend")),
    h("label", {}, h("input", { type: "radio", name: "mode", value: "device_csr", checked: state.certMode === "device_csr", "data-choice": "device_csr" }), t("key-device")),
    h("label", {}, h("input", { type: "radio", name: "mode", value: "cloud_key", checked: state.certMode === "cloud_key", "data-choice": "cloud_key" }), t("key-cloud")),
  );
  mode.addEventListener("change", () => {
    state.certMode = (mode.querySelector("input:checked") as HTMLInputElement).value as CertMode;
  });
  const hasCert = state.cert !== null && state.serial !== "";
  const checkBtn = h("button", { type: "button", class: "primary", "data-action": "check-serial" }, hasCert ? t("cert-check-again") : t("cert-check"));
  // Enter in the serial field checks it, as the button does.
  serial.input.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter") {
      ev.preventDefault();
      checkBtn.click();
    }
  });
  const showCert = () => {
    if (state.cert) result.append(h("h2", {}, t("cert-current")), certFacts(state.cert));
  };
  checkBtn.addEventListener("click", async () => {
    const s = serial.check();
    if (s === null) return;
    msgs.replaceChildren();
    result.replaceChildren();
    try {
      const c = await busy(checkBtn, t("cert-checking"), () => call(commands.checkSerial(s.trim())));
      if (c.serial !== state.serial) {
        // Another device: what was learnt from the previous one (scan, code) does not apply.
        state.cert = null;
        state.networks = [];
        state.pop = "";
        state.popAccepted = "";
      }
      state.serial = c.serial;
      state.wifiOnly = false;
      checked = c.serial;
      state.softap = v.defaultSoftap(c.serial);
      const deviceKey = state.certMode === "device_csr";
      const args = { serial: c.serial, certificate: c.certificate_id ?? "" };
      const text = c.certificate_id
        ? t(deviceKey ? "cert-ok-replacing-device-key" : "cert-ok-replacing-cloud-key", args)
        : t(deviceKey ? "cert-ok-device-key" : "cert-ok-cloud-key", args);
      state.checked = { serial: c.serial, text };
      result.append(banner("ok", text));
      showCert();
      next.disabled = false;
      next.focus();
    } catch (e) {
      msgs.replaceChildren(banner("error", describe(toAppError(e))));
    }
  });
  next.addEventListener("click", () => go("wifi"));
  const again = state.checked !== null && state.checked.serial === state.serial;
  if (again) result.append(banner("ok", state.checked!.text));
  // A stock device (Espressif's own provisioning) has no serial with the service and takes no
  // certificate: the wizard goes on with Wi-Fi settings only.
  const wifiOnly = h("button", { type: "button", "data-action": "wifi-only" }, t("cert-wifi-only"));
  wifiOnly.addEventListener("click", () => {
    Object.assign(state, { wifiOnly: true, serial: "", cert: null, checked: null, softap: "", pop: "", popAccepted: "", networks: [] });
    go("wifi");
  });
  if (hasCert) showCert();
  if (state.serial && (hasCert || again)) {
    checked = state.serial;
    next.disabled = false;
  }
  return h(
    "section",
    { class: "panel" },
    h("h1", {}, t("cert-title")),
    h("p", { class: "lead" }, t("cert-lead")),
    msgs,
    serial.root,
    mode,
    h("div", { class: "actions" }, checkBtn),
    result,
    h("div", { class: "actions" }, h("span"), h("div", { class: "right" }, next)),
    h("h2", {}, t("cert-wifi-only-title")),
    h("p", { class: "muted", "data-role": "wifi-only" }, t("cert-wifi-only-lead")),
    h("div", { class: "actions" }, wifiOnly),
  );
}
