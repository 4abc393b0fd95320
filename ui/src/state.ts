// What the wizard knows so far. Secrets (password, passphrase, PoP) live only in memory here
// and are never written to the settings store.

import type { BackendView, CertView, InterruptedRun, Network } from "./bindings";

export type Page = "settings" | "signin" | "signup" | "confirm" | "forgot" | "cert" | "wifi" | "connect";
export type CertMode = "device_csr" | "cloud_key";

export interface WizardState {
  page: Page;
  who: string | null;
  email: string;
  serial: string;
  certMode: CertMode;
  cert: CertView | null;
  /** The serial the service last confirmed on page 1, with what it said: coming back to
   * page 1 shows it again and keeps "Next" open without a second check. */
  checked: { serial: string; text: string } | null;
  ssid: string;
  secured: boolean;
  passphrase: string;
  networks: Network[];
  softap: string;
  pop: string;
  /** The PoP the device last accepted (a scan worked with it): only that one is reused on
   * page 3 to ask for the window, so a wrong code is never sent without the person asking. */
  popAccepted: string;
  /** Set when a failed run sent the person back to fix something; shown on that page. */
  notice: string | null;
  /** The device link: "soft_ap", or "direct" with its address. */
  direct: string | null;
  backend: BackendView;
  /** One-time notices from the core (no keyring, network restored after a crash). */
  notices: string[];
  /** A run that stopped after the device got its settings (page 3 can finish it). */
  interrupted: InterruptedRun | null;
  /** Wi-Fi only: a stock device (Espressif's own provisioning) that takes no certificate;
   * page 3 sends the Wi-Fi settings alone and asks nothing of the service. */
  wifiOnly: boolean;
}

export const state: WizardState = {
  page: "signin",
  who: null,
  email: "",
  serial: "",
  certMode: "device_csr",
  cert: null,
  checked: null,
  ssid: "",
  secured: true,
  passphrase: "",
  networks: [],
  softap: "",
  pop: "",
  popAccepted: "",
  notice: null,
  direct: null,
  backend: { kind: "unset" },
  notices: [],
  interrupted: null,
  wifiOnly: false,
};

/** The wizard's pages; `title` is a catalog id. */
export const WIZARD_PAGES: { page: Page; title: string }[] = [
  { page: "cert", title: "wizard-cert" },
  { page: "wifi", title: "wizard-wifi" },
  { page: "connect", title: "wizard-connect" },
];
