// Benchmarks (not tests): cold start to first paint under Xvfb, idle memory, .deb size.
// Run by `IOTP_DESKTOP_BENCH=1 bash scripts/ci/test-desktop.sh` (which starts Xvfb and
// tauri-driver and sets the env below; IOTP_BENCH_APP / IOTP_BENCH_DEB pick the binary and
// package). Prints a Markdown table for docs/perf.md.
//
// "Cold" means a new app process each run (new WebKit web and network processes too); the
// page cache is warm after the first run, as on a person's second start.

import { execFileSync, spawn } from "node:child_process";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { Session } from "../webdriver.mjs";

const APP = process.env.APP_BIN;
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const DEB = process.env.DEB_PATH;
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

/**
 * Memory of one process, KiB: resident (RSS), proportional (PSS: each shared page split among
 * the processes that map it) and unique (USS: pages no other process maps, what quitting frees;
 * the measure of the Windows Task Manager's "Memory" column).
 */
function memKiB(pid) {
  try {
    const t = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
    const get = (k) => Number(new RegExp(`^${k}:\\s+([0-9]+) kB`, "m").exec(t)?.[1] ?? 0);
    return { rss: get("Rss"), pss: get("Pss"), uss: get("Private_Clean") + get("Private_Dirty") };
  } catch {
    return { rss: 0, pss: 0, uss: 0 };
  }
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Spawns the app itself: time to its window being mapped, then memory once idle. */
async function windowRun() {
  const t0 = performance.now();
  const child = spawn(APP, [], { stdio: "ignore" });
  while (!windowShown()) {
    if (performance.now() - t0 > 30000) throw new Error("no window in 30 s");
    await sleep(5);
  }
  const shownMs = performance.now() - t0;
  await sleep(5000);
  const pids = tree(child.pid);
  const mem = pids
    .map(memKiB)
    .reduce((a, m) => ({ rss: a.rss + m.rss, pss: a.pss + m.pss, uss: a.uss + m.uss }), { rss: 0, pss: 0, uss: 0 });
  child.kill("SIGTERM");
  await new Promise((r) => child.once("exit", r));
  await sleep(300);
  return { shownMs, procs: pids.length, rssMiB: mem.rss / 1024, pssMiB: mem.pss / 1024, ussMiB: mem.uss / 1024 };
}

/**
 * Through tauri-driver (which starts WebKitWebDriver, which starts the app): the page's own
 * first-contentful-paint time, put on the wall clock with `performance.timeOrigin`, minus the
 * moment the session was requested. An upper bound: it includes WebKitWebDriver's start.
 */
async function paintRun() {
  const t0 = Date.now();
  const s = await Session.start(process.env.WEBDRIVER_URL, APP);
  await s.find("[data-page]");
  const domMs = Date.now() - t0;
  const fcpAt = await s.exec(
    "const p = performance.getEntriesByType('paint').find(e => e.name === 'first-contentful-paint'); return p ? performance.timeOrigin + p.startTime : null;",
  );
  await s.quit();
  await sleep(300);
  return { domMs, paintMs: typeof fcpAt === "number" ? fcpAt - t0 : null };
}

if (!APP) throw new Error("APP_BIN is not set: run IOTP_DESKTOP_BENCH=1 scripts/ci/test-desktop.sh");
const win = [];
for (let i = 0; i < RUNS; i++) win.push(await windowRun());
const paint = [];
for (let i = 0; i < RUNS; i++) paint.push(await paintRun());
const painted = paint.map((p) => p.paintMs).filter((x) => typeof x === "number");
const ms = (xs) => `${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)})`;

console.log(`binary: ${APP} (${(statSync(APP).size / 1e6).toFixed(1)} MB)`);
console.log(`| measure (median of ${RUNS}) | value | target |`);
console.log("| --- | --- | --- |");
console.log(`| process start -> window mapped (xwininfo polled every 5 ms) | ${ms(win.map((w) => w.shownMs))} | |`);
console.log(`| session request -> first contentful paint (includes WebKitWebDriver start-up) | ${painted.length ? ms(painted) : "not reported by WebKitGTK"} | < 1 s |`);
console.log(`| session request -> wizard page in the DOM (includes WebKitWebDriver start-up) | ${ms(paint.map((p) => p.domMs))} | |`);
console.log(`| idle memory after 5 s, app + WebKit processes (${win[0].procs}), USS sum (unique pages) | ${median(win.map((w) => w.ussMiB)).toFixed(0)} MiB | < 150 MB |`);
console.log(`| idle memory after 5 s, same processes, PSS sum (shared pages split) | ${median(win.map((w) => w.pssMiB)).toFixed(0)} MiB | |`);
console.log(`| idle memory after 5 s, same processes, RSS sum (shared pages counted in each) | ${median(win.map((w) => w.rssMiB)).toFixed(0)} MiB | |`);
console.log(`webview rendering: ${process.env.IOTP_WEBVIEW_GPU === "1" ? "WebKit defaults (IOTP_WEBVIEW_GPU=1)" : "the app's software rendering"}`);
if (DEB) console.log(`| .deb size (${DEB.split("/").pop()}) | ${statSync(DEB).size} bytes = ${(statSync(DEB).size / 1e6).toFixed(2)} MB | < 8 MB |`);
