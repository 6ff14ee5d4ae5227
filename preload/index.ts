import { contextBridge, ipcRenderer } from "electron";

// The console only needs where the local API is and its key; everything else goes over HTTP/WebSocket.
// Both come from the main process over IPC (never the command line, which other local users can read);
// the main process answers only pages served by our own engine.
const info = (ipcRenderer.sendSync("voicedock:bridge") as { apiBase: string; apiKey: string | null } | null) ?? {
  apiBase: "",
  apiKey: null,
};

contextBridge.exposeInMainWorld("voicedock", {
  apiBase: info.apiBase,
  apiKey: info.apiKey,
  // Global hotkeys pressed anywhere on the desktop reach the console as action names.
  onHotkey: (handler: (action: string) => void) =>
    ipcRenderer.on("voicedock:hotkey", (_e, action: string) => handler(action)),
  openCall: (callId: string) => ipcRenderer.send("voicedock:open-call", callId),
});
