// Benchmarks (not tests): cold start to first paint under Xvfb, idle memory, .deb size.
// Run by `IOTP_DESKTOP_BENCH=1 bash scripts/ci/test-desktop.sh` (which sets the env below).
// Prints a Markdown table for docs/perf.md.

import { execFileSync, spawn } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { Session } from "../webdriver.mjs";

const APP = process.env.APP_BIN;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function windowShown() {
  try {
    return execFileSync("xwininfo", ["-root", "-tree"], { encoding: "utf8" }).includes('"IoT Provisioner"');
  } catch {
    return false;
  }
}

/** The process and all its descendants (the web and network processes of WebKit). */
function tree(pid) {
  const parents = new Map();
  for (const d of readdirSync("/proc")) {
    if (!/^[0-9]+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parents.set(Number(d), ppid);
    } catch {}
  }
  const out = [pid];
  for (let i = 0; i < out.length; i++) for (const [c, p] of parents) if (p === out[i]) out.push(c);
  return out;
}

function pssKiB(pid) {
  try {
    const m = /^Pss:\s+([0-9]+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function windowRun() {
  const t0 = performance.now();
  const child = spawn(APP, [], { stdio: "ignore" });
  while (!windowShown()) {
    if (performance.now() - t0 > 30000) throw new Error("no window in 30 s");
    await sleep(10);
  }
  const shownMs = performance.now() - t0;
  await sleep(5000);
  const pss = tree(child.pid).reduce((s, p) => s + pssKiB(p), 0);
  child.kill("SIGTERM");
  await new Promise((r) => child.once("exit", r));
  await sleep(300);
  return { shownMs, pssMiB: pss / 1024 };
}

async function paintRun() {
  const t0 = performance.now();
  const s = await Session.start(process.env.WEBDRIVER_URL, APP);
  await s.find("[data-page]");
  const uiMs = performance.now() - t0;
  const inPage = await s.exec(
    "const p = performance.getEntriesByType('paint').find(e => e.name === 'first-contentful-paint'); return p ? p.startTime : null;",
  );
  await s.quit();
  await sleep(300);
  return { uiMs, fcpMs: inPage };
}

const win = [];
for (let i = 0; i < RUNS; i++) win.push(await windowRun());
const paint = [];
for (let i = 0; i < RUNS; i++) paint.push(await paintRun());
const fcp = paint.map((p) => p.fcpMs).filter((x) => typeof x === "number");
const debBytes = Number(process.env.DEB_BYTES ?? 0);

console.log(`| measure (median of ${RUNS}) | value | target |`);
console.log("| --- | --- | --- |");
console.log(`| process start -> window mapped (Xvfb) | ${median(win.map((w) => w.shownMs)).toFixed(0)} ms | |`);
console.log(`| navigation -> first contentful paint (in page) | ${fcp.length ? median(fcp).toFixed(0) + " ms" : "not reported by WebKitGTK"} | |`);
console.log(`| WebDriver session start -> wizard page in DOM (upper bound, includes WebKitWebDriver start-up) | ${median(paint.map((p) => p.uiMs)).toFixed(0)} ms | < 1 s |`);
console.log(`| idle memory, app + WebKit processes, PSS after 5 s | ${median(win.map((w) => w.pssMiB)).toFixed(0)} MiB | < 150 MB |`);
console.log(`| .deb size | ${(debBytes / 1024 / 1024).toFixed(2)} MiB | < 8 MB |`);
