// As-you-type checks that mirror crates/provisioner/src/validate.rs. The Rust side is the
// truth (every command re-validates); these only give the message next to the field early.

/** Serial: 4..=32 of [A-Za-z0-9_-], starting with a letter or digit. */
export function serial(raw: string): string | null {
  const s = raw.trim();
  if (s.length === 0) return "Enter the serial number printed on the device.";
  const bad = [...s].find((c) => !/[A-Za-z0-9_-]/.test(c));
  if (bad !== undefined) return `Only letters, digits, '_' and '-' are allowed; '${bad}' is not.`;
  if (!/^[A-Za-z0-9]/.test(s)) return "The serial number must start with a letter or a digit.";
  if (s.length < 4 || s.length > 32) return `The serial number has 4 to 32 characters; this one has ${s.length}.`;
  return null;
}

/** The SoftAP name the device uses by default: PROV_ + last 4 characters, upper-cased. */
export function defaultSoftap(serialNumber: string): string {
  return `PROV_${serialNumber.trim().slice(-4).toUpperCase()}`;
}

export function email(raw: string): string | null {
  const s = raw.trim();
  if (s.length === 0) return "Enter your e-mail address.";
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s)) return "This does not look like an e-mail address (name@example.com).";
  return null;
}

/** Sign-up password policy: at least 8 characters with a letter and a digit. */
export function newPassword(raw: string): string | null {
  if (raw.length < 8) return `At least 8 characters (${raw.length} so far).`;
  if (!/[A-Za-z]/.test(raw) || !/[0-9]/.test(raw)) return "Use at least one letter and one digit.";
  return null;
}

export function password(raw: string): string | null {
  return raw.length === 0 ? "Enter your password." : null;
}

export function code(raw: string): string | null {
  const s = raw.trim();
  if (s.length === 0) return "Enter the code from the e-mail.";
  if (!/^[0-9]{4,10}$/.test(s)) return "The code is made of digits only (usually 6).";
  return null;
}

function utf8Len(s: string): number {
  return new TextEncoder().encode(s).length;
}

export function ssid(raw: string): string | null {
  const n = utf8Len(raw);
  if (n === 0) return "Choose a network from the list or type its name.";
  if (n > 32) return `A Wi-Fi network name is at most 32 bytes; this one has ${n}.`;
  return null;
}

/** Passphrase: empty for an open network, 8..=63 printable ASCII, or 64 hex digits. */
export function passphrase(raw: string, secured: boolean): string | null {
  if (raw.length === 0) return secured ? "This network is secured: enter its passphrase." : null;
  const n = [...raw].length;
  if (n === 64) return /^[0-9A-Fa-f]{64}$/.test(raw) ? null : "A 64-character key must be hexadecimal (0-9, a-f).";
  if (n < 8 || n > 63) return `A Wi-Fi passphrase has 8 to 63 characters; this one has ${n}.`;
  if (!/^[\x20-\x7e]*$/.test(raw)) return "Only printable ASCII characters are allowed in a passphrase.";
  return null;
}

export function pop(raw: string): string | null {
  const s = raw.trim();
  if (s.length === 0) return "Enter the proof-of-possession code printed on the device.";
  if (s.length > 64 || /[\x00-\x1f\x7f]/.test(s)) return "This code looks wrong: check the code printed on the device.";
  return null;
}

export function softapName(raw: string): string | null {
  const e = ssid(raw);
  if (e !== null) return raw.length === 0 ? "Enter the device's network name (PROV_xxxx on its label)." : e;
  return null;
}

export function url(raw: string): string | null {
  const s = raw.trim();
  if (s.length === 0) return "Enter the service address, e.g. https://127.0.0.1:8443.";
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return "This is not a web address (https://host:port).";
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") return "The address must start with https://.";
  return null;
}

/** host:port of a device reached directly (simulator or a device already on the LAN). */
export function address(raw: string): string | null {
  const s = raw.trim();
  if (s.length === 0) return "Enter the device address as host:port, e.g. 127.0.0.1:8080.";
  const m = /^(.+):([0-9]{1,5})$/.exec(s);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) return "Use host:port with a port from 1 to 65535.";
  return null;
}

export function required(label: string): (raw: string) => string | null {
  return (raw) => (raw.trim().length === 0 ? `Enter the ${label}.` : null);
}
