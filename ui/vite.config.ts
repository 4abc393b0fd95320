import { defineConfig } from "vitest/config";

// The app loads the built files from Tauri's asset protocol; no dev server is needed.
export default defineConfig({
  clearScreen: false,
  build: { target: "es2022", outDir: "dist", emptyOutDir: true, sourcemap: false },
  // css: the accessibility test reads style.css as text (contrast of both palettes).
  test: { environment: "jsdom", include: ["src/**/*.test.ts"], css: true },
});
