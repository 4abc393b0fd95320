// Accessibility in the real window: axe-core (the version pinned in ui/package.json) injected
// into the app's WebKit view on every page and state a person meets (sign in, its field errors,
// sign up, confirm, forgot password, Settings, pages 1-3, page 3's failed step with its details
// open, the outcome), each in the light and the dark theme and in English and Simplified
// Chinese. Every axe rule runs, color-contrast included, on the drawn page; any violation fails.
// Then one run through the whole wizard with the keyboard alone (Tab, Enter, Escape as WebDriver
// key actions), from signed out to the device online, each focused control showing its ring.
// With SCREENSHOT_DIR set, each state is also saved as <state>-<lang>-<theme>.png: the app's
// window as the X server shows it (xshot.mjs; WebDriver's own screenshot does not answer after
// the first page here); scripts/screenshots.sh copies the wizard's pages to docs/screenshots/.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { Session } from "./webdriver.mjs";
import { startCloud, startSim, stopAll } from "./stack.mjs";
import { WIFI } from "./flow.mjs";

const E2E_DIR = process.env.E2E_DIR;
const SHOTS = process.env.SCREENSHOT_DIR;
const APP = process.env.APP_BIN;
const WEBDRIVER = process.env.WEBDRIVER_URL ?? "http://127.0.0.1:4444";
const PRESET = process.env.IOTP_APP_PRESET;
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const PASSWORD = "hopper-1906-cobol";
const KEY = { tab: "\uE004", enter: "\uE007", escape: "\uE00C", backspace: "\uE003", control: "\uE009" };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let cloud, app;
const sims = {
  en: { serial: "A11Y-0001", pop: "pop-a11y-1" },
  "zh-CN": { serial: "A11Y-0002", pop: "pop-a11y-2" },
  keys: { serial: "A11Y-0003", pop: "pop-a11y-3" },
};
/** Every axe run: state, language, theme, violations, rules passed, nodes left for review. */
const results = [];

/** axe-core on the page as drawn; returns the violations as "rule: targets (summary)" lines. */
async function axe() {
  const loaded = await app.exec("return typeof window.axe === 'object'");
  if (!loaded) await app.exec(`${AXE}\nreturn true;`);
  const out = await app.execAsync(`
    const done = arguments[arguments.length - 1];
    window.axe.run(document)
      .then((r) => done(JSON.stringify({
        violations: r.violations.map((v) => v.id + ": " + v.nodes.map((n) => n.target.join(" ") + " (" + (n.failureSummary || "").replace(/\\s+/g, " ") + ")").join("; ")),
        passes: r.passes.length,
        // What axe could not judge is a failure too, except the step marks' glyphs (✓, ✗):
        // axe does not measure symbol characters (messageKey nonBmp); their colours are
        // pairs of the palette that ui/src/a11y.test.ts measures.
        unjudged: r.incomplete.flatMap((v) => v.nodes
          .filter((n) => !(v.id === "color-contrast" && n.any.some((c) => c.data && c.data.messageKey === "nonBmp")))
          .map((n) => v.id + ": " + n.target.join(" ") + " (" + n.any.concat(n.all, n.none).map((c) => c.message).join("; ") + ")")),
        incomplete: r.incomplete.map((v) => v.id + ": " + v.nodes.map((n) => n.target.join(" ") + " (" + n.any.concat(n.all, n.none).map((c) => (c.data && c.data.messageKey) || c.message).join("; ") + ")").join("; ")),
      })))
      .catch((e) => done(JSON.stringify({ error: String(e) })));`);
  const r = JSON.parse(out);
  if (r.error) throw new Error(`axe-core failed: ${r.error}`);
  return r;
}

/** Draws the state in each theme, runs axe on it and keeps a screenshot; fails on any violation. */
async function check(name, lang) {
  assert.equal(await app.exec("return document.documentElement.lang"), lang, `${name}: <html lang>`);
  const bg = {};
  for (const theme of ["light", "dark"]) {
    // As Settings does (theme.ts): the choice in localStorage, the resolved theme on <html>.
    await app.exec("localStorage.setItem('iotp-theme', arguments[0]); document.documentElement.dataset.theme = arguments[0];", [theme]);
    await sleep(300);
    bg[theme] = await app.exec("return getComputedStyle(document.body).backgroundColor");
    const r = await axe();
    results.push({ state: name, lang, theme, violations: r.violations.length, passes: r.passes, incomplete: r.incomplete });
    if (SHOTS) writeFileSync(join(SHOTS, `${name}-${lang}-${theme}.png`), await app.screenshot());
    assert.deepEqual(r.violations, [], `${name}, ${lang}, ${theme}`);
    assert.deepEqual(r.unjudged, [], `${name}, ${lang}, ${theme}: axe could not judge these`);
  }
  assert.notEqual(bg.light, bg.dark, `${name}: the dark theme draws the same background as the light one`);
}

async function setLanguage(lang) {
  // WebDriver's own reload, which waits for the page: a script's location.reload() under
  // polling scripts leaves WebKitWebDriver's later screenshots unanswered.
  await app.exec("localStorage.setItem('iotp-language', arguments[0]);", [lang]);
  await app.cmd("POST", "/refresh", {});
  const end = Date.now() + 30000;
  for (;;) {
    await sleep(300);
    const ok = await app.exec("return document.documentElement.lang === arguments[0] && !!document.querySelector('[data-page]')", [lang]).catch(() => false);
    if (ok) return;
    if (Date.now() > end) throw new Error(`the app did not come back in ${lang}`);
  }
}

async function useDevice(address) {
  await app.click('[data-nav="settings"]');
  await app.click('[data-choice="direct"]');
  await app.type('input[name="device-address"]', address);
  await app.click('[data-action="save-settings"]');
  await app.find('[data-page="cert"]');
}

async function waitAttr(css, name, want, timeoutMs = 120000) {
  const end = Date.now() + timeoutMs;
  while ((await app.attr(css, name).catch(() => null)) !== want) {
    if (Date.now() > end) throw new Error(`${css} ${name} never became ${want}`);
    await sleep(200);
  }
}

// ---- the keyboard alone ---------------------------------------------------------------------

/** What has the focus, and whether it draws a visible ring (outline or box-shadow). */
const focused = () =>
  app.exec(`const a = document.activeElement; const s = getComputedStyle(a);
    return { tag: a.tagName, name: a.name || a.dataset.action || a.dataset.nav || a.dataset.network || "", html: a.outerHTML.slice(0, 120),
      ring: (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== "none" };`);

/** Presses Tab until the element matching `css` has the focus (at most 40 times); checks its ring. */
async function tabTo(css) {
  for (let i = 0; i < 40; i++) {
    if (await app.exec("return document.activeElement.matches(arguments[0])", [css])) {
      const f = await focused();
      assert.ok(f.ring, `focus on ${css} shows no ring: ${f.html}`);
      return;
    }
    await app.keys(KEY.tab);
  }
  throw new Error(`40 Tabs never reached ${css}; focus on ${(await focused()).html}`);
}

/** Replaces the focused field's text by keys: select all, delete, type. */
async function typeKeys(text) {
  await app.chord(KEY.control, "a");
  await app.keys(KEY.backspace);
  await app.keys(text);
}

describe("accessibility in the app's window (axe-core, keyboard)", () => {
  before(async () => {
    for (const v of ["E2E_DIR", "APP_BIN", "IOTP_APP_PRESET", "PROVISIOND_BIN", "DEVICE_SIM_BIN"]) {
      assert.ok(process.env[v], `${v} is not set: run scripts/ci/test-desktop.sh`);
    }
    // Without a Chinese font the zh-CN pages draw empty boxes (and their screenshots show them).
    const zhFonts = execFileSync("fc-list", [":lang=zh-cn", "family"], { encoding: "utf8" }).trim();
    assert.ok(zhFonts, "no font for Simplified Chinese (fc-list :lang=zh-cn): install scripts/ci/desktop.apt");
    const dir = join(E2E_DIR, "a11y-cloud");
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    if (SHOTS) mkdirSync(SHOTS, { recursive: true });
    cloud = await startCloud(dir);
    for (const s of Object.values(sims)) {
      cloud.addSerial(s.serial);
      Object.assign(s, await startSim(s.serial, s.pop));
    }
    writeFileSync(
      PRESET,
      JSON.stringify({
        backend: { kind: "self_hosted", url: cloud.api, ca_path: cloud.ca },
        device_link: { kind: "direct", address: sims.en.ready.listen },
      }),
    );
    app = await Session.start(WEBDRIVER, APP);
  });

  after(async () => {
    await app?.quit();
    stopAll();
    if (results.length) {
      writeFileSync(join(E2E_DIR, "axe-results.json"), JSON.stringify(results, null, 1));
      for (const r of results) {
        console.log(`axe ${r.state} ${r.lang} ${r.theme}: ${r.violations} violations, ${r.passes} rules passed${r.incomplete.length ? `, to review: ${r.incomplete.join(", ")}` : ""}`);
      }
    }
  });

  for (const lang of ["en", "zh-CN"]) {
    it(`every page and state, light and dark, ${lang}: no axe-core violation`, async () => {
      const sim = sims[lang];
      const email = `a11y-${lang.toLowerCase()}@example.com`;
      await app.find('[data-page="signin"]');
      await setLanguage(lang);
      await app.find('[data-page="signin"]');
      await check("signin", lang);
      // An error state: the fields' own messages after a send with bad input.
      await app.type('input[name="email"]', "not-an-email");
      await app.type('input[name="password"]', "");
      await app.click('[data-action="signin"]');
      await app.find('[data-msg-for="email"]');
      assert.match(await app.text('[data-msg-for="email"]'), /\S/);
      await check("signin-errors", lang);
      await app.click('[data-nav="forgot"]');
      await app.find('[data-page="forgot"]');
      await check("forgot", lang);
      await app.click('[data-page="forgot"] [data-nav="back"]');
      await app.click('[data-nav="signup"]');
      await app.find('[data-page="signup"]');
      await app.type('input[name="email"]', email);
      await app.type('input[name="password"]', PASSWORD);
      await app.type('input[name="password2"]', PASSWORD);
      await check("signup", lang);
      await app.click('[data-action="signup"]');
      await app.find('[data-page="confirm"]');
      await app.type('input[name="code"]', cloud.code(email));
      await check("confirm", lang);
      await app.click('[data-action="confirm"]');
      await app.find('[data-page="signin"]');
      await app.type('input[name="email"]', email);
      await app.type('input[name="password"]', PASSWORD);
      await app.click('[data-action="signin"]');
      await app.find('[data-page="cert"]');
      await app.click('[data-nav="settings"]');
      await app.find('[data-page="settings"]');
      await check("settings", lang);
      await app.click('[data-page="settings"] [data-nav="back"]');
      await useDevice(sim.ready.listen);
      await check("page1", lang);
      await app.type('input[name="serial"]', sim.serial);
      await app.click('[data-action="check-serial"]');
      await app.waitText('[data-role="cert-result"]', new RegExp(sim.serial));
      await check("page1-checked", lang);
      await app.click('[data-page="cert"] [data-nav="next"]');
      await app.find('[data-page="wifi"]');
      await check("page2", lang);
      await app.type('input[name="scan-pop"]', sim.pop);
      await app.click('[data-action="scan"]');
      await app.click(`[data-network="${WIFI.ssid}"]`);
      await app.type('input[name="passphrase"]', WIFI.passphrase);
      await check("page2-networks", lang);
      await app.click('[data-page="wifi"] [data-nav="next"]');
      await app.find('[data-page="connect"]');
      await check("page3", lang);
      // A failed step: the wrong PoP, its reason, its fix and the details disclosure open.
      await app.type('input[name="pop"]', "not-the-code-42");
      await app.click('[data-action="provision"]');
      await waitAttr('[data-step="secure_session"]', "data-state", "failed");
      await app.find('[data-action="retry"]');
      await app.exec("for (const d of document.querySelectorAll('details')) d.open = true;");
      await check("page3-failed", lang);
      await app.click('[data-action="retry"]');
      await app.find('[data-page="connect"]');
      await app.type('input[name="pop"]', sim.pop);
      await app.click('[data-action="provision"]');
      await waitAttr('[data-step="device_online"]', "data-state", "done");
      await app.find('[data-role="outcome"] [data-fact="fingerprint"]');
      await check("page3-online", lang);
      await app.click('[data-nav="signout"]');
      await app.find('[data-page="signin"]');
    });
  }

  it("the whole wizard by keyboard alone: Tab, Enter, Escape, to online", async () => {
    const sim = sims.keys;
    const email = "a11y-en@example.com";
    await setLanguage("en");
    await app.find('[data-page="signin"]');
    // Escape cancels: sign up opened by keys, Escape comes back to sign in.
    await tabTo('[data-nav="signup"]');
    await app.keys(KEY.enter);
    await app.find('[data-page="signup"]');
    await app.keys(KEY.escape);
    await app.find('[data-page="signin"]');
    // Sign in: type, Tab, type, Enter submits.
    await tabTo('input[name="email"]');
    await typeKeys(email);
    await tabTo('input[name="password"]');
    await typeKeys(PASSWORD);
    await app.keys(KEY.enter);
    await app.find('[data-page="cert"]');
    // Settings by keys: this run's device, saved with Enter.
    await tabTo('[data-nav="settings"]');
    await app.keys(KEY.enter);
    await app.find('[data-page="settings"]');
    await tabTo('input[name="device-address"]');
    await typeKeys(sim.ready.listen);
    await app.keys(KEY.enter);
    await app.find('[data-page="cert"]');
    // Page 1: the serial, checked with Enter on the button.
    await tabTo('input[name="serial"]');
    await typeKeys(sim.serial);
    await tabTo('[data-action="check-serial"]');
    await app.keys(KEY.enter);
    await app.waitText('[data-role="cert-result"]', new RegExp(`${sim.serial} is registered`));
    await tabTo('[data-page="cert"] [data-nav="next"]');
    await app.keys(KEY.enter);
    await app.find('[data-page="wifi"]');
    // Escape on page 2 goes back to page 1; Next again.
    await app.keys(KEY.escape);
    await app.find('[data-page="cert"] [data-nav="next"]');
    await tabTo('[data-page="cert"] [data-nav="next"]');
    await app.keys(KEY.enter);
    await app.find('[data-page="wifi"]');
    // Page 2: the PoP, the scan, the network picked with Enter, the passphrase, Enter for Next.
    await tabTo('input[name="scan-pop"]');
    await typeKeys(sim.pop);
    await tabTo('[data-action="scan"]');
    await app.keys(KEY.enter);
    await app.find(`[data-network="${WIFI.ssid}"]`);
    await tabTo(`[data-network="${WIFI.ssid}"]`);
    await app.keys(KEY.enter);
    await tabTo('input[name="passphrase"]');
    await typeKeys(WIFI.passphrase);
    await app.keys(KEY.enter);
    await app.find('[data-page="connect"]');
    // Page 3: the PoP from page 2 is kept; Enter on "Provision the device".
    await tabTo('[data-action="provision"]');
    await app.keys(KEY.enter);
    await app.waitText('[data-role="outcome"]', new RegExp(`${sim.serial} is online`), 120000);
    assert.equal(await app.attr('[data-step="device_online"]', "data-state"), "done");
    const rec = cloud.device(sim.serial);
    assert.ok(rec?.last_seen, `provisiond never heard from ${sim.serial}`);
    // The outcome's button has the focus, so the next key press goes on from there.
    const f = await focused();
    assert.equal(f.name, "another", f.html);
  });
});
