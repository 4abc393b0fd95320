// Light or dark: the system's unless the person picks one in Settings (kept in the web view's
// localStorage; the stylesheet reads <html data-theme>).

export type ThemeChoice = "system" | "light" | "dark";
const KEY = "iotp-theme";

export function themeChoice(): ThemeChoice {
  const v = globalThis.localStorage?.getItem(KEY);
  return v === "light" || v === "dark" ? v : "system";
}

export function chooseTheme(choice: ThemeChoice): void {
  if (choice === "system") globalThis.localStorage?.removeItem(KEY);
  else globalThis.localStorage?.setItem(KEY, choice);
  applyTheme();
}

export function applyTheme(): void {
  const c = themeChoice();
  if (c === "system") delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = c;
}
