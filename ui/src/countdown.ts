// The provisioning window's countdown on page 3: the device says how long its access point
// stays in provisioning mode; the page counts down from when it answered.

import { t } from "./i18n";

/** "4:05 left", or what to do once the window has closed. */
export function windowWords(msLeft: number): string {
  if (msLeft <= 0) return t("window-closed");
  const s = Math.ceil(msLeft / 1000);
  return t("window-left", { time: `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}` });
}

/** Keeps `el` showing the time left until `until` (epoch ms), once a second, while it is on screen. */
export function startCountdown(el: HTMLElement, until: number, now: () => number = Date.now): void {
  const tick = () => {
    el.textContent = windowWords(until - now());
    el.classList.toggle("error", until - now() <= 0);
  };
  tick();
  const timer = setInterval(() => {
    if (!el.isConnected || until - now() <= 0) clearInterval(timer);
    if (el.isConnected) tick();
  }, 1000);
}
