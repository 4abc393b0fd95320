// Test support: the Tauri core and the generated bindings as the vitest files mock them. A test
// sets `script` to the progress events and result its provision call plays back, and passes
// the commands it needs beyond the common ones to `bindings`.
import { vi } from "vitest";

export const script: { events: unknown[]; result: unknown } = { events: [], result: null };

export function core() {
  return {
    Channel: class {
      onmessage: (m: unknown) => void = () => {};
    },
    invoke: vi.fn(),
  };
}

/** A run's playback: the scripted events on the channel, then the scripted result. */
async function playback(_req: unknown, ch: { onmessage: (m: unknown) => void }) {
  for (const e of script.events) ch.onmessage(e);
  return script.result;
}

export function bindings(extra: Record<string, unknown> = {}) {
  return {
    commands: {
      checkSerial: vi.fn(async (serial: string) => ({ status: "ok", data: { serial, certificate_id: null } })),
      provision: vi.fn(playback),
      provisionWifi: vi.fn(playback),
      loadSettings: vi.fn(async () => ({ status: "error", error: { code: "settings", message: "x" } })),
      ...extra,
    },
  };
}
