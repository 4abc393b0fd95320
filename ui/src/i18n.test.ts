// The catalogs: each language has exactly the messages English has, with the same variables;
// every message is used by the code and every message the code asks for exists.
/// <reference types="vite/client" />
import { FluentResource } from "@fluent/bundle";
import { afterEach, describe, expect, it } from "vitest";
import { CATALOGS, chooseLanguage, language, t } from "./i18n";

function ids(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  // Message lines: `id = value`; variables are `{ $name }`.
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z][a-zA-Z0-9_-]*) = (.*)$/.exec(line);
    if (m) out.set(m[1], [...m[2].matchAll(/\{ *\$([a-zA-Z0-9_-]+) *\}/g)].map((x) => x[1]).sort());
  }
  return out;
}

// The app's own sources (not the tests, not the catalogs), as text.
const files = import.meta.glob(["./**/*.ts", "!./**/*.test.ts", "!./**/*.d.ts"], { query: "?raw", import: "default", eager: true }) as Record<string, string>;
const code = Object.values(files).join("\n");
const english = ids(CATALOGS.en);

describe("catalogs", () => {
  it("parse without errors", () => {
    for (const [lang, text] of Object.entries(CATALOGS)) {
      const lines = text.split("\n").filter((l) => l.trim() && !l.startsWith("#"));
      expect(new FluentResource(text).body.length, lang).toBe(lines.length);
    }
  });

  for (const [lang, text] of Object.entries(CATALOGS)) {
    it(`${lang} has every message of English, no other, with the same variables`, () => {
      const these = ids(text);
      expect([...these.keys()].sort()).toEqual([...english.keys()].sort());
      for (const [id, vars] of english) expect(these.get(id), `${lang} ${id}`).toEqual(vars);
    });
  }

  it("every message is used by the code", () => {
    const unused = [...english.keys()].filter((id) => !code.includes(`"${id}"`));
    expect(unused).toEqual([]);
  });

  it("every message the code asks for exists", () => {
    const asked = [...code.matchAll(/\bt\("([a-zA-Z0-9_-]+)"/g)].map((m) => m[1]);
    expect(asked.length).toBeGreaterThan(20);
    expect(asked.filter((id) => !english.has(id))).toEqual([]);
  });
});

describe("language", () => {
  afterEach(() => chooseLanguage("system"));
  it("follows the system, and the Settings choice overrides it", () => {
    expect(language()).toBe(navigator.language.startsWith("zh") ? "zh-CN" : "en");
    chooseLanguage("zh-CN");
    expect(language()).toBe("zh-CN");
    expect(document.documentElement.lang).toBe("zh-CN");
    expect(t("signup-done-email", { email: "ada@example.com" })).toBe("确认码已发送到 ada@example.com。");
    chooseLanguage("en");
    expect(t("signup-done-email", { email: "ada@example.com" })).toBe("We sent a confirmation code to ada@example.com.");
  });
});
