// The theme drawn is the Settings choice, or the system's while the choice is "system", and it
// follows the system changing while the app runs.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { applyTheme, chooseTheme, resolvedTheme } from "./theme";

let systemDark = false;
const listeners: (() => void)[] = [];

beforeEach(() => {
  localStorage.clear();
  systemDark = false;
  globalThis.matchMedia = ((query: string) => ({
    get matches() {
      return query === "(prefers-color-scheme: dark)" && systemDark;
    },
    addEventListener: (_: string, f: () => void) => listeners.push(f),
  })) as unknown as typeof globalThis.matchMedia;
});
afterEach(() => localStorage.clear());

const drawn = () => document.documentElement.dataset.theme;
const systemTurns = (dark: boolean) => {
  systemDark = dark;
  for (const f of listeners) f();
};

describe("theme", () => {
  it("follows the system when nothing is chosen, also when the system changes", () => {
    applyTheme();
    expect(drawn()).toBe("light");
    systemTurns(true);
    expect(drawn()).toBe("dark");
    expect(resolvedTheme()).toBe("dark");
  });

  it("a Settings choice wins over the system until 'system' is chosen again", () => {
    systemTurns(true);
    chooseTheme("light");
    expect(drawn()).toBe("light");
    systemTurns(true);
    expect(drawn()).toBe("light");
    chooseTheme("system");
    expect(drawn()).toBe("dark");
    chooseTheme("dark");
    systemTurns(false);
    expect(drawn()).toBe("dark");
  });
});
