import { defineConfig } from "vitest/config";

// The app loads the built files from Tauri's asset protocol; no dev server is needed.
export default defineConfig({
  clearScreen: false,
  build: { target: "es2022", outDir: "dist", emptyOutDir: true, sourcemap: false },
  test: { environment: "jsdom", include: ["src/**/*.test.ts"] },
});
