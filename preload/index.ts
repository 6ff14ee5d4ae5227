import { contextBridge } from "electron";

// The console only needs where the local API is and its key; everything else goes over HTTP/WebSocket.
const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? "";

contextBridge.exposeInMainWorld("voicedock", {
  apiBase: arg("voicedock-api-base"),
  apiKey: arg("voicedock-api-key") || null,
});
