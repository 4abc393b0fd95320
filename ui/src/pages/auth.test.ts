// Sign-in against a scripted backend: where the wizard goes next. Without an OS keyring the
// session ends with the process, so after a crash the interrupted run is found only here.
import { beforeEach, describe, expect, it, vi } from "vitest";

const run: { value: unknown } = { value: null };

vi.mock("@tauri-apps/api/core", async () => (await import("../tauri-mock")).core());
vi.mock("../bindings", async () =>
  (await import("../tauri-mock")).bindings({
    signIn: vi.fn(async (email: string) => ({ status: "ok", data: email })),
    interruptedRun: vi.fn(async () => ({ status: "ok", data: run.value })),
  }),
);

import { register, start } from "../nav";
import { state } from "../state";
import { signInPage } from "./auth";

const flush = () => new Promise((r) => setTimeout(r, 0));

async function signIn(): Promise<void> {
  (document.querySelector('input[name="email"]') as HTMLInputElement).value = "ada@example.com";
  (document.querySelector('input[name="password"]') as HTMLInputElement).value = "lovelace-1843";
  document.querySelector("form")!.dispatchEvent(new Event("submit", { cancelable: true }));
  for (let i = 0; i < 5; i++) await flush();
}

beforeEach(() => {
  document.body.innerHTML = '<main id="app"></main>';
  Object.assign(state, { who: null, serial: "", softap: "", ssid: "", interrupted: null, notice: null });
  register("signin", signInPage);
  register("cert", () => Object.assign(document.createElement("div"), { id: "cert-page" }));
  register("connect", () => Object.assign(document.createElement("div"), { id: "connect-page" }));
  start(document.getElementById("app")!, "signin");
});

describe("sign-in", () => {
  it("goes to page 1 when no run was interrupted", async () => {
    run.value = null;
    await signIn();
    expect(document.getElementById("cert-page")).not.toBeNull();
    expect(state.who).toBe("ada@example.com");
  });

  it("goes to page 3 with the interrupted run's device when the app was ended mid-run", async () => {
    run.value = { serial: "SN-0042", softap: "PROV_0042", ssid: "HomeWiFi" };
    await signIn();
    expect(document.getElementById("connect-page")).not.toBeNull();
    expect(state.interrupted).toEqual(run.value);
    expect([state.serial, state.softap, state.ssid]).toEqual(["SN-0042", "PROV_0042", "HomeWiFi"]);
  });
});
