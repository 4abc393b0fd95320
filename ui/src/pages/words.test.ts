// The exact words the pages show where a newcomer got stuck (issue 17): sign-up on a
// self-hosted service, a wrong device code said once, what page 1's button does, and page 3
// over a direct link.
import { beforeEach, describe, expect, it, vi } from "vitest";
import { script } from "../tauri-mock";

vi.mock("@tauri-apps/api/core", async () => (await import("../tauri-mock")).core());
vi.mock("../bindings", async () =>
  (await import("../tauri-mock")).bindings({
    signUp: vi.fn(async () => ({ status: "ok", data: "confirm_code" })),
    signIn: vi.fn(async () => ({ status: "error", error: { code: "user_not_confirmed", message: "The account is not confirmed yet." } })),
  }),
);

import { chooseLanguage } from "../i18n";
import { register, start } from "../nav";
import { state } from "../state";
import { confirmPage, signInPage, signUpPage } from "./auth";
import { certPage } from "./cert";
import { connectPage } from "./connect";

const flush = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
};
const app = () => document.getElementById("app")!;
const type = (name: string, value: string) => {
  (document.querySelector(`input[name="${name}"]`) as HTMLInputElement).value = value;
};
const messages = () => document.querySelector('[data-role="messages"]')!.textContent;

beforeEach(() => {
  document.body.innerHTML = '<main id="app"></main>';
  Object.assign(state, {
    who: null,
    email: "",
    serial: "",
    softap: "",
    ssid: "HomeWiFi",
    passphrase: "correct horse",
    pop: "",
    popAccepted: "",
    direct: null,
    notice: null,
    interrupted: null,
    cert: null,
    certMode: "device_csr",
    backend: { kind: "self_hosted", url: "https://127.0.0.1:8443", ca_path: "/tmp/ca.pem" },
  });
  register("signin", signInPage);
  register("signup", signUpPage);
  register("confirm", confirmPage);
  register("cert", certPage);
  register("connect", connectPage);
  register("wifi", () => Object.assign(document.createElement("div"), { id: "wifi-page" }));
});

const AWS = { kind: "aws", region: "eu-west-1", user_pool_id: "p", client_id: "c", api_url: "https://x", has_client_secret: false } as const;

describe("self-hosted accounts say where the code is (issue 17, 8)", () => {
  const cases = [
    {
      name: "after sign-up, the confirm page names the administrator's command, not an e-mail",
      page: "signup",
      words: "Account created. This service sends no e-mail: its administrator reads your confirmation code with “provisiond user code ada@example.com”.",
    },
    {
      name: "an unconfirmed sign-in goes to the confirm page with the same words",
      page: "signin",
      words: "Your account is not confirmed yet. This service sends no e-mail: its administrator reads your code with “provisiond user code ada@example.com”.",
    },
    {
      name: "in Simplified Chinese when chosen in Settings",
      page: "signup",
      language: "zh-CN",
      title: "创建账户",
      words: "账户已创建。此服务不发送电子邮件：它的管理员用“provisiond user code ada@example.com”查看你的确认码。",
    },
    { name: "an AWS (Cognito) service does send the e-mail", page: "signup", backend: AWS, words: "We sent a confirmation code to ada@example.com." },
  ] as const;
  for (const c of cases) {
    it(c.name, async () => {
      if ("backend" in c) state.backend = c.backend;
      if ("language" in c) chooseLanguage(c.language);
      try {
        start(app(), c.page);
        if ("title" in c) expect(document.querySelector("h1")!.textContent).toBe(c.title);
        type("email", "ada@example.com");
        type("password", "lovelace-1843");
        if (c.page === "signup") type("password2", "lovelace-1843");
        document.querySelector("form")!.dispatchEvent(new Event("submit", { cancelable: true }));
        await flush();
        if (!("backend" in c) && !("language" in c)) expect(document.querySelector("h1")!.textContent).toBe("Confirm your account");
        expect(messages()).toBe(c.words);
      } finally {
        chooseLanguage("system");
      }
    });
  }
});

describe("page 1 says what its button does (issue 17, 11)", () => {
  it("checks the serial and says the certificate is made on page 3", async () => {
    start(app(), "cert");
    const btn = document.querySelector('[data-action="check-serial"]') as HTMLButtonElement;
    expect(btn.textContent).toBe("Check the serial");
    type("serial", "SN-0001");
    btn.click();
    await flush();
    expect(document.querySelector('[data-role="cert-result"]')!.textContent).toBe(
      "SN-0001 is registered and yours to provision. Its certificate is made on page 3, while the device is connected: the device makes its own key and the service signs the device's request.",
    );
  });
});

describe("page 3 (issue 17, 10 and 11)", () => {
  const leads = [
    {
      name: "over a direct link does not say the computer changes networks",
      serial: "DEMO-0001",
      direct: "127.0.0.1:40317",
      lead: "Put DEMO-0001 in provisioning mode, then press the button. This computer talks to it directly at 127.0.0.1:40317, without changing networks.",
    },
    {
      name: "over the device's access point says it joins and comes back",
      serial: "SN-0001",
      direct: null,
      lead: "Put SN-0001 in provisioning mode, then press the button. This computer joins the device's network for a moment and comes back by itself.",
    },
  ];
  for (const c of leads) {
    it(c.name, () => {
      Object.assign(state, { serial: c.serial, direct: c.direct });
      start(app(), "connect");
      expect(document.querySelector('[data-role="lead"]')!.textContent).toBe(c.lead);
    });
  }

  it("says a wrong device code once, the core's words behind Details", async () => {
    Object.assign(state, { serial: "SN-0001", softap: "PROV_0001", pop: "not-the-code" });
    const err = { code: "wrong_pop", message: "The device refused the proof-of-possession code: check the code printed on the device." };
    script.events = [
      { kind: "step", step: "join_device", state: "done", message: "", error: null },
      { kind: "step", step: "secure_session", state: "failed", message: "", error: err },
    ];
    script.result = { status: "error", error: err };
    start(app(), "connect");
    (document.querySelector('[data-action="provision"]') as HTMLButtonElement).click();
    await flush();
    const step = document.querySelector('[data-step="secure_session"]')!;
    expect(step.querySelector('[data-role="why"]')!.textContent).toBe("The device refused the proof-of-possession code.");
    expect(step.querySelector('[data-role="fix"]')!.textContent).toBe("Check the code printed on the device, then retry.");
    const details = step.querySelector('[data-role="details"]') as HTMLDetailsElement;
    expect(details.open).toBe(false);
    expect(details.textContent).toBe(`Details${err.message}`);
    expect(document.querySelector('[data-role="outcome"] .banner')!.textContent).toBe(
      "The device refused the proof-of-possession code. Check the code printed on the device, then retry.",
    );
  });
});
