// What the crash and close tests need from the operating system: the app process this test run
// started (found in /proc, since WebKitWebDriver, not the test, spawns it), an abrupt end for it,
// every file the app may have written, and the core's run journal.

import { readFileSync, readdirSync, readlinkSync, realpathSync, statSync } from "node:fs";
import { join } from "node:path";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function readOr(path, fallback) {
  try {
    return readFileSync(path);
  } catch {
    return fallback;
  }
}

/**
 * The pids of `bin` running with this test's XDG_STATE_HOME. The environment tells this run's
 * app from one another test run (another checkout, the CI) started from the same binary.
 */
export function appPids(bin, stateHome) {
  const want = realpathSync(bin);
  const mark = Buffer.from(`XDG_STATE_HOME=${stateHome}\0`);
  const pids = [];
  for (const name of readdirSync("/proc")) {
    if (!/^[0-9]+$/.test(name)) continue;
    let exe = "";
    try {
      exe = readlinkSync(`/proc/${name}/exe`);
    } catch {
      continue; // gone, or not ours to read
    }
    const argv0 = readOr(`/proc/${name}/cmdline`, Buffer.alloc(0)).toString().split("\0")[0];
    if (exe.replace(/ \(deleted\)$/, "") !== want && argv0 !== bin) continue;
    if (readOr(`/proc/${name}/environ`, Buffer.alloc(0)).includes(mark)) pids.push(Number(name));
  }
  return pids;
}

/** Whether `pid` has ended (gone, or a zombie its parent has not reaped yet). */
function ended(pid) {
  const stat = readOr(`/proc/${pid}/stat`, null);
  if (stat === null) return true;
  // Field 3, after the parenthesised command name, is the state.
  return /\) Z /.test(stat.toString());
}

/** SIGKILL, as a crash or a power cut would end it: no handler, no clean-up. Waits for the end. */
export async function killHard(pid) {
  process.kill(pid, "SIGKILL");
  for (let i = 0; i < 300 && !ended(pid); i++) await sleep(100);
  if (!ended(pid)) throw new Error(`process ${pid} still runs 30 s after SIGKILL`);
}

/** Every regular file under `dirs` (missing dirs are skipped: the app may not have made one). */
export function filesUnder(dirs) {
  const out = [];
  const walk = (d) => {
    let names;
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(d, n);
      let st;
      try {
        st = statSync(p);
      } catch {
        continue; // removed while walking (WebKit's temporary files)
      }
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) out.push(p);
    }
  };
  for (const d of dirs) walk(d);
  return out;
}

/** The files among `files` whose bytes hold `secret` (as UTF-8 or UTF-16, WebKit's storage). */
export function filesHolding(files, secret) {
  const forms = [Buffer.from(secret, "utf8"), Buffer.from(secret, "utf16le")];
  return files.filter((f) => {
    const bytes = readOr(f, Buffer.alloc(0));
    return forms.some((s) => bytes.includes(s));
  });
}

/** The core's journal of `serial`'s run in the app's state dir (XDG_STATE_HOME/provisioner). */
export const journalPath = (serial) => join(process.env.XDG_STATE_HOME, "provisioner", "runs", `${serial}.json`);

/** Waits until the app's journal of `serial` records `stage`; returns the journal. */
export async function journalAt(serial, stage, timeoutMs = 120000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const j = JSON.parse(readFileSync(journalPath(serial), "utf8"));
      if (j.stage === stage) return j;
    } catch {
      // Not written yet, or read between the write and the rename.
    }
    if (Date.now() > end) throw new Error(`the run of ${serial} never reached ${stage}`);
    await sleep(100);
  }
}
