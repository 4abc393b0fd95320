// Page 3 against a scripted backend: the live step list, the failure reason and its fix, and
// "retry" routed to the page that can fix the cause.
import { beforeEach, describe, expect, it, vi } from "vitest";
import { script } from "../tauri-mock";


vi.mock("@tauri-apps/api/core", async () => (await import("../tauri-mock")).core());
vi.mock("../bindings", async () =>
  (await import("../tauri-mock")).bindings(),
);

import { commands } from "../bindings";
import { register, start } from "../nav";
import { state } from "../state";
import { connectPage } from "./connect";

const flush = () => new Promise((r) => setTimeout(r, 0));
const ok = (step: string) => ({ kind: "step", step, state: "done", message: "", error: null });

beforeEach(() => {
  document.body.innerHTML = '<main id="app"></main>';
  Object.assign(state, { serial: "SN-0001", ssid: "HomeWiFi", passphrase: "wrong horse", softap: "PROV_0001", pop: "abcd", notice: null, interrupted: null, wifiOnly: false });
  vi.mocked(commands.provision).mockClear();
  vi.mocked(commands.provisionWifi).mockClear();
  register("connect", connectPage);
  register("wifi", () => Object.assign(document.createElement("div"), { id: "wifi-page" }));
  start(document.getElementById("app")!, "connect");
});

describe("connect page", () => {
  it("shows the device's failure reason and fix, and retry goes to the Wi-Fi page", async () => {
    const err = { code: "wifi_auth_failed", message: "The device could not join HomeWiFi: wrong passphrase." };
    script.events = [ok("join_device"), ok("secure_session"), ok("certificate"), ok("send_credentials"), ok("apply"), { kind: "step", step: "device_joined_wifi", state: "failed", message: "", error: err }];
    script.result = { status: "error", error: err };
    (document.querySelector('[data-action="provision"]') as HTMLButtonElement).click();
    await flush();
    await flush();
    const failed = document.querySelector('[data-step="device_joined_wifi"]')!;
    expect(failed.getAttribute("data-state")).toBe("failed");
    expect(failed.querySelector('[data-role="why"]')!.textContent).toMatch(/wrong passphrase/);
    expect(failed.querySelector('[data-role="fix"]')!.textContent).toMatch(/Check the Wi-Fi passphrase/);
    expect(document.querySelector('[data-step="apply"]')!.getAttribute("data-state")).toBe("done");
    const retry = document.querySelector('[data-action="retry"]') as HTMLButtonElement;
    expect(retry.dataset.target).toBe("wifi");
    expect(document.body.textContent).not.toMatch(/undefined|\{"code"/);
    retry.click();
    expect(document.getElementById("wifi-page")).not.toBeNull();
    expect(state.notice).toMatch(/wrong passphrase/);
  });

  it("refuses to start without a device code, with the message next to the field", async () => {
    state.pop = "";
    start(document.getElementById("app")!, "connect");
    (document.querySelector('[data-action="provision"]') as HTMLButtonElement).click();
    await flush();
    expect(document.querySelector('[data-msg-for="pop"]')!.textContent).toMatch(/proof-of-possession/);
  });

  it("a stock device's refusal offers Wi-Fi only, which sends the same settings and lists no certificate step", async () => {
    const err = { code: "wifi_only_device", message: "The device on \"PROV_0001\" is a Wi-Fi-only device." };
    script.events = [ok("join_device"), ok("secure_session"), { kind: "step", step: "certificate", state: "failed", message: "", error: err }];
    script.result = { status: "error", error: err };
    (document.querySelector('[data-action="provision"]') as HTMLButtonElement).click();
    await flush();
    await flush();
    expect(document.querySelector('[data-action="retry"]')).toBeNull();
    expect(document.querySelector('[data-role="outcome"]')!.textContent).toMatch(/takes Wi-Fi settings only/);
    (document.querySelector('[data-action="finish-wifi-only"]') as HTMLButtonElement).click();
    expect(state.wifiOnly).toBe(true);
    expect(document.querySelector('[data-role="wifi-only"]')!.textContent).toMatch(/No certificate is made/);
    const listed = [...document.querySelectorAll("[data-step]")].map((n) => n.getAttribute("data-step"));
    expect(listed).toEqual(["join_device", "secure_session", "send_credentials", "apply", "device_joined_wifi", "host_restored"]);

    script.events = [ok("join_device"), ok("secure_session"), ok("send_credentials"), ok("apply"), ok("device_joined_wifi"), ok("host_restored")];
    script.result = { status: "ok", data: { softap: "PROV_0001", ssid: "HomeWiFi", ip: "192.168.1.50", sec_ver: 2, has_iot_cred: false } };
    const go = document.querySelector('[data-action="provision"]') as HTMLButtonElement;
    expect(go.textContent).toBe("Send the Wi-Fi settings");
    go.click();
    await flush();
    await flush();
    expect(commands.provisionWifi).toHaveBeenCalledTimes(1);
    expect(vi.mocked(commands.provisionWifi).mock.calls[0][0]).toEqual({ ssid: "HomeWiFi", passphrase: "wrong horse", softap: "PROV_0001", pop: "abcd" });
    expect(commands.provision).toHaveBeenCalledTimes(1);
    const outcome = document.querySelector('[data-role="outcome"]')!;
    expect(outcome.textContent).toMatch(/PROV_0001 joined HomeWiFi\. It has its Wi-Fi settings and no certificate\./);
    expect(outcome.querySelector('[data-fact="address"]')!.textContent).toBe("192.168.1.50");
    expect(outcome.querySelector('[data-fact="security"]')!.textContent).toBe("Security 2");
    expect(outcome.querySelector('[data-role="wifi-only-ours"]')).toBeNull();
    for (const step of listed) expect(document.querySelector(`[data-step="${step}"]`)!.getAttribute("data-state")).toBe("done");
  });
});
