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
    // ASCII-only JavaScript (other characters as \u escapes): WebKit keeps an all-ASCII
    // script's source as the bytes it loaded, while one non-Latin-1 character (CodeMirror's
    // class prefix, the UI's arrows and symbols) made it decode the whole 0.7 MB bundle
    // into a second, UTF-16 copy (1.5 MB) for as long as the page runs.
    rolldownOptions: { output: { charset: "ascii" } },
  },
  test: {
    environment: "node",
    include: ["src/**/*.test.ts"],
  },
});
