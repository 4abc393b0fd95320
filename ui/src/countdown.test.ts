import { describe, expect, it } from "vitest";
import { windowWords } from "./countdown";

describe("provisioning window countdown", () => {
  it("shows minutes and seconds, rounding up", () => {
    expect(windowWords(300000)).toBe("Provisioning window: 5:00 left");
    expect(windowWords(65001)).toBe("Provisioning window: 1:06 left");
    expect(windowWords(999)).toBe("Provisioning window: 0:01 left");
  });
  it("says what to do once it has closed", () => {
    expect(windowWords(0)).toMatch(/closed: put it in provisioning mode again/);
    expect(windowWords(-5000)).toMatch(/closed/);
  });
});
