import type { ProviderKeys } from "./keys.js";
import { ProviderError, missingKey, providerName } from "./errors.js";
import { positive, str } from "./util.js";

/**
 * Hosts a saved key may always be sent to, per key provider (https only). A key saved with POST /byok is
 * "write-only": if an assistant (or an `assistant-request` answer) could name any base_url and get the key
 * sent there, anyone allowed to edit an assistant could read the key on their own server.
 */
const OFFICIAL_HOSTS: Record<string, readonly string[]> = {
  openai: ["api.openai.com"],
  deepgram: ["api.deepgram.com", "api.eu.deepgram.com"],
  elevenlabs: ["api.elevenlabs.io"],
  mistral: ["api.mistral.ai"],
  xai: ["api.x.ai"],
  groq: ["api.groq.com"],
  google: ["generativelanguage.googleapis.com"],
};

const normal = (url: string): string | null => {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, "")}`;
  } catch {
    return null;
  }
};

/** Whether `url` is the provider's own service: https on one of its official hosts. */
export function isOfficialEndpoint(provider: string, url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === "https:" && (OFFICIAL_HOSTS[provider] ?? []).includes(u.hostname.toLowerCase());
  } catch {
    return false;
  }
}

export interface KeyRoute {
  /** Where to send requests: the assistant's base_url, else the one saved with the key, else undefined (the vendor's default). */
  baseUrl: string | undefined;
  /** The saved key, when it may go to baseUrl; null when none is saved or it may not go there. */
  apiKey: string | null;
  /** A key is saved, but baseUrl is neither official nor the base_url saved with it. */
  withheld: boolean;
}

/**
 * Decides whether the saved key of `provider` may travel to the URL a config names: yes to the vendor's
 * default, to its official hosts, and to the base_url saved together with the key (POST /byok); no elsewhere.
 */
export function routeKey(keys: ProviderKeys, provider: string, requested: string | undefined): KeyRoute {
  const savedBase =
    typeof keys.config(provider).base_url === "string" ? (keys.config(provider).base_url as string) : undefined;
  const baseUrl = requested ?? savedBase;
  const key = keys.apiKey(provider);
  if (!key) return { baseUrl, apiKey: null, withheld: false };
  const allowed =
    baseUrl === undefined ||
    isOfficialEndpoint(provider, baseUrl) ||
    (savedBase !== undefined && normal(baseUrl) === normal(savedBase));
  return allowed ? { baseUrl, apiKey: key, withheld: false } : { baseUrl, apiKey: null, withheld: true };
}

/** The error for a withheld key: says why, and how to allow that URL. */
export function withheldKey(provider: string, field: string, url: string): ProviderError {
  return new ProviderError(
    provider,
    "config",
    `The saved ${providerName(provider)} key is not sent to ${field}.base_url ${normal(url) ?? url}: it is not ${providerName(provider)}'s official endpoint ` +
      `nor the base_url saved with the key. To use that server, save it with the key: POST /api/v1/byok {"provider": "${provider}", "api_key": …, "base_url": "${url}"}`,
  );
}

/**
 * The opening of every cloud vendor's factory: the key and where it may go (`field` names the assistant's
 * config block in errors, e.g. stt_config), and the operator's saved settings for that provider.
 */
export function cloudVendor(keys: ProviderKeys, provider: string, config: Record<string, unknown>, field: string) {
  const { apiKey, baseUrl } = requireKey(keys, provider, str(config.base_url), field);
  const saved = keys.config(provider);
  // Operators on slow links widen a bound with POST /byok/config (e.g. {stt_timeout_ms}); unset or ≤ 0 keeps the default.
  return { apiKey, baseUrl, savedMs: (name: string): number | undefined => positive(saved[name]) };
}

/** For cloud vendors that always need their key: the key and where to send it, or an error a person can act on. */
export function requireKey(
  keys: ProviderKeys,
  provider: string,
  requested: string | undefined,
  field: string,
): { apiKey: string; baseUrl: string | undefined } {
  const r = routeKey(keys, provider, requested);
  if (r.withheld) throw withheldKey(provider, field, r.baseUrl!);
  if (!r.apiKey) throw missingKey(provider);
  return { apiKey: r.apiKey, baseUrl: r.baseUrl };
}
