// The README's first command: scripts/demo.sh runs (started by scripts/ci/test-desktop.sh
// under Xvfb) and this drives an app started with the demo's own settings (its preset and
// config dirs, through a tauri-driver started with that environment) against the demo's
// provisiond and device-sim, through sign-up to "online", reading what the demo printed.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { Session } from "./webdriver.mjs";
import { WIFI, certPage, connect, signUpAndIn, wifiPage } from "./flow.mjs";

const LOG = process.env.DEMO_LOG;
const DIR = process.env.DEMO_DIR;
let app;

describe("scripts/demo.sh", () => {
  before(async () => {
    for (const v of ["DEMO_LOG", "DEMO_DIR", "APP_BIN", "PROVISIOND_BIN", "WEBDRIVER_URL"]) {
      assert.ok(process.env[v], `${v} is not set: run scripts/ci/test-desktop.sh`);
    }
    app = await Session.start(process.env.WEBDRIVER_URL, process.env.APP_BIN);
  });

  after(async () => {
    await app?.quit();
  });

  it("provisions the demo serial from the app it configured, as its instructions say", async () => {
    const printed = readFileSync(LOG, "utf8");
    const serial = /Page 1: serial (\S+?)\./.exec(printed)?.[1];
    const pop = /Page 2: device code (\S+?),/.exec(printed)?.[1];
    assert.ok(serial && pop, `the demo printed no serial / device code:\n${printed}`);
    const code = (email) => {
      const out = execFileSync(process.env.PROVISIOND_BIN, ["--data-dir", `${DIR}/cloud`, "user", "code", email], { encoding: "utf8" });
      return /([0-9]{4,10})/.exec(out)[1];
    };
    await signUpAndIn(app, "demo-check@example.com", "demo-check-2026", code);
    await certPage(app, serial);
    await wifiPage(app, pop, WIFI.passphrase);
    await connect(app);
    await app.waitText('[data-role="outcome"]', new RegExp(`${serial} is online`), 120000);
  });
});
