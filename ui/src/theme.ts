// Light or dark: the system's unless the person picks one in Settings (kept in the web view's
// localStorage). <html data-theme> always holds the resolved theme, so the stylesheet has one
// palette per theme; with "system" it follows the system's changes while the app runs.

export type ThemeChoice = "system" | "light" | "dark";
const KEY = "iotp-theme";
const DARK_QUERY = "(prefers-color-scheme: dark)";

export function themeChoice(): ThemeChoice {
  const v = globalThis.localStorage?.getItem(KEY);
  return v === "light" || v === "dark" ? v : "system";
}

export function chooseTheme(choice: ThemeChoice): void {
  if (choice === "system") globalThis.localStorage?.removeItem(KEY);
  else globalThis.localStorage?.setItem(KEY, choice);
  applyTheme();
}

/** The theme drawn: the Settings choice, or the system's when the choice is "system". */
export function resolvedTheme(): "light" | "dark" {
  const c = themeChoice();
  if (c !== "system") return c;
  return globalThis.matchMedia?.(DARK_QUERY).matches ? "dark" : "light";
}

let following = false;

export function applyTheme(): void {
  document.documentElement.dataset.theme = resolvedTheme();
  if (!following && globalThis.matchMedia) {
    following = true;
    globalThis.matchMedia(DARK_QUERY).addEventListener?.("change", () => {
      document.documentElement.dataset.theme = resolvedTheme();
    });
  }
}
