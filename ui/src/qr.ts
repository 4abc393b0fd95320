// The device label's QR payload:
// {"ver":"v1","name":"PROV_xxxx","pop":"...","transport":"softap","security":2,"password":""}

import { t } from "./i18n";

export interface QrPayload {
  name: string;
  pop: string;
  security: number;
  password: string;
}

/** Parses a pasted QR payload, or says in a sentence what is wrong with it. */
export function parseQr(raw: string): { ok: QrPayload } | { error: string } {
  let v: unknown;
  try {
    v = JSON.parse(raw.trim());
  } catch {
    return { error: t("qr-not-json") };
  }
  if (typeof v !== "object" || v === null) return { error: t("qr-not-object") };
  const o = v as Record<string, unknown>;
  if (o.ver !== "v1") return { error: t("qr-version") };
  if (o.transport !== undefined && o.transport !== "softap")
    return { error: t("qr-transport", { transport: String(o.transport) }) };
  if (typeof o.name !== "string" || o.name.length === 0) return { error: t("qr-no-name") };
  const pop = typeof o.pop === "string" ? o.pop : "";
  const security = typeof o.security === "number" ? o.security : 2;
  const password = typeof o.password === "string" ? o.password : "";
  return { ok: { name: o.name, pop, security, password } };
}
