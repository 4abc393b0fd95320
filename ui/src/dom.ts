// Tiny DOM helpers: the UI is small enough that a framework would cost more than it saves.

import { t } from "./i18n";

type Attrs = Record<string, string | number | boolean | EventListener | undefined>;
type Child = Node | string | null | undefined | false;

/** Creates an element with attributes (`on*` keys become listeners) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") {
      el.addEventListener(k.slice(2).toLowerCase(), v);
    } else if (v === true) {
      el.setAttribute(k, "");
    } else {
      el.setAttribute(k, String(v));
    }
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === "string" ? document.createTextNode(c) : c);
  }
  return el;
}

let fieldSeq = 0;

/** A validated text field: label, input and the message next to it, checked as typed. */
export interface Field {
  root: HTMLElement;
  input: HTMLInputElement;
  /** The current value if valid, after showing the message; null if invalid. */
  check(): string | null;
  value(): string;
  set(v: string): void;
}

export interface FieldOpts {
  label: string;
  name: string;
  type?: string;
  value?: string;
  placeholder?: string;
  hint?: string;
  autocomplete?: string;
  /** Returns an error message, or null when the value is fine. */
  validate?: (v: string) => string | null;
  onInput?: (v: string) => void;
}

export function field(o: FieldOpts): Field {
  const id = `f-${o.name}-${++fieldSeq}`;
  const msgId = `${id}-msg`;
  const input = h("input", {
    id,
    name: o.name,
    type: o.type ?? "text",
    placeholder: o.placeholder,
    autocomplete: o.autocomplete ?? "off",
    spellcheck: "false",
    "aria-describedby": msgId,
  });
  input.value = o.value ?? "";
  const msg = h("p", { id: msgId, class: "field-msg", "data-msg-for": o.name, "aria-live": "polite" }, o.hint ?? "");
  const root = h("div", { class: "field" }, h("label", { for: id }, o.label), input, msg);
  let touched = input.value !== "";
  const show = (err: string | null) => {
    msg.textContent = err ?? o.hint ?? "";
    msg.classList.toggle("error", err !== null);
    input.setAttribute("aria-invalid", err === null ? "false" : "true");
  };
  const check = () => {
    const err = o.validate ? o.validate(input.value) : null;
    show(err);
    return err === null ? input.value : null;
  };
  input.addEventListener("input", () => {
    touched = true;
    check();
    o.onInput?.(input.value);
  });
  input.addEventListener("blur", () => {
    if (touched) check();
  });
  if (touched) queueMicrotask(check);
  return {
    root,
    input,
    check: () => {
      touched = true;
      return check();
    },
    value: () => input.value,
    set: (v: string) => {
      input.value = v;
      touched = true;
      check();
    },
  };
}

/** A password-like field with a show/hide toggle. */
export function secretField(o: FieldOpts): Field {
  const f = field({ ...o, type: "password" });
  const toggle = h(
    "button",
    { type: "button", class: "reveal", "aria-pressed": "false", "aria-controls": f.input.id, "data-reveal": o.name },
    t("secret-show"),
  );
  toggle.addEventListener("click", () => {
    const shown = f.input.type === "text";
    f.input.type = shown ? "password" : "text";
    toggle.textContent = shown ? t("secret-show") : t("secret-hide");
    toggle.setAttribute("aria-pressed", shown ? "false" : "true");
  });
  const row = h("div", { class: "input-row" });
  f.input.replaceWith(row);
  row.append(f.input, toggle);
  return f;
}

/** A banner for an error or a notice, never raw JSON. */
export function banner(kind: "error" | "info" | "ok", text: string, extra?: Child): HTMLElement {
  return h("div", { class: `banner ${kind}`, role: kind === "error" ? "alert" : "status" }, h("p", {}, text), extra);
}

/** Replaces the page content and moves focus to its heading (keyboard and screen readers). */
export function mount(root: HTMLElement, page: HTMLElement): void {
  root.replaceChildren(page);
  const heading = page.querySelector<HTMLElement>("h1, h2");
  if (heading) {
    heading.tabIndex = -1;
    heading.focus();
  }
}

/** Disables a button while a promise runs, showing `busyText`. */
export async function busy<T>(btn: HTMLButtonElement, busyText: string, work: () => Promise<T>): Promise<T> {
  const label = btn.textContent;
  btn.disabled = true;
  btn.setAttribute("aria-busy", "true");
  btn.textContent = busyText;
  try {
    return await work();
  } finally {
    btn.disabled = false;
    btn.removeAttribute("aria-busy");
    btn.textContent = label;
  }
}
