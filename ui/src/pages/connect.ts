// Page 3: reach the device, send everything, follow each step to "device online".

import { Channel } from "@tauri-apps/api/core";
import { call } from "../api";
import { commands, type AppError, type ProgressEvent, type Provisioned, type StepId, type WifiDone } from "../bindings";
import { banner, field, h, secretField } from "../dom";
import { advice, describe, detailsOf, toAppError, whatHappened } from "../errors";
import { t } from "../i18n";
import { go } from "../nav";
import { parseQr } from "../qr";
import { state } from "../state";
import * as v from "../validate";
import { certFacts } from "./cert";
import { startCountdown } from "../countdown";

export const STEPS: { id: StepId; label: string }[] = [
  { id: "join_device", label: "step-join-device" },
  { id: "secure_session", label: "step-secure-session" },
  { id: "certificate", label: "step-certificate" },
  { id: "send_credentials", label: "step-send-credentials" },
  { id: "apply", label: "step-apply" },
  { id: "device_joined_wifi", label: "step-device-joined" },
  { id: "host_restored", label: "step-host-restored" },
  { id: "device_online", label: "step-device-online" },
];

const RETRY: Record<"connect" | "wifi" | "cert" | "signin" | "settings", string> = {
  connect: "retry",
  wifi: "fix-on-wifi",
  cert: "fix-on-cert",
  signin: "fix-on-signin",
  settings: "fix-on-settings",
};

const MARK: Record<string, string> = { pending: "·", running: "…", done: "✓", failed: "✗" };

export function connectPage(): HTMLElement {
  const msgs = h("div", { "data-role": "messages" });
  if (state.notice) msgs.append(banner("error", state.notice));
  state.notice = null;

  const softap = field({ label: t("field-softap"), name: "softap", value: state.softap || v.defaultSoftap(state.serial), hint: t("softap-hint"), validate: v.softapName });
  const pop = secretField({ label: t("field-pop"), name: "pop", value: state.pop, validate: v.pop });
  const qr = h("textarea", { id: "qr", name: "qr", rows: 2, placeholder: '{"ver":"v1","name":"PROV_…","pop":"…"}' });
  const qrMsg = h("p", { class: "field-msg", "data-msg-for": "qr" }, t("qr-hint"));
  qr.addEventListener("input", () => {
    if (qr.value.trim() === "") {
      qrMsg.textContent = t("qr-hint");
      qrMsg.classList.remove("error");
      return;
    }
    const r = parseQr(qr.value);
    if ("error" in r) {
      qrMsg.textContent = r.error;
      qrMsg.classList.add("error");
    } else {
      softap.set(r.ok.name);
      if (r.ok.pop) pop.set(r.ok.pop);
      qrMsg.textContent = t("qr-read", { name: r.ok.name });
      qrMsg.classList.remove("error");
    }
  });

  // Wi-Fi only: no certificate is made and the service is never asked, so those steps are not listed.
  const wifiOnly = state.wifiOnly;
  const steps = wifiOnly ? STEPS.filter((s) => s.id !== "certificate" && s.id !== "device_online") : STEPS;
  const rows = new Map<StepId, HTMLLIElement>();
  const list = h("ol", { class: "progress", "data-role": "steps", "aria-live": "polite" });
  for (const s of steps) {
    const li = h("li", { "data-step": s.id, "data-state": "pending" }, h("span", { class: "mark", "aria-hidden": "true" }, MARK.pending), h("span", {}, t(s.label)));
    rows.set(s.id, li);
    list.append(li);
  }
  const outcome = h("div", { "data-role": "outcome", "aria-live": "polite" });

  const setStep = (id: StepId, st: "running" | "done" | "failed", detail: string, err?: AppError) => {
    const li = rows.get(id);
    if (!li) return;
    li.dataset.state = st;
    li.querySelector(".mark")!.textContent = MARK[st];
    li.querySelectorAll(".why, .fix, .detail").forEach((n) => n.remove());
    if (!err && detail) li.append(h("p", { class: "fix detail muted" }, detail));
    if (err) {
      li.append(h("p", { class: "why", "data-role": "why" }, whatHappened(err)), h("p", { class: "fix", "data-role": "fix" }, advice(err.code).fix));
      const more = detailsOf(err);
      if (more) li.append(h("details", { class: "detail", "data-role": "details" }, h("summary", {}, t("details")), h("p", {}, more)));
    }
  };
  const onEvent = (ev: ProgressEvent) => {
    if (ev.kind === "step") setStep(ev.step, ev.state, ev.message, ev.error ?? undefined);
  };

  const go3 = h("button", { type: "button", class: "primary", "data-action": "provision" }, t(wifiOnly ? "provision-wifi-only" : "provision"));
  const back = h("button", { type: "button", "data-nav": "back", onclick: () => go("wifi") }, t("back"));

  const fail = (err: AppError) => {
    const a = advice(err.code);
    const target = a.page === "cert" || a.page === "wifi" || a.page === "connect" || a.page === "signin" || a.page === "settings" ? a.page : "connect";
    // A stock device: instead of a retry, offer to finish as Espressif's apps do, with the same inputs.
    const stock = err.code === "wifi_only_device" && !wifiOnly;
    const next = stock
      ? h("button", { type: "button", class: "primary", "data-action": "finish-wifi-only" }, t("finish-wifi-only"))
      : h("button", { type: "button", class: "primary", "data-action": "retry", "data-target": target }, t(RETRY[target]));
    next.addEventListener("click", () => {
      if (stock) state.wifiOnly = true;
      else state.notice = describe(err);
      go(stock ? "connect" : target);
    });
    outcome.replaceChildren(banner("error", describe(err)), h("div", { class: "actions" }, h("span"), h("div", { class: "right" }, next)));
    next.focus();
  };

  const run = async <T>(start: (ch: Channel<ProgressEvent>) => Promise<T>, shown: (done: T) => HTMLElement[]) => {
    msgs.replaceChildren();
    outcome.replaceChildren();
    for (const li of rows.values()) {
      li.dataset.state = "pending";
      li.querySelector(".mark")!.textContent = MARK.pending;
      li.querySelectorAll(".why, .fix, .detail").forEach((n) => n.remove());
    }
    const channel = new Channel<ProgressEvent>();
    channel.onmessage = onEvent;
    go3.disabled = true;
    back.disabled = true;
    try {
      const done = await start(channel);
      state.popAccepted = state.pop;
      state.interrupted = null;
      outcome.replaceChildren(
        ...shown(done),
        h("div", { class: "actions" }, h("span"), h("div", { class: "right" }, h("button", { type: "button", class: "primary", "data-action": "another", onclick: () => another() }, t("another")))),
      );
      outcome.querySelector<HTMLButtonElement>("button")?.focus();
    } catch (e) {
      fail(toAppError(e));
    } finally {
      go3.disabled = false;
      back.disabled = false;
    }
  };

  go3.addEventListener("click", async () => {
    const [a, p] = [softap.check(), pop.check()];
    if (a === null || p === null) return;
    state.softap = a.trim();
    state.pop = p.trim();
    const device = { ssid: state.ssid, passphrase: state.passphrase, softap: state.softap, pop: state.pop };
    if (wifiOnly) {
      await run((ch) => call(commands.provisionWifi(device, ch)), wifiDone);
      return;
    }
    await run((ch) => call(commands.provision({ ...device, serial: state.serial, cert_mode: state.certMode }, ch)), online);
  });

  // The window's countdown: asked of the device with the code it already accepted, before
  // the button is usable (one session with the device at a time).
  const windowLine = h("p", { class: "muted", "data-role": "window", "aria-live": "polite" });
  if (state.pop && state.pop === state.popAccepted) {
    const softapName = state.softap || v.defaultSoftap(state.serial);
    go3.disabled = true;
    windowLine.textContent = t("window-asking");
    void call(commands.windowLeft({ softap: softapName, pop: state.pop }))
      .then((ms) => {
        if (ms === null) windowLine.textContent = t("window-unknown");
        else startCountdown(windowLine, Date.now() + ms);
      })
      .catch(() => {
        windowLine.textContent = "";
      })
      .finally(() => {
        go3.disabled = false;
      });
  }

  if (state.interrupted) {
    const resume = h("button", { type: "button", class: "primary", "data-action": "resume" }, t("resume"));
    resume.addEventListener("click", () => run((ch) => call(commands.resumeRun(ch)), online));
    msgs.append(banner("info", t("interrupted", { serial: state.interrupted.serial }), h("div", { class: "actions" }, resume)));
  }

  return h(
    "section",
    { class: "panel" },
    h("h1", {}, t("connect-title")),
    h(
      "p",
      { class: "lead", "data-role": "lead" },
      state.direct
        ? t("connect-lead-direct", { serial: state.serial || t("the-device"), address: state.direct })
        : t("connect-lead-softap", { serial: state.serial || t("the-device") }),
    ),
    wifiOnly ? h("p", { class: "muted", "data-role": "wifi-only" }, t("connect-wifi-only-note")) : null,
    msgs,
    windowLine,
    softap.root,
    pop.root,
    h("div", { class: "field" }, h("label", { for: "qr" }, t("field-qr")), qr, qrMsg),
    h("div", { class: "actions" }, back, h("div", { class: "right" }, go3)),
    list,
    outcome,
  );
}

/** The end of a full run: online, with the certificate's facts. */
function online(done: Provisioned): HTMLElement[] {
  state.cert = done.cert;
  return [banner("ok", done.last_seen ? t("online-seen", { serial: done.serial, seen: done.last_seen }) : t("online", { serial: done.serial })), certFacts(done.cert)];
}

/** The end of a Wi-Fi-only run: which network the device joined, and no certificate. */
function wifiDone(done: WifiDone): HTMLElement[] {
  const facts = h(
    "dl",
    { class: "facts", "data-role": "wifi-done" },
    h("dt", {}, t("field-softap")),
    h("dd", { "data-fact": "softap" }, done.softap),
    h("dt", {}, t("field-ssid")),
    h("dd", { "data-fact": "ssid" }, done.ssid),
    h("dt", {}, t("fact-address")),
    h("dd", { "data-fact": "address" }, done.ip ?? t("fact-not-reported")),
    h("dt", {}, t("fact-security")),
    h("dd", { "data-fact": "security" }, t("fact-security-level", { level: done.sec_ver })),
  );
  const shown = [banner("ok", t("wifi-only-done", { softap: done.softap, ssid: done.ssid })), facts];
  if (done.has_iot_cred) shown.push(h("p", { class: "muted", "data-role": "wifi-only-ours" }, t("wifi-only-ours")));
  return shown;
}

function another(): void {
  state.wifiOnly = false;
  state.serial = "";
  state.cert = null;
  state.checked = null;
  state.softap = "";
  state.pop = "";
  state.popAccepted = "";
  state.networks = [];
  go("cert");
}
