import { describe, expect, it } from "vitest";
import { field, secretField } from "./dom";
import * as v from "./validate";

describe("validated fields", () => {
  it("shows the message next to the field as the person types", () => {
    const f = field({ label: "Serial", name: "serial", validate: v.serial });
    document.body.append(f.root);
    f.input.value = "ab";
    f.input.dispatchEvent(new Event("input"));
    const msg = f.root.querySelector(".field-msg")!;
    expect(msg.textContent).toMatch(/has 2/);
    expect(f.input.getAttribute("aria-invalid")).toBe("true");
    f.input.value = "abcd";
    f.input.dispatchEvent(new Event("input"));
    expect(msg.classList.contains("error")).toBe(false);
    expect(f.check()).toBe("abcd");
  });
  it("reveals and hides a secret", () => {
    const f = secretField({ label: "Passphrase", name: "pw" });
    document.body.append(f.root);
    const btn = f.root.querySelector("button")!;
    expect(f.input.type).toBe("password");
    btn.click();
    expect(f.input.type).toBe("text");
    expect(btn.getAttribute("aria-pressed")).toBe("true");
    btn.click();
    expect(f.input.type).toBe("password");
  });
});
