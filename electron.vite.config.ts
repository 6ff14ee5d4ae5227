import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "electron-vite";
import vue from "@vitejs/plugin-vue";

const root = fileURLToPath(new URL(".", import.meta.url));

// Three builds: the Electron main process (with the headless CLI and the engine host that runs in a
// utilityProcess), the preload script, and the Vue console. Dependencies stay external (node_modules).
// native/ (addon loaders) is bundled into main through the engine's relative imports; the addons
// themselves stay runtime imports from node_modules (native/README.md).
export default defineConfig({
  main: {
    build: {
      externalizeDeps: true,
      outDir: "out/main",
      rollupOptions: {
        input: {
          index: resolve(root, "main/index.ts"),
          cli: resolve(root, "main/cli.ts"),
          "engine-host": resolve(root, "main/engine-host.ts"),
          // The media thread's entry (main/engine/media/worker/host.ts loads it beside the bundle).
          "media-worker": resolve(root, "main/engine/media/worker/media-worker.ts"),
          // The VAD thread's entry (main/engine/voice/vad-thread/client.ts loads it beside the bundle).
          "vad-worker": resolve(root, "main/engine/voice/vad-thread/vad-worker.ts"),
          // The process that spawns the engine's children (main/engine/spawner/spawner.ts forks it beside the bundle).
          "spawner-process": resolve(root, "main/engine/spawner/spawner-process.ts"),
        },
      },
    },
  },
  preload: {
    build: {
      externalizeDeps: true,
      outDir: "out/preload",
      // Sandboxed preloads must be CommonJS.
      rollupOptions: {
        input: { index: resolve(root, "preload/index.ts") },
        output: { format: "cjs", entryFileNames: "[name].cjs" },
      },
    },
  },
  renderer: {
    root: resolve(root, "renderer"),
    base: "./",
    plugins: [vue()],
    build: {
      outDir: resolve(root, "out/renderer"),
      // The AudioWorklet module must be a file: the console's CSP (script-src 'self') refuses data: URLs.
      assetsInlineLimit: (file: string) => (file.endsWith(".js") ? false : undefined),
      rollupOptions: { input: { index: resolve(root, "renderer/index.html") } },
    },
  },
});
