import { describe, expect, it } from "vitest";
import { parseQr } from "./qr";

describe("QR payload", () => {
  it("reads the label's JSON", () => {
    const r = parseQr('{"ver":"v1","name":"PROV_0001","pop":"abcd1234","transport":"softap","security":2,"password":""}');
    expect(r).toEqual({ ok: { name: "PROV_0001", pop: "abcd1234", security: 2, password: "" } });
  });
  it("says what is wrong, in words", () => {
    expect(parseQr("hello")).toEqual({ error: expect.stringMatching(/not the device's QR/) });
    expect(parseQr('{"ver":"v2","name":"x"}')).toEqual({ error: expect.stringMatching(/version/) });
    expect(parseQr('{"ver":"v1","name":"x","transport":"ble"}')).toEqual({ error: expect.stringMatching(/over ble/) });
    expect(parseQr('{"ver":"v1"}')).toEqual({ error: expect.stringMatching(/no device network name/) });
    expect(parseQr("null")).toEqual({ error: expect.stringMatching(/not the device's QR/) });
  });
});
