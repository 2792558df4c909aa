import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";

// The studio loads from tauri://localhost with a strict CSP: no inline scripts, no
// remote origins. Vite's build emits external module scripts and CSS files only.
export default defineConfig({
  plugins: [react()],
  base: "./",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "safari16",
    chunkSizeWarningLimit: 2048,
  },
  test: {
    environment: "node",
    include: ["src/**/*.test.ts"],
  },
});
