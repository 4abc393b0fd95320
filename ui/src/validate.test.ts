import { describe, expect, it } from "vitest";
import * as v from "./validate";

function check(fn: (s: string) => string | null, ok: string[], bad: [string, RegExp][]) {
  for (const s of ok) expect(fn(s), `"${s}" should pass`).toBeNull();
  for (const [s, msg] of bad) expect(fn(s), `"${s}" should fail`).toMatch(msg);
}

describe("as-you-type validation mirrors the core's rules", () => {
  it("serial", () =>
    check(v.serial, ["SN-0001", "abcd", "A_b-9", "x".repeat(32)], [
      ["", /Enter the serial/],
      ["abc", /4 to 32.*has 3/],
      ["x".repeat(33), /has 33/],
      ["-abc", /start with a letter or a digit/],
      ["ab cd", /' ' is not/],
      ["SN/01", /'\/' is not/],
    ]));
  it("default SoftAP name", () => {
    expect(v.defaultSoftap("demo-0001")).toBe("PROV_0001");
    expect(v.defaultSoftap("sn-ab12cd")).toBe("PROV_12CD");
  });
  it("ssid counts bytes, not characters", () =>
    check(v.ssid, ["HomeWiFi", "é".repeat(16)], [
      ["", /Choose a network/],
      ["é".repeat(17), /at most 32 bytes.*34/],
    ]));
  it("passphrase", () => {
    expect(v.passphrase("", false)).toBeNull();
    expect(v.passphrase("", true)).toMatch(/secured/);
    expect(v.passphrase("correct horse", true)).toBeNull();
    expect(v.passphrase("short", true)).toMatch(/8 to 63.*5/);
    expect(v.passphrase("a".repeat(64), true)).toBeNull();
    expect(v.passphrase("g".repeat(64), true)).toMatch(/hexadecimal/);
    expect(v.passphrase("pässwörd1", true)).toMatch(/ASCII/);
  });
  it("pop, email, code, url, address", () => {
    check(v.pop, ["abcd1234"], [["", /proof-of-possession/], ["a\u0001b", /looks wrong/]]);
    check(v.email, ["a@b.co"], [["", /Enter your/], ["a@b", /does not look/]]);
    check(v.code, ["123456"], [["", /Enter the code/], ["12a456", /digits only/]]);
    check(v.url, ["https://127.0.0.1:8443", "http://localhost:1"], [["", /Enter/], ["nope", /not a web address/], ["ftp://x", /https/]]);
    check(v.address, ["127.0.0.1:8080", "localhost:1"], [["", /host:port/], ["127.0.0.1", /host:port/], ["h:70000", /1 to 65535/]]);
    check(v.newPassword, ["abcdefg1"], [["abc", /At least 8.*3/], ["abcdefgh", /letter and one digit/]]);
  });
});
