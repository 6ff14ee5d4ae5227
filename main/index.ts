// Electron main: thin. The engine runs in a utilityProcess (main/engine-host.ts); the window shows the
// console the engine serves, exactly as a browser would.
import {
  app,
  BrowserWindow,
  Menu,
  Notification,
  Tray,
  dialog,
  globalShortcut,
  ipcMain,
  nativeImage,
  net,
  safeStorage,
  utilityProcess,
  type UtilityProcess,
} from "electron";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import { loadSecret } from "./desktop/secret-vault.js";
import { BRIDGE_CHANNEL, bridgeReply } from "./desktop/bridge.js";
import { trayView, type DesktopNote, type DesktopState } from "./desktop/desktop-state.js";
import { watchEngine, type EngineWatch, type SocketLike } from "./desktop/engine-watch.js";
import { dialRoute, linkFromArgv, numberFromLink } from "./desktop/dial-link.js";
import { readStartup, startHidden, writeStartup } from "./desktop/startup.js";
import { trayBitmap } from "./desktop/tray-icon.js";
import { IncomingPopups } from "./desktop/incoming-popup.js";
import { readHotkeys, registerHotkeys } from "./desktop/hotkeys.js";
import { allowHeadsets } from "./desktop/hid-permission.js";

const here = dirname(fileURLToPath(import.meta.url));
let engine: UtilityProcess | null = null;
let window: BrowserWindow | null = null;
let tray: Tray | null = null;
let consoleUrl = "";
let apiKey: string | null = null;
let dataDir = "";
let watch: EngineWatch | null = null;
let quitting = false;
const webPreferences = () => ({
  preload: join(here, "../preload/index.cjs"),
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
});
// A small always-on-top window per ringing call, shown without taking focus (see incoming-popup.ts).
const popups = new IncomingPopups((callId) => {
  const popup = new BrowserWindow({
    width: 360,
    height: 150,
    frame: false,
    resizable: false,
    alwaysOnTop: true,
    skipTaskbar: true,
    show: false,
    title: "Incoming call",
    webPreferences: webPreferences(),
  });
  void popup.loadURL(`${consoleUrl}#/ring/${encodeURIComponent(callId)}`);
  return popup;
});

function startEngine(): Promise<void> {
  dataDir = process.env.VOICEDOCK_DATA_DIR ?? join(app.getPath("userData"), "data");
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

function openWindow(url = consoleUrl): void {
  watch?.clearMissed();
  if (window) {
    if (window.isMinimized()) window.restore();
    if (url !== consoleUrl) void window.loadURL(url);
    window.show();
    window.focus();
    return;
  }
  window = new BrowserWindow({
    width: 1200,
    height: 800,
    title: "VoiceDock",
    webPreferences: webPreferences(),
  });
  allowHeadsets(window.webContents.session, () => (consoleUrl ? new URL(consoleUrl).origin : null));
  // Closing the window hides it to the tray: calls keep running; Quit in the tray stops everything.
  window.on("close", (e) => {
    if (quitting) return;
    e.preventDefault();
    window?.hide();
  });
  window.on("closed", () => {
    window = null;
  });
  void window.loadURL(url);
}

/** A sip:/tel: link opens the dialler with the number filled in; the person presses call. */
function openLink(link: string | null): boolean {
  const number = link ? numberFromLink(link) : null;
  if (!number || !consoleUrl) return false;
  openWindow(dialRoute(consoleUrl, number));
  return true;
}

function showState(state: DesktopState, notes: DesktopNote[]): void {
  if (!tray) return;
  const view = trayView(state);
  tray.setImage(nativeImage.createFromBitmap(trayBitmap(view.status), { width: 32, height: 32 }));
  tray.setToolTip(view.tooltip);
  popups.sync(state.ringing);
  // The OS notification is the second channel (the popup may be behind a full-screen app).
  if (Notification.isSupported()) {
    for (const note of notes) {
      const n = new Notification({ title: note.title, body: note.body, silent: note.kind === "registration-failed" });
      n.on("click", () => openWindow());
      n.show();
    }
  }
}

function buildTray(): void {
  tray = new Tray(nativeImage.createFromBitmap(trayBitmap("none"), { width: 32, height: 32 }));
  tray.on("click", () => openWindow());
  const startup = readStartup(dataDir);
  const menu = () =>
    Menu.buildFromTemplate([
      { label: "Show VoiceDock", click: () => openWindow() },
      { type: "separator" },
      {
        label: "Start at login",
        type: "checkbox",
        checked: startup.openAtLogin,
        click: (item) => {
          startup.openAtLogin = item.checked;
          writeStartup(dataDir, startup, app);
        },
      },
      {
        label: "Start minimized",
        type: "checkbox",
        checked: startup.startMinimized,
        click: (item) => {
          startup.startMinimized = item.checked;
          writeStartup(dataDir, startup, app);
        },
      },
      { type: "separator" },
      { label: "Quit", click: () => app.quit() },
    ]);
  tray.setContextMenu(menu());
  if (apiKey && engine) {
    watch = watchEngine({
      apiBase: consoleUrl.replace(/\/$/, ""),
      apiKey,
      fetch: net.fetch as typeof fetch,
      // Electron's main process runs Node 22, which has the WHATWG WebSocket; it takes no headers, so the
      // key goes in the query (the engine accepts it there and redacts it from its logs).
      openSocket: (url, headers) =>
        new WebSocket(`${url}&api_key=${encodeURIComponent(headers.authorization!.slice(7))}`) as unknown as SocketLike,
      onChange: showState,
    });
  }
}

if (!app.requestSingleInstanceLock()) app.quit();
else {
  // A second start of the app focuses the running window instead of starting a second engine.
  app.on("second-instance", (_e, argv) => {
    if (!openLink(linkFromArgv(argv))) openWindow();
  });
  // macOS hands links over by event, before or after start.
  app.on("open-url", (e, url) => {
    e.preventDefault();
    openLink(url);
  });
  for (const scheme of ["sip", "sips", "tel"]) app.setAsDefaultProtocolClient(scheme);
  // The key reaches the console over IPC, and only a page of our own engine gets it.
  ipcMain.on(BRIDGE_CHANNEL, (event) => {
    event.returnValue = bridgeReply(event.senderFrame?.url, consoleUrl, apiKey);
  });
  // The ringing popup answered a call: the main window shows it with the person on the line.
  ipcMain.on("voicedock:open-call", (event, callId: unknown) => {
    if (typeof callId !== "string" || !bridgeReply(event.senderFrame?.url, consoleUrl, apiKey)) return;
    openWindow(`${consoleUrl}#/calls/${encodeURIComponent(callId)}?talk=1`);
  });
  app
    .whenReady()
    .then(async () => {
      await startEngine();
      buildTray();
      const hotkeys = registerHotkeys(globalShortcut, readHotkeys(dataDir), (action) =>
        window?.webContents.send("voicedock:hotkey", action),
      );
      for (const f of hotkeys.failed)
        console.warn(`Hotkey ${f.accelerator} (${f.action}) is taken by another application or not valid`);
      if (openLink(linkFromArgv(process.argv))) return;
      if (!startHidden(process.argv, readStartup(dataDir), app)) openWindow();
    })
    .catch((err: Error) => {
      console.error(`VoiceDock could not start its engine: ${err.message}`);
      dialog.showErrorBox("VoiceDock could not start", err.message);
      app.exit(1);
    });
  app.on("window-all-closed", () => undefined);
  app.on("before-quit", () => {
    quitting = true;
    globalShortcut.unregisterAll();
    popups.closeAll();
    watch?.stop();
    engine?.postMessage({ type: "stop" });
  });
}
