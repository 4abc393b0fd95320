// Page 3 against a scripted backend: the live step list, the failure reason and its fix, and
// "retry" routed to the page that can fix the cause.
import { beforeEach, describe, expect, it, vi } from "vitest";
import { script } from "../tauri-mock";


vi.mock("@tauri-apps/api/core", async () => (await import("../tauri-mock")).core());
vi.mock("../bindings", async () =>
  (await import("../tauri-mock")).bindings(),
);

import { register, start } from "../nav";
import { state } from "../state";
import { connectPage } from "./connect";

const flush = () => new Promise((r) => setTimeout(r, 0));
const ok = (step: string) => ({ kind: "step", step, state: "done", message: "", error: null });

beforeEach(() => {
  document.body.innerHTML = '<main id="app"></main>';
  Object.assign(state, { serial: "SN-0001", ssid: "HomeWiFi", passphrase: "wrong horse", softap: "PROV_0001", pop: "abcd", notice: null, interrupted: null });
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
});
