export interface VoiceDockBridge {
  /** Base URL of the local engine, e.g. http://127.0.0.1:8787 */
  apiBase: string;
  apiKey: string | null;
  /** Global hotkeys (desktop app only): the handler gets the action's name, e.g. "answer". */
  onHotkey?: (handler: (action: string) => void) => void;
  /** The ringing popup asks the main window to show a call it answered (with the person on the line). */
  openCall?: (callId: string) => void;
}

declare global {
  interface Window {
    voicedock?: VoiceDockBridge;
  }
}
