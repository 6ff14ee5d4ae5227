// Electron main: thin. The engine runs in a utilityProcess (main/engine-host.ts); the window shows the
// console the engine serves, exactly as a browser would.
import {
  app,
  BrowserWindow,
  Menu,
  Tray,
  dialog,
  ipcMain,
  nativeImage,
  safeStorage,
  utilityProcess,
  type UtilityProcess,
} from "electron";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import { loadSecret } from "./desktop/secret-vault.js";
import { BRIDGE_CHANNEL, bridgeReply } from "./desktop/bridge.js";

const here = dirname(fileURLToPath(import.meta.url));
let engine: UtilityProcess | null = null;
let window: BrowserWindow | null = null;
let tray: Tray | null = null;
let consoleUrl = "";
let apiKey: string | null = null;

function startEngine(): Promise<void> {
  const dataDir = process.env.VOICEDOCK_DATA_DIR ?? join(app.getPath("userData"), "data");
  // The desktop app talks to its own engine with a per-install key; it and the at-rest encryption key are
  // sealed by the OS keychain when there is one (see README "What is stored where").
  apiKey = loadSecret({
    dir: dataDir,
    clearName: "desktop-key.txt",
    sealedName: "desktop-key.sealed",
    safeStorage,
    create: () => `vd_live_${randomBytes(24).toString("hex")}`,
  }).value;
  const atRest = loadSecret({
    dir: dataDir,
    clearName: "secret.key",
    sealedName: "secret.key.sealed",
    safeStorage,
    create: () => randomBytes(32).toString("base64"),
  });
  const config = {
    dataDir,
    host: "127.0.0.1",
    port: Number(process.env.VOICEDOCK_PORT ?? 8787),
    apiKey,
    consoleDir: join(here, "../renderer"),
    secretKey: atRest.storedIn === "os-keychain" ? Buffer.from(atRest.value, "base64") : undefined,
  };
  engine = utilityProcess.fork(join(here, "engine-host.js"), [], { serviceName: "VoiceDock engine" });
  engine.postMessage({ type: "start", config });
  return new Promise((resolve, reject) => {
    engine!.on("message", (m: { type: string; url?: string; message?: string }) => {
      if (m.type === "ready") {
        consoleUrl = `${m.url}/`;
        resolve();
      } else if (m.type === "busy" && m.url) {
        // `voicedock serve` already runs on this data dir: show its console instead of a second engine. Our key
        // is in that database if the desktop app ever ran on this dir; otherwise the console asks for one.
        consoleUrl = `${m.url}/`;
        engine = null;
        resolve();
      } else if (m.type === "error") reject(new Error(m.message));
    });
    engine!.on("exit", (code) => {
      if (!consoleUrl) reject(new Error(`engine exited with ${code}`));
    });
  });
}

function openWindow(): void {
  if (window) {
    if (window.isMinimized()) window.restore();
    window.show();
    window.focus();
    return;
  }
  window = new BrowserWindow({
    width: 1200,
    height: 800,
    title: "VoiceDock",
    webPreferences: {
      preload: join(here, "../preload/index.cjs"),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
    },
  });
  window.on("closed", () => {
    window = null;
  });
  void window.loadURL(consoleUrl);
}

if (!app.requestSingleInstanceLock()) app.quit();
else {
  // A second start of the app focuses the running window instead of starting a second engine.
  app.on("second-instance", () => openWindow());
  // The key reaches the console over IPC, and only a page of our own engine gets it.
  ipcMain.on(BRIDGE_CHANNEL, (event) => {
    event.returnValue = bridgeReply(event.senderFrame?.url, consoleUrl, apiKey);
  });
  app
    .whenReady()
    .then(async () => {
      await startEngine();
      tray = new Tray(nativeImage.createEmpty());
      tray.setToolTip("VoiceDock");
      tray.setContextMenu(
        Menu.buildFromTemplate([
          { label: "Show VoiceDock", click: openWindow },
          { label: "Quit", click: () => app.quit() },
        ]),
      );
      openWindow();
    })
    .catch((err: Error) => {
      console.error(`VoiceDock could not start its engine: ${err.message}`);
      dialog.showErrorBox("VoiceDock could not start", err.message);
      app.exit(1);
    });
  // Closing the window keeps calls running; Quit in the tray stops everything.
  app.on("window-all-closed", () => undefined);
  app.on("before-quit", () => engine?.postMessage({ type: "stop" }));
}
