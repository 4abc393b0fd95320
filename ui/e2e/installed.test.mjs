// The installed package: the app dpkg put in /usr/bin starts under Xvfb, maps its window and
// draws the wizard from the assets embedded in the installed binary.
// Run by scripts/ci/test-desktop.sh after `dpkg -i` of the .deb it bundled.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync, readlinkSync } from "node:fs";
import { Session } from "./webdriver.mjs";
import { colourCount } from "./xshot.mjs";

const INSTALLED = process.env.INSTALLED_APP;
const WEBDRIVER = process.env.WEBDRIVER_URL ?? "http://127.0.0.1:4444";

/** Process ids whose executable is `path` (the kernel's view, not a name match). */
function running(path) {
  return readdirSync("/proc")
    .filter((d) => /^[0-9]+$/.test(d))
    .filter((d) => {
      try {
        return readlinkSync(`/proc/${d}/exe`) === path;
      } catch {
        return false;
      }
    });
}

let app;

describe("installed .deb", () => {
  before(async () => {
    assert.ok(INSTALLED, "INSTALLED_APP is not set: run scripts/ci/test-desktop.sh");
    assert.deepEqual(running(INSTALLED), [], `${INSTALLED} already runs`);
    app = await Session.start(WEBDRIVER, INSTALLED);
  });

  after(async () => {
    await app?.quit();
  });

  it("starts the installed binary, maps its window and draws the wizard", async () => {
    const pids = running(INSTALLED);
    assert.equal(pids.length, 1, `processes of ${INSTALLED}: ${pids}`);
    // A fresh profile with no service configured opens on the settings page.
    await app.find('[data-page="settings"]').catch(async (e) => {
      const shown = await app.exec("return document.body ? document.body.innerText : '(no body)';").catch((x) => String(x));
      throw new Error(`${e.message}; the window shows: ${JSON.stringify(shown).slice(0, 400)}`);
    });
    assert.match(await app.text("h1"), /Settings/);
    const tree = execFileSync("xwininfo", ["-root", "-tree"], { encoding: "utf8" });
    assert.match(tree, /"IoT Provisioner"/, "no mapped window titled IoT Provisioner");
    const png = await app.screenshot();
    assert.ok(colourCount(png) > 8, "the window is blank: the app mapped it but drew nothing");
  });
});
