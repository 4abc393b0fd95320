// The wizard by keyboard: Escape goes back as the page's "Back" button does, Enter in page 1's
// serial field checks it.
import { beforeEach, describe, expect, it, vi } from "vitest";

vi.mock("@tauri-apps/api/core", async () => (await import("./tauri-mock")).core());
vi.mock("./bindings", async () =>
  (await import("./tauri-mock")).bindings(),
);

import { register, start } from "./nav";
import { confirmPage, signInPage } from "./pages/auth";
import { certPage } from "./pages/cert";
import { state } from "./state";

const flush = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
};
const key = (target: EventTarget, k: string) => target.dispatchEvent(new KeyboardEvent("keydown", { key: k, bubbles: true, cancelable: true }));

beforeEach(() => {
  document.body.innerHTML = '<main id="app"></main>';
  Object.assign(state, { who: null, serial: "", cert: null, checked: null, notice: null, certMode: "device_csr" });
  register("signin", signInPage);
  register("confirm", confirmPage);
  register("cert", certPage);
});

describe("keyboard", () => {
  it("Escape on the confirm page goes back to sign-in", () => {
    start(document.getElementById("app")!, "confirm");
    key(document.activeElement ?? document.body, "Escape");
    expect(document.querySelector("h1")!.textContent).toBe("Sign in");
  });

  it("Enter in the serial field checks the serial", async () => {
    start(document.getElementById("app")!, "cert");
    const input = document.querySelector('input[name="serial"]') as HTMLInputElement;
    input.value = "SN-0001";
    key(input, "Enter");
    await flush();
    expect(document.querySelector('[data-role="cert-result"]')!.textContent).toMatch(/^SN-0001 is registered/);
  });

  it("back on page 1 after a check, Next stays open and the check's answer is shown", async () => {
    start(document.getElementById("app")!, "cert");
    const input = document.querySelector('input[name="serial"]') as HTMLInputElement;
    input.value = "SN-0002";
    key(input, "Enter");
    await flush();
    start(document.getElementById("app")!, "cert");
    const next = document.querySelector('[data-nav="next"]') as HTMLButtonElement;
    expect(next.disabled).toBe(false);
    expect(document.querySelector('[data-role="cert-result"]')!.textContent).toMatch(/^SN-0002 is registered/);
  });

  it("every page's heading takes the focus when drawn", () => {
    start(document.getElementById("app")!, "signin");
    expect(document.activeElement?.tagName).toBe("H1");
  });
});
