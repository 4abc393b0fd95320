// Page 2: the home network the device should join.

import { call } from "../api";
import { commands, type Network } from "../bindings";
import { banner, busy, field, h, secretField } from "../dom";
import { describe, toAppError } from "../errors";
import { t } from "../i18n";
import { go } from "../nav";
import { state } from "../state";
import * as v from "../validate";

/** Signal strength in words; RSSI in dBm. */
export function signalWords(rssi: number): string {
  const args = { dbm: rssi };
  if (rssi >= -55) return t("signal-excellent", args);
  if (rssi >= -67) return t("signal-good", args);
  if (rssi >= -78) return t("signal-fair", args);
  return t("signal-weak", args);
}

export function wifiPage(): HTMLElement {
  const msgs = h("div", { "data-role": "messages" });
  if (state.notice) msgs.append(banner("error", state.notice));
  state.notice = null;

  const ssid = field({ label: t("field-ssid"), name: "ssid", value: state.ssid, validate: v.ssid, onInput: (x) => pickTyped(x) });
  const pass = secretField({ label: t("field-passphrase"), name: "passphrase", value: state.passphrase, autocomplete: "off", validate: (x) => v.passphrase(x, state.secured) });
  const open = h("input", { type: "checkbox", id: "open-net", name: "open", checked: !state.secured });
  const openRow = h("label", { for: "open-net", class: "muted" }, open, " ", t("open-network"));
  open.addEventListener("change", () => {
    state.secured = !open.checked;
    pass.check();
  });

  const list = h("tbody");
  const table = h("table", { class: "networks", "data-role": "networks", hidden: state.networks.length === 0 }, h("thead", {}, h("tr", {}, h("th", {}, t("col-network")), h("th", {}, t("col-signal")), h("th", {}, t("col-security")))), list);
  const drawList = () => {
    list.replaceChildren(
      ...state.networks.map((n: Network) => {
        const pick = h("button", { type: "button", class: "link", "data-network": n.ssid }, n.ssid);
        pick.addEventListener("click", () => {
          ssid.set(n.ssid);
          state.ssid = n.ssid;
          state.secured = n.secured;
          open.checked = !n.secured;
          drawList();
          pass.input.focus();
        });
        return h("tr", { class: n.ssid === state.ssid ? "selected" : "" }, h("td", {}, pick), h("td", {}, signalWords(n.rssi)), h("td", {}, n.security));
      }),
    );
    table.hidden = state.networks.length === 0;
  };
  const pickTyped = (x: string) => {
    const known = state.networks.find((n) => n.ssid === x);
    if (known) {
      state.secured = known.secured;
      open.checked = !known.secured;
    }
  };

  // Scanning needs the device: its network name and code, carried on to page 3.
  const softap = field({ label: t("field-softap"), name: "scan-softap", value: state.softap || v.defaultSoftap(state.serial), hint: state.wifiOnly ? t("softap-hint-wifi-only") : undefined, validate: v.softapName });
  const pop = secretField({ label: t("field-pop"), name: "scan-pop", value: state.pop, validate: v.pop });
  const scanBtn = h("button", { type: "button", "data-action": "scan" }, t("scan"));
  scanBtn.addEventListener("click", async () => {
    const [a, p] = [softap.check(), pop.check()];
    if (a === null || p === null) return;
    state.softap = a.trim();
    state.pop = p.trim();
    msgs.replaceChildren();
    try {
      state.networks = await busy(scanBtn, t("scanning"), () => call(commands.scanNetworks({ softap: state.softap, pop: state.pop })));
      state.popAccepted = state.pop;
      drawList();
      if (state.networks.length === 0) msgs.replaceChildren(banner("info", t("scan-none")));
    } catch (e) {
      msgs.replaceChildren(banner("error", describe(toAppError(e))));
    }
  });
  const scanBox = h("details", { "data-role": "scan", open: state.networks.length === 0 }, h("summary", {}, t("scan-legend")), softap.root, pop.root, h("div", { class: "actions" }, scanBtn));

  const back = h("button", { type: "button", "data-nav": "back" }, t("back"));
  back.addEventListener("click", () => go("cert"));
  const next = h("button", { type: "submit", class: "primary", "data-nav": "next" }, t("next"));
  const form = h("form", { novalidate: true }, ssid.root, openRow, pass.root, h("div", { class: "actions" }, back, h("div", { class: "right" }, next)));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const [s, p] = [ssid.check(), pass.check()];
    if (s === null || p === null) return;
    state.ssid = s;
    state.passphrase = p;
    go("connect");
  });
  drawList();
  return h("section", { class: "panel" }, h("h1", {}, t("wifi-title")), h("p", { class: "lead" }, t("wifi-lead")), msgs, scanBox, table, form);
}
