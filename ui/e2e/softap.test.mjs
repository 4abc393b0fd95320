// GUI end-to-end over the SoftAP link, as with a real device: the app joins the device's access
// point through NetworkManager (python-dbusmock's NetworkManager on the bus the app takes for
// the system bus) and talks to the device at 192.168.4.1:80, where a device-sim listens. It
// runs inside a network namespace that scripts/ci/test-desktop.sh makes (192.168.4.1 on its loopback
// interface), with tauri-driver, provisiond and the simulator in it too.
//
// The cases: the app is closed (its window's close button, then SIGTERM as at a logout) while
// the run is on the device's network. Closing must stop the run, put the host back on its own
// network before the process ends, and leave the wizard resumable: the next start finishes it.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Session } from "./webdriver.mjs";
import { startCloud, startSim, stopAll } from "./stack.mjs";
import * as flow from "./flow.mjs";
import { WIFI } from "./flow.mjs";
import { appPids, journalAt } from "./proc.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const E2E_DIR = process.env.E2E_DIR;
const APP = process.env.APP_BIN;
const WEBDRIVER = process.env.WEBDRIVER_URL;
const PRESET = process.env.IOTP_APP_PRESET;
const BUS = process.env.DBUS_SYSTEM_BUS_ADDRESS;
const PYTHON = join(process.env.IOTP_VENV ?? "/var/cache/iot-provisioner/venv", "bin", "python");
const EMAIL = "grace@example.com";
const PASSWORD = "hopper-1906";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let cloud, sim, app, nmDevice, home, radio;
const daemons = [];

/** One JSON line from the NetworkManager mock helper. */
function nm(...args) {
  return JSON.parse(execFileSync(PYTHON, [join(HERE, "nm_mock.py"), ...args], { encoding: "utf8" }));
}

/** The connection active on the Wi-Fi device (a D-Bus path), or null. */
const activeConnection = () => nm("active", nmDevice).path;

async function until(what, check, timeoutMs = 30000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe("SoftAP link through NetworkManager", () => {
  before(async () => {
    for (const v of ["E2E_DIR", "APP_BIN", "IOTP_APP_PRESET", "WEBDRIVER_URL", "DBUS_SYSTEM_BUS_ADDRESS"]) {
      assert.ok(process.env[v], `${v} is not set: run scripts/ci/test-desktop.sh`);
    }
    assert.ok(existsSync(PYTHON), `python-dbusmock is needed: run scripts/setup.sh (${PYTHON})`);
    const dir = join(E2E_DIR, "softap");
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(dir, "cloud"), { recursive: true });

    // The "system" bus: a private dbus-daemon at the address the app was given, and the mock.
    const socket = BUS.replace(/^unix:path=/, "");
    rmSync(socket, { force: true });
    daemons.push(spawn("dbus-daemon", ["--session", "--nofork", "--nopidfile", `--address=${BUS}`], { stdio: "ignore" }));
    await until("dbus-daemon", () => existsSync(socket), 10000);
    daemons.push(spawn(PYTHON, ["-m", "dbusmock", "--template", "networkmanager"], { stdio: "ignore" }));

    cloud = await startCloud(join(dir, "cloud"));
    const serial = "SOFTAP-0001";
    cloud.addSerial(serial);
    // The device joins the home network 20 s after it applied its settings: the run is still
    // on the device's network, polling for the verdict, when the app is closed.
    radio = join(dir, "slow-radio.json");
    writeFileSync(
      radio,
      JSON.stringify({
        access_points: [{ ssid: WIFI.ssid, passphrase: WIFI.passphrase, channel: 6, rssi: -42, auth: "wpa2", join_delay_ms: 20000 }],
      }),
    );
    sim = { serial, pop: "pop-softap-1", ...(await startSim(serial, "pop-softap-1", ["--radio", radio], "192.168.4.1:80")) };
    await until("dbusmock's NetworkManager", () => {
      try {
        ({ device: nmDevice, home } = nm("setup", sim.ready.softap));
        return true;
      } catch {
        return false;
      }
    });
    assert.equal(activeConnection(), home, "the host starts on its home network");
    writeFileSync(
      PRESET,
      JSON.stringify({ backend: { kind: "self_hosted", url: cloud.api, ca_path: cloud.ca }, device_link: { kind: "soft_ap" } }),
    );
    app = await Session.start(WEBDRIVER, APP);
  });

  after(async () => {
    await app?.quit();
    stopAll();
    for (const d of daemons) d.kill("SIGTERM");
  });

  /** From page 1 to a run waiting on the device's network for its verdict. */
  async function runUntilApplied(dev) {
    await flow.certPage(app, dev.serial);
    // Page 2's scan joins the device's access point and comes back.
    await flow.wifiPage(app, dev.pop, WIFI.passphrase);
    assert.equal(activeConnection(), home, "after the scan the host is home again");
    await app.click('[data-page="wifi"] [data-nav="next"]');
    await app.find('[data-page="connect"]');
    assert.equal(await app.prop('input[name="softap"]', "value"), dev.ready.softap, "the SoftAP name the scan used");
    await app.type('input[name="pop"]', dev.pop);
    await app.click('[data-action="provision"]');
    await journalAt(dev.serial, "applied");
    const onDevice = activeConnection();
    assert.ok(onDevice && onDevice !== home, `while the run waits for the device, the host is on the device's network (${onDevice})`);
    const pids = appPids(APP, process.env.XDG_STATE_HOME);
    assert.equal(pids.length, 1, `one app process of this test, found ${JSON.stringify(pids)}`);
    return pids[0];
  }

  /** The app ended on its own with the host home; a new app finishes the run. */
  async function homeThenResume(dev, pid) {
    await until("the app to end", () => !existsSync(`/proc/${pid}`), 40000);
    assert.equal(activeConnection(), home, "the app ended with the host back on its home network");
    assert.equal(existsSync(join(process.env.XDG_STATE_HOME, "provisioner", "link-restore.json")), false, "no restore left for the next start");
    await app.quit();
    // The next start: sign in again (no keyring here), then finish the interrupted run.
    app = await Session.start(WEBDRIVER, APP);
    await app.find('[data-page="signin"], [data-page="connect"]');
    if ((await app.attr("[data-page]", "data-page")) === "signin") {
      await app.type('input[name="email"]', EMAIL);
      await app.type('input[name="password"]', PASSWORD);
      await app.click('[data-action="signin"]');
    }
    await app.find('[data-page="connect"]');
    await app.click('[data-action="resume"]');
    await app.waitText('[data-role="outcome"]', new RegExp(`${dev.serial} is online`), 120000);
    assert.ok(cloud.device(dev.serial)?.last_seen, "the service heard from the device");
    assert.equal(activeConnection(), home);
  }

  it("closed with its window's close button while on the device's network: the host is home before the app ends; the next start finishes the run", async () => {
    await flow.signUpAndIn(app, EMAIL, PASSWORD, cloud.code);
    const pid = await runUntilApplied(sim);
    // What a window manager sends when a person clicks the close button.
    const info = execFileSync("xwininfo", ["-name", "IoT Provisioner"], { encoding: "utf8" });
    const id = /Window id: (0x[0-9a-f]+)/.exec(info)?.[1];
    assert.ok(id, `no window titled IoT Provisioner: ${info}`);
    execFileSync("python3", [join(HERE, "xclose.py"), id]);
    await homeThenResume(sim, pid);
  });

  it("ended by SIGTERM (a logout) while on the device's network: the same", async () => {
    // A second device at the same address, as the next box on the bench.
    sim.child.kill("SIGTERM");
    await until("the first simulator to stop", () => sim.child.exitCode !== null || sim.child.signalCode !== null);
    const serial = "SOFTAP-0002";
    cloud.addSerial(serial);
    const next = { serial, pop: "pop-softap-2", ...(await startSim(serial, "pop-softap-2", ["--radio", radio], "192.168.4.1:80")) };
    nm("ap", nmDevice, next.ready.softap);
    await app.click('[data-nav="settings"]');
    await app.click('[data-action="save-settings"]');
    const pid = await runUntilApplied(next);
    process.kill(pid, "SIGTERM");
    await homeThenResume(next, pid);
  });
});
