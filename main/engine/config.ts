import type { WebhookRetryOptions } from "./webhooks/service.js";
import type { DispatcherOptions } from "./campaigns/dispatcher.js";
import type { ModelSpec } from "./models/catalogue.js";
import { homedir } from "node:os";
import { join } from "node:path";

export interface EngineConfig {
  dataDir: string;
  host: string;
  port: number;
  /** When set, this key is accepted (scripts and tests start with a known key). */
  apiKey?: string;
  /** Where SIP and RTP listen: all interfaces ("0.0.0.0", the default), or one address. Never the API's address. */
  sipHost?: string;
  /** UDP ports for call audio (RTP, and RTCP on the next port): a range to open in a firewall. */
  rtpPorts?: { min: number; max: number };
  /** A fixed public address for Via, Contact and SDP (a static IP with port forwarding); default: learned per trunk. */
  sipPublicAddress?: string;
  /** DNS servers for trunk names ("10.0.0.53" or "10.0.0.53:53"); default: the system's. */
  dnsServers?: string[];
  /** How often each trunk checks whether the route's local address changed (default 30 s; tests shorten it). */
  sipAddressCheckMs?: number;
  /** Registration interval asked of registrars (default 300 s). */
  sipRegisterExpiresSeconds?: number;
  /** UDP retransmission intervals T1/T2 (RFC 3261; default 500/4000 ms); transaction timeouts stay sip.js's (32 s). */
  sipTimers?: { t1Ms: number; t2Ms: number };
  /** The 32-byte at-rest encryption key, when the desktop shell keeps it in the OS keychain; default: `<dataDir>/secret.key`. */
  secretKey?: Uint8Array;
  /** UDP port for SIP (all trunks share it); 0 picks a free port; null turns telephony off. */
  sipPort: number | null;
  /** TLS port for SIP; default: the SIP port + 1 (5061), or a free one when the SIP port is 0; null: no TLS listener. */
  sipsPort?: number | null;
  /** The TLS listener's certificate and key (PEM files); default: a self-signed pair kept in the data dir. */
  sipsCertFile?: string;
  sipsKeyFile?: string;
  /** How long a call for a number without an active assistant rings the consoles before the caller hears 480. */
  consoleRingSeconds?: number;
  /** Registration retry backoff (tests shorten it). */
  sipRetryBaseMs?: number;
  /** Requests per minute per API key; control commands per minute per call. */
  rateLimitPerMinute: number;
  controlRateLimitPerMinute: number;
  /** Directory of the built console; served at `/`. */
  consoleDir?: string;
  /** Webhook retry timing (tests shorten it). */
  webhookRetry?: Partial<WebhookRetryOptions>;
  /** Deadline of a synchronous `tool-calls` webhook (webhooks.md §7: 10 s); tests shorten it. */
  toolWebhookTimeoutMs?: number;
  /** Log level for the engine's log on stderr ("silent" to turn off): info = one line per call event, debug adds requests. */
  logLevel: string;
  /** "text" (default): readable lines; "json": one JSON object per line, for log collectors. */
  logFormat?: "text" | "json";
  /** Where log lines go (default stderr); tests pass a buffer. */
  logStream?: { write(text: string): unknown };
  /** Mirror for model downloads (`<url>/<file name>`), e.g. an office server; default: each model's official URL. */
  modelsBaseUrl?: string;
  /** Replaces the built-in model catalogue (tests, custom builds). */
  modelsCatalogue?: readonly ModelSpec[];
  /** Campaign dispatcher: clock, tick and retry timing (tests inject them). */
  campaigns?: DispatcherOptions;
}

export const DEFAULT_PORT = 8787;
export const DEFAULT_HOST = "127.0.0.1";
export const DEFAULT_SIP_HOST = "0.0.0.0";
export const DEFAULT_RTP_PORTS = { min: 10000, max: 20000 };

export function defaultDataDir(): string {
  if (process.platform === "win32")
    return join(process.env.APPDATA ?? join(homedir(), "AppData", "Roaming"), "VoiceDock");
  if (process.platform === "darwin") return join(homedir(), "Library", "Application Support", "VoiceDock");
  return join(process.env.XDG_DATA_HOME ?? join(homedir(), ".local", "share"), "voicedock");
}

export function defaultConfig(overrides: Partial<EngineConfig> = {}): EngineConfig {
  return {
    dataDir: defaultDataDir(),
    host: DEFAULT_HOST,
    port: DEFAULT_PORT,
    sipPort: 5060,
    rateLimitPerMinute: 100,
    controlRateLimitPerMinute: 10,
    logLevel: "info",
    modelsBaseUrl: process.env.VOICEDOCK_MODELS_BASE_URL || undefined,
    ...overrides,
  };
}
