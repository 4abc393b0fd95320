// Page switching: pages call `go`, main.ts registers how each page is drawn.

import { commands } from "./bindings";
import { banner, h, mount } from "./dom";
import { t } from "./i18n";
import { state, WIZARD_PAGES, type Page } from "./state";

type Draw = () => HTMLElement;
const pages = new Map<Page, Draw>();
let root: HTMLElement;

export function register(page: Page, draw: Draw): void {
  pages.set(page, draw);
}

export function start(el: HTMLElement, first: Page): void {
  root = el;
  if (!keysBound) {
    keysBound = true;
    document.addEventListener("keydown", onKey);
  }
  go(first);
}

let keysBound = false;

/** Escape cancels: it goes back as the page's "Back" button does (Enter submits the forms). */
function onKey(ev: KeyboardEvent): void {
  if (ev.key !== "Escape" || ev.defaultPrevented) return;
  const back = root?.querySelector<HTMLButtonElement>('[data-nav="back"]');
  if (back && !back.disabled) {
    ev.preventDefault();
    back.click();
  }
}

/** Shows a page and remembers the non-secret wizard progress for the next start. */
export function go(page: Page): void {
  state.page = page;
  const draw = pages.get(page);
  if (!draw) return;
  const body = draw();
  mount(root, frame(page, body));
  void remember();
}

async function remember(): Promise<void> {
  const r = await commands.loadSettings().catch(() => null);
  if (!r || r.status !== "ok") return;
  const s = r.data;
  s.wizard = {
    serial: state.serial || null,
    cert_mode: state.certMode,
    ssid: state.ssid || null,
    softap_name: state.softap || null,
    page: ["cert", "wifi", "connect"].includes(state.page) ? state.page : s.wizard.page,
  };
  await commands.saveSettings(s).catch(() => null);
}

function frame(page: Page, body: HTMLElement): HTMLElement {
  const inWizard = WIZARD_PAGES.some((p) => p.page === page);
  const header = h(
    "header",
    { class: "top" },
    h("strong", {}, t("app-name")),
    h(
      "div",
      { class: "who" },
      state.who ? t("signed-in-as", { email: state.who }) : "", state.who ? " " : "",
      page !== "settings"
        ? h("button", { type: "button", class: "link", "data-nav": "settings", onclick: () => go("settings") }, t("settings-title"))
        : null,
      state.who
        ? h(
            "button",
            {
              type: "button",
              class: "link",
              "data-nav": "signout",
              onclick: async () => {
                await commands.signOut().catch(() => null);
                state.who = null;
                state.checked = null;
                go("signin");
              },
            },
            t("sign-out"),
          )
        : null,
    ),
  );
  const stepper = inWizard
    ? h(
        "ol",
        { class: "stepper", "aria-label": t("wizard-steps") },
        ...WIZARD_PAGES.map((p, i) => {
          const cur = WIZARD_PAGES.findIndex((x) => x.page === page);
          return h("li", { "aria-current": p.page === page ? "step" : undefined, class: i < cur ? "done" : "" }, t(p.title));
        }),
      )
    : null;
  const notices = state.notices.splice(0).map((n) => banner("info", n));
  return h("div", { class: "frame", "data-page": page }, header, ...notices, stepper, body);
}
