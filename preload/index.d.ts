export interface VoiceDockBridge {
  /** Base URL of the local engine, e.g. http://127.0.0.1:8787 */
  apiBase: string;
  apiKey: string | null;
}

declare global {
  interface Window {
    voicedock?: VoiceDockBridge;
  }
}
