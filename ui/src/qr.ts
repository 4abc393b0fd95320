// The device label's QR payload:
// {"ver":"v1","name":"PROV_xxxx","pop":"...","transport":"softap","security":2,"password":""}

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
    return { error: "This is not the device's QR text: it should start with {\"ver\":\"v1\"." };
  }
  if (typeof v !== "object" || v === null) return { error: "This is not the device's QR text." };
  const o = v as Record<string, unknown>;
  if (o.ver !== "v1") return { error: "Unknown QR version: this app reads version v1 labels." };
  if (o.transport !== undefined && o.transport !== "softap")
    return { error: `This device is provisioned over ${String(o.transport)}, not over its Wi-Fi access point.` };
  if (typeof o.name !== "string" || o.name.length === 0) return { error: "The QR text has no device network name." };
  const pop = typeof o.pop === "string" ? o.pop : "";
  const security = typeof o.security === "number" ? o.security : 2;
  const password = typeof o.password === "string" ? o.password : "";
  return { ok: { name: o.name, pop, security, password } };
}
