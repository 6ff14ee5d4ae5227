// Electron main: thin. The engine runs in a utilityProcess (main/engine-host.ts); the window shows the
// console the engine serves, exactly as a browser would.
import { app, BrowserWindow, Menu, Tray, nativeImage, utilityProcess, type UtilityProcess } from "electron";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { existsSync, readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";

const here = dirname(fileURLToPath(import.meta.url));
let engine: UtilityProcess | null = null;
let window: BrowserWindow | null = null;
let tray: Tray | null = null;
let consoleUrl = "";
let apiKey: string | null = null;

function startEngine(): Promise<void> {
  const dataDir = process.env.VOICEDOCK_DATA_DIR ?? join(app.getPath("userData"), "data");
  // The desktop app talks to its own engine with a per-install key kept beside the data.
  const keyFile = join(dataDir, "desktop-key.txt");
  apiKey = existsSync(keyFile) ? readFileSync(keyFile, "utf8").trim() : `vd_live_${randomBytes(24).toString("hex")}`;
  const config = { dataDir, host: "127.0.0.1", port: Number(process.env.VOICEDOCK_PORT ?? 8787), apiKey, consoleDir: join(here, "../renderer") };
  engine = utilityProcess.fork(join(here, "engine-host.js"), [], { env: { ...process.env, VOICEDOCK_ENGINE_CONFIG: JSON.stringify(config) }, serviceName: "VoiceDock engine" });
  return new Promise((resolve, reject) => {
    engine!.on("message", (m: { type: string; url?: string; message?: string }) => {
      if (m.type === "ready") {
        consoleUrl = `${m.url}/`;
        import("node:fs").then((fs) => { fs.mkdirSync(dataDir, { recursive: true }); fs.writeFileSync(keyFile, apiKey + "\n", { mode: 0o600 }); });
        resolve();
      } else if (m.type === "error") reject(new Error(m.message));
    });
    engine!.on("exit", (code) => { if (!consoleUrl) reject(new Error(`engine exited with ${code}`)); });
  });
}

function openWindow(): void {
  if (window) { window.show(); window.focus(); return; }
  window = new BrowserWindow({
    width: 1200, height: 800, title: "VoiceDock",
    webPreferences: {
      preload: join(here, "../preload/index.cjs"),
      contextIsolation: true, sandbox: true, nodeIntegration: false,
      additionalArguments: [`--voicedock-api-base=${consoleUrl.replace(/\/$/, "")}`, `--voicedock-api-key=${apiKey ?? ""}`],
    },
  });
  window.on("closed", () => { window = null; });
  void window.loadURL(consoleUrl);
}

if (!app.requestSingleInstanceLock()) app.quit();
else {
  app.on("second-instance", () => openWindow());
  app.whenReady().then(async () => {
    await startEngine();
    tray = new Tray(nativeImage.createEmpty());
    tray.setToolTip("VoiceDock");
    tray.setContextMenu(Menu.buildFromTemplate([{ label: "Show VoiceDock", click: openWindow }, { label: "Quit", click: () => app.quit() }]));
    openWindow();
  }).catch((err: Error) => {
    console.error(`VoiceDock could not start its engine: ${err.message}`);
    app.exit(1);
  });
  // Closing the window keeps calls running; Quit in the tray stops everything.
  app.on("window-all-closed", () => undefined);
  app.on("before-quit", () => engine?.postMessage({ type: "stop" }));
}
