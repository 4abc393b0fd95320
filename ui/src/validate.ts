// As-you-type checks that mirror crates/provisioner/src/validate.rs. The Rust side is the
// truth (every command re-validates); these only give the message next to the field early.

import { t } from "./i18n";

/** Serial: 4..=32 of [A-Za-z0-9_-], starting with a letter or digit. */
export function serial(raw: string): string | null {
  const s = raw.trim();
  if (s.length === 0) return t("v-serial-empty");
  const bad = [...s].find((c) => !/[A-Za-z0-9_-]/.test(c));
  if (bad !== undefined) return t("v-serial-char", { char: bad });
  if (!/^[A-Za-z0-9]/.test(s)) return t("v-serial-start");
  if (s.length < 4 || s.length > 32) return t("v-serial-length", { count: s.length });
  return null;
}

/** The SoftAP name the device uses by default: PROV_ + last 4 characters, upper-cased. */
export function defaultSoftap(serialNumber: string): string {
  return `PROV_${serialNumber.trim().slice(-4).toUpperCase()}`;
}

export function email(raw: string): string | null {
  const s = raw.trim();
  if (s.length === 0) return t("v-email-empty");
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s)) return t("v-email-shape");
  return null;
}

/** Sign-up password policy: at least 8 characters with a letter and a digit. */
export function newPassword(raw: string): string | null {
  if (raw.length < 8) return t("v-password-short", { count: raw.length });
  if (!/[A-Za-z]/.test(raw) || !/[0-9]/.test(raw)) return t("v-password-mix");
  return null;
}

export function password(raw: string): string | null {
  return raw.length === 0 ? t("v-password-empty") : null;
}

export function code(raw: string): string | null {
  const s = raw.trim();
  if (s.length === 0) return t("v-code-empty");
  if (!/^[0-9]{4,10}$/.test(s)) return t("v-code-digits");
  return null;
}

function utf8Len(s: string): number {
  return new TextEncoder().encode(s).length;
}

export function ssid(raw: string): string | null {
  const n = utf8Len(raw);
  if (n === 0) return t("v-ssid-empty");
  if (n > 32) return t("v-ssid-long", { count: n });
  return null;
}

/** Passphrase: empty for an open network, 8..=63 printable ASCII, or 64 hex digits. */
export function passphrase(raw: string, secured: boolean): string | null {
  if (raw.length === 0) return secured ? t("v-pass-empty") : null;
  const n = [...raw].length;
  if (n === 64) return /^[0-9A-Fa-f]{64}$/.test(raw) ? null : t("v-pass-hex");
  if (n < 8 || n > 63) return t("v-pass-length", { count: n });
  if (!/^[\x20-\x7e]*$/.test(raw)) return t("v-pass-ascii");
  return null;
}

export function pop(raw: string): string | null {
  const s = raw.trim();
  if (s.length === 0) return t("v-pop-empty");
  if (s.length > 64 || /[\x00-\x1f\x7f]/.test(s)) return t("v-pop-shape");
  return null;
}

export function softapName(raw: string): string | null {
  const e = ssid(raw);
  if (e !== null) return raw.length === 0 ? t("v-softap-empty") : e;
  return null;
}

export function url(raw: string): string | null {
  const s = raw.trim();
  if (s.length === 0) return t("v-url-empty");
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return t("v-url-shape");
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") return t("v-url-scheme");
  return null;
}

/** host:port of a device reached directly (simulator or a device already on the LAN). */
export function address(raw: string): string | null {
  const s = raw.trim();
  if (s.length === 0) return t("v-device-empty");
  const m = /^(.+):([0-9]{1,5})$/.exec(s);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) return t("v-device-port");
  return null;
}

/** A field that must not be empty; `message` is the catalog id of its whole sentence. */
export function required(message: string): (raw: string) => string | null {
  return (raw) => (raw.trim().length === 0 ? t(message) : null);
}
