/** What the console needs from the desktop shell: where the local API is and the key to use it. */
export interface BridgeInfo {
  apiBase: string;
  apiKey: string | null;
}

/**
 * The answer to the preload's IPC request for the bridge. The key goes only to a frame served by our own
 * engine (same origin as the console): it used to ride on the renderer's command line, where every local
 * user can read it (`ps`, /proc/PID/cmdline); an IPC reply stays inside the app.
 */
export function bridgeReply(
  senderUrl: string | undefined,
  consoleUrl: string,
  apiKey: string | null,
): BridgeInfo | null {
  const origin = (url: string | undefined) => {
    try {
      return url ? new URL(url).origin : null;
    } catch {
      return null;
    }
  };
  const own = origin(consoleUrl);
  if (!own || origin(senderUrl) !== own) return null;
  return { apiBase: own, apiKey };
}

export const BRIDGE_CHANNEL = "voicedock:bridge";
