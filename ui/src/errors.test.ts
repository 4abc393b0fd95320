import { describe, expect, it } from "vitest";
import { advice, describe as say, toAppError } from "./errors";

describe("errors shown to a person", () => {
  it("keeps a well-formed AppError", () => {
    expect(toAppError({ code: "wrong_pop", message: "The device refused the code." })).toEqual({ code: "wrong_pop", message: "The device refused the code." });
  });
  it("never shows raw JSON, undefined or an empty message", () => {
    for (const e of [undefined, null, {}, { code: "nope", message: 1 }, "", new Error(""), { code: "wrong_pop", message: "" }]) {
      const a = toAppError(e);
      expect(a.code).toBe("internal");
      expect(a.message).not.toMatch(/undefined|null|\{/);
      expect(a.message.length).toBeGreaterThan(10);
    }
    expect(toAppError("Command foo not allowed by ACL\nstack...").message).toBe("The app failed: Command foo not allowed by ACL");
  });
  it("routes a fix to the page that can make it", () => {
    expect(advice("wifi_auth_failed").page).toBe("wifi");
    expect(advice("wifi_not_found").page).toBe("wifi");
    expect(advice("wrong_pop").page).toBe("connect");
    expect(advice("forbidden").page).toBe("cert");
    expect(advice("session_expired").page).toBe("signin");
    // The core's serial codes reach the UI as themselves (not as "internal").
    expect(advice("serial_not_registered").page).toBe("cert");
    expect(advice("serial_owned_by_other").page).toBe("cert");
    expect(toAppError({ code: "serial_not_registered", message: "Unknown serial." }).code).toBe("serial_not_registered");
  });
  it("adds the fix after the message", () => {
    expect(say({ code: "wifi_auth_failed", message: "The device could not join HomeWiFi: wrong passphrase." })).toBe(
      "The device could not join HomeWiFi: wrong passphrase. Check the Wi-Fi passphrase (letters are case-sensitive).",
    );
  });
  it("says a wrong device code once, with the core's words kept for Details (issue 17, 10)", () => {
    const err = { code: "wrong_pop" as const, message: "The device refused the proof-of-possession code: check the code printed on the device." };
    expect(say(err)).toBe("The device refused the proof-of-possession code. Check the code printed on the device, then retry.");
  });
});
