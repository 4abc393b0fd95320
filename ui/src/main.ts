// Start-up: read the settings, see who is signed in, resume where the wizard was.

import "./style.css";
import { call } from "./api";
import { commands } from "./bindings";
import { banner, h } from "./dom";
import { describe, toAppError } from "./errors";
import { applyLanguage, t } from "./i18n";
import { register, start } from "./nav";
import { confirmPage, forgotPage, signInPage, signUpPage } from "./pages/auth";
import { certPage } from "./pages/cert";
import { connectPage } from "./pages/connect";
import { settingsPage } from "./pages/settings";
import { wifiPage } from "./pages/wifi";
import { state, type CertMode, type Page } from "./state";
import { applyTheme } from "./theme";

applyLanguage();
applyTheme();

register("signin", signInPage);
register("signup", signUpPage);
register("confirm", confirmPage);
register("forgot", forgotPage);
register("settings", () => settingsPage(state.backend));
register("cert", certPage);
register("wifi", wifiPage);
register("connect", connectPage);

async function boot(root: HTMLElement): Promise<void> {
  try {
    const [s, b, who, notices] = await Promise.all([
      call(commands.loadSettings()),
      call(commands.getBackend()),
      call(commands.whoami()),
      call(commands.notices()),
    ]);
    state.interrupted = who ? await call(commands.interruptedRun()) : null;
    state.notices = notices;
    state.backend = b;
    state.who = who;
    state.direct = s.device_link.kind === "direct" ? s.device_link.address : null;
    state.serial = s.wizard.serial ?? "";
    state.certMode = (s.wizard.cert_mode as CertMode | null) ?? "device_csr";
    state.ssid = s.wizard.ssid ?? "";
    state.softap = s.wizard.softap_name ?? "";
    let first: Page = who ? "cert" : "signin";
    if (b.kind === "unset") first = "settings";
    else if (who && s.wizard.page && ["cert", "wifi"].includes(s.wizard.page) && state.serial) first = s.wizard.page as Page;
    if (state.interrupted && b.kind !== "unset") {
      state.serial = state.interrupted.serial;
      state.softap = state.interrupted.softap;
      state.ssid = state.interrupted.ssid ?? state.ssid;
      first = "connect";
    }
    start(root, first);
  } catch (e) {
    root.replaceChildren(banner("error", describe(toAppError(e)), h("button", { type: "button", onclick: () => location.reload() }, t("try-again"))));
  }
}

void boot(document.getElementById("app")!);
