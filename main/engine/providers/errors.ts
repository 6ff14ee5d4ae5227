/**
 * A provider could not be used or failed. `message` is for a person (it ends up in the call's `error`
 * and the logs), so it names the provider and what to do; it never contains a key.
 */
export class ProviderError extends Error {
  constructor(
    readonly provider: string,
    readonly kind: "config" | "auth" | "timeout" | "unavailable" | "bad_response" | "aborted",
    message: string,
  ) {
    super(message);
    this.name = "ProviderError";
  }
}

const DISPLAY: Record<string, string> = {
  openai: "OpenAI",
  deepgram: "Deepgram",
  elevenlabs: "ElevenLabs",
  mistral: "Mistral",
  xai: "xAI",
  groq: "Groq",
  google: "Google",
  gladia: "Gladia",
  cartesia: "Cartesia",
  inworld: "Inworld",
  openai_compatible: "OpenAI-compatible server",
};
export const providerName = (p: string): string => DISPLAY[p] ?? p;

export const missingKey = (provider: string): ProviderError =>
  new ProviderError(provider, "config", `No ${providerName(provider)} key configured: add one with POST /api/v1/byok`);

/** Maps an HTTP status from a provider to an error a person can act on. */
export function httpError(provider: string, status: number, detail = ""): ProviderError {
  const name = providerName(provider);
  const tail = detail ? `: ${detail.slice(0, 200)}` : "";
  if (status === 401 || status === 403)
    return new ProviderError(
      provider,
      "auth",
      `${name} rejected the API key (${status}): check the key saved with POST /api/v1/byok`,
    );
  if (status === 429)
    return new ProviderError(provider, "unavailable", `${name} is rate-limiting this key (429)${tail}`);
  if (status >= 500) return new ProviderError(provider, "unavailable", `${name} is failing (${status})${tail}`);
  return new ProviderError(provider, "bad_response", `${name} refused the request (${status})${tail}`);
}
