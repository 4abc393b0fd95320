// The real services the GUI tests drive the app against: provisiond (with its mosquitto) and
// device simulators, all on 127.0.0.1. Each start waits for the process's JSON ready line.

import { spawn, execFileSync } from "node:child_process";
import { createInterface } from "node:readline";

function need(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the GUI tests through scripts/ci/test-desktop.sh`);
  return v;
}

const children = [];

/** Spawns a process and resolves with its first stdout line as `parse` reads it; the later
 * lines are kept in `lines`. */
function startJson(bin, args, what, env = {}, parse = JSON.parse) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, ...env } });
    children.push(child);
    const timer = setTimeout(() => reject(new Error(`${what} printed no ready line in 60 s`)), 60000);
    child.on("error", (e) => reject(new Error(`${what}: ${e.message}`)));
    child.on("exit", (code) => reject(new Error(`${what} exited with ${code} before it was ready`)));
    const lines = createInterface({ input: child.stdout });
    const later = [];
    lines.once("line", (line) => {
      clearTimeout(timer);
      try {
        resolve({ child, ready: parse(line), lines: later });
      } catch {
        reject(new Error(`${what} ready line is not what it should be: ${line}`));
      }
      lines.on("line", (l) => later.push(l));
    });
  });
}

export async function startCloud(dataDir) {
  const bin = need("PROVISIOND_BIN");
  const { ready } = await startJson(bin, ["serve", "--data-dir", dataDir, "--listen", "127.0.0.1:0", "--mqtt-port", "0"], "provisiond");
  const admin = (...args) => execFileSync(bin, ["--data-dir", dataDir, ...args], { encoding: "utf8" });
  return {
    api: ready.api,
    ca: ready.ca,
    addSerial: (sn) => admin("serial", "add", sn),
    /** The pending confirmation code of a sign-up (what the e-mail would carry). */
    code: (email) => {
      const out = admin("user", "code", email).trim();
      const m = /([0-9]{4,10})/.exec(out);
      if (!m) throw new Error(`provisiond printed no code for ${email}: ${out}`);
      return m[1];
    },
    /** The service's own record of a device (owner, active certificate, last_seen). */
    device: (sn) =>
      admin("device", "list")
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => JSON.parse(l))
        .find((d) => d.sn === sn),
  };
}

export async function startSim(serial, pop, extra = [], listen = "127.0.0.1:0") {
  // The PoP goes through the environment, not the process list.
  const { child, ready } = await startJson(need("DEVICE_SIM_BIN"), ["--serial", serial, "--listen", listen, ...extra], `device-sim ${serial}`, { IOTP_DEVICE_POP: pop });
  return { child, ready };
}

/** The independent stock ESP-IDF device (tests/espdev/espdev.py, on Espressif's own Python
 * modules from the test venv): Wi-Fi only, no `iot-cred`. `ready.listen` is its address;
 * `lines` its request log (`<endpoint> <http status>`, no secrets). */
export async function startEspDev(sec, pop, networks) {
  const script = new URL("../../tests/espdev/espdev.py", import.meta.url).pathname;
  const listening = (line) => {
    const m = /^listening (\S+)$/.exec(line);
    if (!m) throw new Error(line);
    return { listen: m[1] };
  };
  // The PoP and the networks' passphrases go through the environment, not the process list.
  const env = { ESPDEV_POP: pop, ESPDEV_NETWORKS: JSON.stringify(networks) };
  return startJson(`${need("IOTP_VENV")}/bin/python`, [script, "--sec", String(sec)], "espdev.py", env, listening);
}

export function stopAll() {
  for (const c of children.splice(0)) {
    c.removeAllListeners("exit");
    c.kill("SIGTERM");
  }
}
