// Every sentence the UI shows comes from one Fluent catalog per language (src/locales/*.ftl).
// The language follows the system's (the web view's navigator.language, from the OS locale)
// unless the person picks one in Settings; the choice is kept in the web view's localStorage
// (not a secret). Whole sentences are catalog messages with variables, never glued pieces.

import { FluentBundle, FluentResource, type FluentVariable } from "@fluent/bundle";
import en from "./locales/en.ftl?raw";
import zhCN from "./locales/zh-CN.ftl?raw";

export const CATALOGS = { en, "zh-CN": zhCN } as const;
export type Lang = keyof typeof CATALOGS;
export type LangChoice = Lang | "system";

const KEY = "iotp-language";
const bundles = new Map<Lang, FluentBundle>();

function bundle(lang: Lang): FluentBundle {
  let b = bundles.get(lang);
  if (!b) {
    // No Unicode isolation marks: the texts are checked and copied as they are.
    b = new FluentBundle(lang, { useIsolating: false });
    const errors = b.addResource(new FluentResource(CATALOGS[lang]));
    if (errors.length) throw new Error(`catalog ${lang}: ${errors[0]}`);
    bundles.set(lang, b);
  }
  return b;
}

/** The system's language, as far as the app has a catalog for it. */
export function systemLanguage(): Lang {
  const l = (typeof navigator !== "undefined" && navigator.language) || "en";
  return l.toLowerCase().startsWith("zh") ? "zh-CN" : "en";
}

/** What the person chose in Settings ("system" when nothing). */
export function languageChoice(): LangChoice {
  const v = globalThis.localStorage?.getItem(KEY);
  return v === "en" || v === "zh-CN" ? v : "system";
}

/** Keeps the choice and applies it to the document. */
export function chooseLanguage(choice: LangChoice): void {
  if (choice === "system") globalThis.localStorage?.removeItem(KEY);
  else globalThis.localStorage?.setItem(KEY, choice);
  applyLanguage();
}

/** The language in use. */
export function language(): Lang {
  const c = languageChoice();
  return c === "system" ? systemLanguage() : c;
}

/** Sets `<html lang>` so screen readers pronounce the text right. */
export function applyLanguage(): void {
  if (typeof document !== "undefined") document.documentElement.lang = language();
}

/** The message `id` in the current language, with its variables filled in. */
export function t(id: string, args?: Record<string, FluentVariable>): string {
  const b = bundle(language());
  const m = b.getMessage(id) ?? bundle("en").getMessage(id);
  if (!m?.value) return id;
  return (b.hasMessage(id) ? b : bundle("en")).formatPattern(m.value, args);
}
