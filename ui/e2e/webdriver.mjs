// A minimal W3C WebDriver client (fetch only): enough to drive the app through tauri-driver.

import { windowPng } from "./xshot.mjs";

const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function wd(base, method, path, body) {
  const res = await fetch(base + path, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) {
    const v = json.value ?? {};
    const err = new Error(`${method} ${path}: ${v.error ?? res.status}: ${v.message ?? ""}`);
    err.wd = v.error;
    throw err;
  }
  return json.value;
}

export class Session {
  constructor(base, id) {
    this.base = base;
    this.id = id;
    this.timeoutMs = 30000;
  }

  /** Starts the app at `application` through tauri-driver listening on `base`. */
  static async start(base, application, args = []) {
    let last;
    for (let i = 0; i < 50; i++) {
      try {
        const v = await wd(base, "POST", "/session", {
          capabilities: { alwaysMatch: { "tauri:options": { application, args } } },
        });
        return new Session(base, v.sessionId);
      } catch (e) {
        last = e;
        await sleep(200);
      }
    }
    throw last;
  }

  cmd(method, path, body) {
    return wd(this.base, method, `/session/${this.id}${path}`, body);
  }

  async quit() {
    await this.cmd("DELETE", "").catch(() => {});
  }

  /** Waits until `css` matches a displayed element; returns its id. */
  async find(css, timeoutMs = this.timeoutMs) {
    const end = Date.now() + timeoutMs;
    for (;;) {
      try {
        const v = await this.cmd("POST", "/element", { using: "css selector", value: css });
        const id = v[ELEMENT];
        const shown = await this.cmd("GET", `/element/${id}/displayed`).catch(() => true);
        if (shown) return id;
      } catch (e) {
        if (e.wd !== "no such element" && e.wd !== "stale element reference") throw e;
      }
      if (Date.now() > end) throw new Error(`no element matches ${css} after ${timeoutMs} ms`);
      await sleep(150);
    }
  }

  async click(css) {
    const id = await this.find(css);
    await this.waitEnabled(id, css);
    await this.cmd("POST", `/element/${id}/click`, {});
  }

  async waitEnabled(id, css, timeoutMs = this.timeoutMs) {
    const end = Date.now() + timeoutMs;
    while (!(await this.cmd("GET", `/element/${id}/enabled`))) {
      if (Date.now() > end) throw new Error(`${css} stays disabled`);
      await sleep(150);
    }
  }

  /** Replaces the value of an input, as a person typing it (input events fire). */
  async type(css, text) {
    const id = await this.find(css);
    await this.cmd("POST", `/element/${id}/clear`, {});
    // WebKitWebDriver refuses an empty "send keys": clearing is all an empty value needs.
    if (text !== "") await this.cmd("POST", `/element/${id}/value`, { text });
  }

  async text(css) {
    const id = await this.find(css);
    return this.cmd("GET", `/element/${id}/text`);
  }

  async attr(css, name) {
    const id = await this.find(css);
    return this.cmd("GET", `/element/${id}/attribute/${name}`);
  }

  /** A DOM property (e.g. an input's current `value`, which the attribute does not follow). */
  async prop(css, name) {
    const id = await this.find(css);
    return this.cmd("GET", `/element/${id}/property/${name}`);
  }

  /** Waits until the text of `css` matches `re`; returns the text. */
  async waitText(css, re, timeoutMs = this.timeoutMs) {
    const end = Date.now() + timeoutMs;
    let last = "";
    for (;;) {
      try {
        last = await this.text(css);
        if (re.test(last)) return last;
      } catch (e) {
        if (Date.now() > end) throw e;
      }
      if (Date.now() > end) throw new Error(`${css} text ${JSON.stringify(last)} never matched ${re}`);
      await sleep(200);
    }
  }

  async exec(script, args = []) {
    return this.cmd("POST", "/execute/sync", { script, args });
  }

  /** Runs `script` as an async function body; it ends by calling its last argument. */
  async execAsync(script, args = []) {
    return this.cmd("POST", "/execute/async", { script, args });
  }

  /** Presses `key` with `modifier` held (e.g. Control + "a"), as one chord. */
  async chord(modifier, key) {
    const actions = [
      { type: "keyDown", value: modifier },
      { type: "keyDown", value: key },
      { type: "keyUp", value: key },
      { type: "keyUp", value: modifier },
    ];
    await this.cmd("POST", "/actions", { actions: [{ type: "key", id: "kb", actions }] });
  }

  /** Presses keys on the focused element (e.g. "\uE004" is Tab). */
  async keys(text) {
    const actions = [...text].flatMap((c) => [
      { type: "keyDown", value: c },
      { type: "keyUp", value: c },
    ]);
    await this.cmd("POST", "/actions", { actions: [{ type: "key", id: "kb", actions }] });
  }

  /** The app window's pixels as on screen (see xshot.mjs for why not WebDriver's). */
  async screenshot() {
    return windowPng();
  }
}
