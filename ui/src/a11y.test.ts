// Accessibility checks that need no window: WCAG AA contrast of the light and dark palettes
// (computed from style.css), and axe-core's rules (labels, names, roles, ARIA) on every page
// and the states a person meets, in both languages. Contrast on the drawn pixels is the
// WebDriver e2e's job; jsdom does no layout, so axe's color-contrast rule is off here.
/// <reference types="vite/client" />
import axe from "axe-core";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { script } from "./tauri-mock";

// Vitest leaves `.css?raw` imports empty; the glob reads the file as text.
const css = Object.values(import.meta.glob("./style.css", { query: "?raw", import: "default", eager: true }) as Record<string, string>)[0] ?? "";

vi.mock("@tauri-apps/api/core", async () => (await import("./tauri-mock")).core());
vi.mock("./bindings", async () =>
  (await import("./tauri-mock")).bindings({
    windowLeft: vi.fn(async () => ({ status: "ok", data: null })),
    scanNetworks: vi.fn(async () => ({ status: "ok", data: [] })),
  }),
);

import { chooseLanguage } from "./i18n";
import { register, start } from "./nav";
import { confirmPage, forgotPage, signInPage, signUpPage } from "./pages/auth";
import { certPage } from "./pages/cert";
import { connectPage } from "./pages/connect";
import { settingsPage } from "./pages/settings";
import { wifiPage } from "./pages/wifi";
import { state, type Page } from "./state";

// ---- contrast -------------------------------------------------------------------------------

function palette(block: string): Record<string, string> {
  return Object.fromEntries([...block.matchAll(/--([a-z-]+):\s*(#[0-9a-f]{6})/gi)].map((m) => [m[1], m[2]]));
}
const light = palette(css.slice(css.indexOf(":root {"), css.indexOf("}", css.indexOf(":root {"))));
const darkStart = css.indexOf(':root[data-theme="dark"] {');
const dark = palette(css.slice(darkStart, css.indexOf("}", darkStart)));

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
function ratio(a: string, b: string): number {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

// Text colour on background, as style.css pairs them.
const PAIRS: [string, string][] = [
  ["text", "bg"], ["text", "panel"], ["muted", "bg"], ["muted", "panel"], ["accent", "panel"], ["accent", "bg"],
  ["accent-text", "accent"], ["ok", "panel"], ["ok", "ok-bg"], ["err", "panel"], ["err", "err-bg"], ["err", "bg"],
  ["text", "info-bg"], ["muted", "info-bg"],
];

describe("contrast (WCAG AA, 4.5:1 for text)", () => {
  it("each theme has its whole palette", () => {
    expect(Object.keys(dark).sort()).toEqual(Object.keys(light).sort());
    expect(Object.keys(dark).length).toBeGreaterThan(10);
  });
  for (const [name, p] of [["light", light], ["dark", dark]] as const) {
    it(`${name} theme`, () => {
      const low = PAIRS.filter(([f, b]) => ratio(p[f], p[b]) < 4.5).map(([f, b]) => `${f} on ${b}: ${ratio(p[f], p[b]).toFixed(2)}`);
      expect(low).toEqual([]);
      // The focus ring must stand out from the panel (non-text contrast, 3:1).
      expect(ratio(p.focus, p.panel)).toBeGreaterThanOrEqual(3);
    });
  }
});

// ---- axe-core on every page -------------------------------------------------------------------

const flush = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
};

async function violations(): Promise<string[]> {
  const r = await axe.run(document, { rules: { "color-contrast": { enabled: false } } });
  return r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

beforeEach(() => {
  document.documentElement.lang = "en";
  document.head.innerHTML = "<title>IoT Provisioner</title>";
  document.body.innerHTML = '<main id="app"></main>';
  Object.assign(state, {
    who: "ada@example.com",
    email: "ada@example.com",
    serial: "SN-0001",
    softap: "PROV_0001",
    ssid: "HomeWiFi",
    passphrase: "correct horse",
    pop: "abcd1234",
    popAccepted: "",
    direct: "127.0.0.1:40317",
    networks: [{ ssid: "HomeWiFi", rssi: -50, channel: 6, auth: "wpa2_psk", secured: true }],
    notice: null,
    interrupted: null,
    cert: null,
    certMode: "device_csr",
    backend: { kind: "self_hosted", url: "https://127.0.0.1:8443", ca_path: "/tmp/ca.pem" },
  });
  register("signin", signInPage);
  register("signup", signUpPage);
  register("confirm", confirmPage);
  register("forgot", forgotPage);
  register("settings", () => settingsPage(state.backend));
  register("cert", certPage);
  register("wifi", wifiPage);
  register("connect", connectPage);
});
afterEach(() => chooseLanguage("system"));

const PAGES: Page[] = ["signin", "signup", "confirm", "forgot", "settings", "cert", "wifi", "connect"];

for (const lang of ["en", "zh-CN"] as const) {
  describe(`axe-core, ${lang}`, () => {
    for (const page of PAGES) {
      it(`${page} page`, async () => {
        chooseLanguage(lang);
        start(document.getElementById("app")!, page);
        await flush();
        expect(await violations()).toEqual([]);
      });
    }

    it("sign-in with an error shown", async () => {
      chooseLanguage(lang);
      start(document.getElementById("app")!, "signin");
      document.querySelector("form")!.dispatchEvent(new Event("submit", { cancelable: true }));
      await flush();
      expect(document.querySelector('[aria-invalid="true"]')).not.toBeNull();
      expect(await violations()).toEqual([]);
    });

    it("page 3 with a failed step, its fix and details", async () => {
      chooseLanguage(lang);
      const err = { code: "wrong_pop", message: "The device refused the proof-of-possession code: check the code printed on the device." };
      script.events = [
        { kind: "step", step: "join_device", state: "done", message: "", error: null },
        { kind: "step", step: "secure_session", state: "failed", message: "", error: err },
      ];
      script.result = { status: "error", error: err };
      start(document.getElementById("app")!, "connect");
      (document.querySelector('[data-action="provision"]') as HTMLButtonElement).click();
      await flush();
      expect(document.querySelector('[data-role="details"]')).not.toBeNull();
      expect(document.querySelector('[role="alert"]')).not.toBeNull();
      // The live step list and the outcome are announced as they change.
      expect(document.querySelector('[data-role="steps"]')!.getAttribute("aria-live")).toBe("polite");
      expect(document.querySelector('[data-role="outcome"]')!.getAttribute("aria-live")).toBe("polite");
      expect(await violations()).toEqual([]);
    });
  });
}
