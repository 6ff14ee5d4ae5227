#!/usr/bin/env node
// `npm start`: build if needed, then open the desktop app; where Electron cannot run (no binary, no
// display), start the headless server with the web console instead and print its URL.
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);

if (!existsSync(join(root, "out", "renderer", "index.html")) || !existsSync(join(root, "out", "main", "index.js"))) {
  console.log("Building VoiceDock (first start)…");
  const r = spawnSync(
    process.execPath,
    [join(root, "node_modules", "electron-vite", "bin", "electron-vite.js"), "build"],
    { cwd: root, stdio: "inherit" },
  );
  if (r.status !== 0) process.exit(r.status ?? 1);
}

/** Electron's binary is fetched on first start (the install step skips it so installs work offline). */
function electronBinary() {
  try {
    const pkgDir = dirname(require.resolve("electron/package.json"));
    if (!existsSync(join(pkgDir, "path.txt")) && process.env.VOICEDOCK_HEADLESS !== "1") {
      spawnSync(process.execPath, [join(pkgDir, "install.js")], { cwd: pkgDir, stdio: "ignore", timeout: 120_000 });
    }
    if (!existsSync(join(pkgDir, "path.txt"))) return null;
    const bin = require("electron");
    return typeof bin === "string" && existsSync(bin) ? bin : null;
  } catch {
    return null;
  }
}

const hasDisplay = process.platform !== "linux" || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
const electron = process.env.VOICEDOCK_HEADLESS === "1" ? null : electronBinary();
const args = process.argv.slice(2);
if (electron && hasDisplay) {
  spawn(electron, [root, ...args], { stdio: "inherit" }).on("exit", (code) => process.exit(code ?? 0));
} else {
  console.log(
    electron
      ? "No display found: starting the headless server with the web console."
      : "The Electron binary is not available on this machine: starting the headless server with the web console.",
  );
  spawn(process.execPath, [join(root, "bin", "voicedock.js"), "serve", ...args], { stdio: "inherit" }).on(
    "exit",
    (code) => process.exit(code ?? 0),
  );
}
