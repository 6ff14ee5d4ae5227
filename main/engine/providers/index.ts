import type { ProviderKeys } from "./keys.js";
import type { SpeechToText } from "./stt/types.js";
import type { LanguageModel } from "./llm/types.js";
import type { TextToSpeech } from "./tts/types.js";
import { ProviderError } from "./errors.js";

export type { ProviderKeys } from "./keys.js";
export { ProviderError, missingKey, httpError } from "./errors.js";

/** Everything a factory gets: the assistant's config block for its kind, the keys, and where models live. */
export interface ProviderContext {
  keys: ProviderKeys;
  /** Directory of downloaded models (the model manager's). */
  modelsDir: string;
}

type Factory<T> = (config: Record<string, unknown>, ctx: ProviderContext) => T;

/**
 * One registry per kind, filled by the vendor modules (`registerStt("deepgram", …)` in stt/deepgram.ts);
 * providers/register.ts imports every vendor module once.
 */
const stt = new Map<string, Factory<SpeechToText>>();
const llm = new Map<string, Factory<LanguageModel>>();
const tts = new Map<string, Factory<TextToSpeech>>();

export const registerStt = (provider: string, f: Factory<SpeechToText>): void => {
  stt.set(provider, f);
};
export const registerLlm = (provider: string, f: Factory<LanguageModel>): void => {
  llm.set(provider, f);
};
export const registerTts = (provider: string, f: Factory<TextToSpeech>): void => {
  tts.set(provider, f);
};

function create<T>(
  kind: string,
  registry: Map<string, Factory<T>>,
  config: Record<string, unknown> | null | undefined,
  ctx: ProviderContext,
): T {
  const provider = typeof config?.provider === "string" ? config.provider : "";
  if (!provider)
    throw new ProviderError(
      "none",
      "config",
      `The assistant has no ${kind} provider configured: set ${kind}_config.provider`,
    );
  const factory = registry.get(provider);
  if (!factory)
    throw new ProviderError(
      provider,
      "config",
      `${kind.toUpperCase()} provider '${provider}' is not supported by this VoiceDock build (supported: ${[...registry.keys()].sort().join(", ")})`,
    );
  return factory(config!, ctx);
}

export const createStt = (config: Record<string, unknown> | null | undefined, ctx: ProviderContext): SpeechToText =>
  create("stt", stt, config, ctx);
export const createLlm = (config: Record<string, unknown> | null | undefined, ctx: ProviderContext): LanguageModel =>
  create("llm", llm, config, ctx);
export const createTts = (config: Record<string, unknown> | null | undefined, ctx: ProviderContext): TextToSpeech =>
  create("tts", tts, config, ctx);

export const supportedProviders = () => ({ stt: [...stt.keys()], llm: [...llm.keys()], tts: [...tts.keys()] });
