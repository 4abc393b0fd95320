// What the UI does with each error code: where the fix is, and what to tell the person.
// The code comes from Rust (`AppError.code`); the UI switches on it, never on the text.

import type { AppError, AppErrorCode } from "./bindings";

/** The page on which a person can fix the cause. */
export type FixPage = "settings" | "signin" | "cert" | "wifi" | "connect" | "none";

interface Advice {
  fix: string;
  page: FixPage;
}

const ADVICE: Record<AppErrorCode, Advice> = {
  invalid_input: { fix: "Correct the highlighted value.", page: "none" },
  not_configured: { fix: "Choose the provisioning service in Settings.", page: "settings" },
  not_signed_in: { fix: "Sign in again.", page: "signin" },
  bad_credentials: { fix: "Check the e-mail and password, or use “Forgot password”.", page: "none" },
  user_not_confirmed: { fix: "Enter the confirmation code that was e-mailed to you.", page: "none" },
  user_exists: { fix: "Sign in with this e-mail, or use “Forgot password”.", page: "none" },
  bad_code: { fix: "Check the code in the e-mail; ask for a new one if it expired.", page: "none" },
  weak_password: { fix: "Choose a longer password with letters and digits.", page: "none" },
  session_expired: { fix: "Sign in again; your answers are kept.", page: "signin" },
  forbidden: { fix: "This device belongs to another account: ask its owner to release it.", page: "cert" },
  serial_not_registered: { fix: "Check the serial number on the device label; the service does not know this one.", page: "cert" },
  serial_owned_by_other: { fix: "This device belongs to another account: ask its owner to release it.", page: "cert" },
  not_found: { fix: "Check the serial number on the device label.", page: "cert" },
  server: { fix: "Try again in a moment; if it persists, check the service's logs.", page: "none" },
  unreachable: { fix: "Check the service address in Settings and your network connection.", page: "none" },
  wrong_pop: { fix: "Check the proof-of-possession code printed on the device, then retry.", page: "connect" },
  insecure_device: { fix: "This device offers weaker security than expected; nothing was sent to it. Check that it is your device, or update its firmware.", page: "connect" },
  wifi_only_device: { fix: "This device runs Espressif's stock provisioning: it takes Wi-Fi settings only, no certificate.", page: "connect" },
  protocol: { fix: "The device answered unexpectedly: restart it and retry.", page: "connect" },
  wifi_auth_failed: { fix: "Check the Wi-Fi passphrase (letters are case-sensitive).", page: "wifi" },
  wifi_not_found: { fix: "Check the network name and that the device is in range of the router.", page: "wifi" },
  device_offline: { fix: "The device joined Wi-Fi but did not reach the service: check the router's internet access.", page: "connect" },
  link: { fix: "Check that the device is powered and in provisioning mode (its network PROV_xxxx is visible).", page: "connect" },
  storage: { fix: "The app could not save its data; check the disk and the keyring.", page: "none" },
  cancelled: { fix: "Start again when ready.", page: "none" },
  too_many_attempts: { fix: "Wait a few minutes, then try again.", page: "none" },
  settings: { fix: "Check the settings and save them again.", page: "settings" },
  internal: { fix: "Restart the app; if it happens again, report it with what you were doing.", page: "none" },
};

export function advice(code: AppErrorCode): Advice {
  return ADVICE[code] ?? ADVICE.internal;
}

/** Turns anything a rejected call produced into an `AppError` with a readable message. */
export function toAppError(e: unknown): AppError {
  if (typeof e === "object" && e !== null && "code" in e && "message" in e) {
    const o = e as { code: unknown; message: unknown };
    if (typeof o.code === "string" && o.code in ADVICE && typeof o.message === "string" && o.message !== "") {
      return { code: o.code as AppErrorCode, message: o.message };
    }
  }
  // Framework failures (a denied permission, a bad argument) reject with a plain string.
  const text = typeof e === "string" && e.trim() !== "" ? e : e instanceof Error && e.message ? e.message : "";
  return { code: "internal", message: text ? `The app failed: ${firstLine(text)}` : "The app failed for an unknown reason." };
}

function firstLine(s: string): string {
  return s.split("\n")[0].slice(0, 200);
}

/** The sentence to show: what happened, then what to do. */
export function describe(err: AppError): string {
  const fix = advice(err.code).fix;
  return err.message.includes(fix) ? err.message : `${err.message} ${fix}`;
}
