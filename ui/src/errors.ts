// What the UI does with each error code: where the fix is, and what to tell the person.
// The code comes from Rust (`AppError.code`); the UI switches on it, never on the text.

import type { AppError, AppErrorCode } from "./bindings";
import { t } from "./i18n";

/** The page on which a person can fix the cause. */
export type FixPage = "settings" | "signin" | "cert" | "wifi" | "connect" | "none";

interface Advice {
  fix: string;
  page: FixPage;
  /** What happened, in the app's words, where the core's message would repeat the fix; the
   * core's message then goes to the "Details" disclosure. */
  what?: string;
}

// `fix` and `what` hold catalog ids (src/locales/*.ftl), looked up when shown.
const ADVICE: Record<AppErrorCode, Advice> = {
  invalid_input: { fix: "fix-invalid-input", page: "none" },
  not_configured: { fix: "fix-not-configured", page: "settings" },
  not_signed_in: { fix: "fix-not-signed-in", page: "signin" },
  bad_credentials: { fix: "fix-bad-credentials", page: "none" },
  user_not_confirmed: { fix: "fix-user-not-confirmed", page: "none" },
  user_exists: { fix: "fix-user-exists", page: "none" },
  bad_code: { fix: "fix-bad-code", page: "none" },
  weak_password: { fix: "fix-weak-password", page: "none" },
  session_expired: { fix: "fix-session-expired", page: "signin" },
  forbidden: { fix: "fix-owned-by-other", page: "cert" },
  serial_not_registered: { fix: "fix-serial-not-registered", page: "cert" },
  serial_owned_by_other: { fix: "fix-owned-by-other", page: "cert" },
  not_found: { fix: "fix-not-found", page: "cert" },
  server: { fix: "fix-server", page: "none" },
  unreachable: { fix: "fix-unreachable", page: "none" },
  wrong_pop: { fix: "fix-wrong-pop", what: "what-wrong-pop", page: "connect" },
  insecure_device: { fix: "fix-insecure-device", page: "connect" },
  wifi_only_device: { fix: "fix-wifi-only-device", what: "what-wifi-only-device", page: "connect" },
  protocol: { fix: "fix-protocol", page: "connect" },
  wifi_auth_failed: { fix: "fix-wifi-auth-failed", page: "wifi" },
  wifi_not_found: { fix: "fix-wifi-not-found", page: "wifi" },
  device_offline: { fix: "fix-device-offline", page: "connect" },
  link: { fix: "fix-link", page: "connect" },
  storage: { fix: "fix-storage", page: "none" },
  cancelled: { fix: "fix-cancelled", page: "none" },
  too_many_attempts: { fix: "fix-too-many-attempts", page: "none" },
  settings: { fix: "fix-settings", page: "settings" },
  internal: { fix: "fix-internal", page: "none" },
};

export function advice(code: AppErrorCode): Advice {
  const a = ADVICE[code] ?? ADVICE.internal;
  return { fix: t(a.fix), page: a.page, what: a.what === undefined ? undefined : t(a.what) };
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
  return { code: "internal", message: text ? t("app-failed", { reason: firstLine(text) }) : t("app-failed-unknown") };
}

function firstLine(s: string): string {
  return s.split("\n")[0].slice(0, 200);
}

/** What happened: the app's own sentence for the code where it has one, else the core's. */
export function whatHappened(err: AppError): string {
  return advice(err.code).what ?? err.message;
}

/** The core's own message when the app shows its own sentence instead (for "Details"). */
export function detailsOf(err: AppError): string | null {
  return advice(err.code).what !== undefined && err.message !== "" ? err.message : null;
}

/** The sentences to show: what happened, then what to do (each said once). */
export function describe(err: AppError): string {
  const what = whatHappened(err);
  const fix = advice(err.code).fix;
  return what.includes(fix) ? what : `${what} ${fix}`;
}
