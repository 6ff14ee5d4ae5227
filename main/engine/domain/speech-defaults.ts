/**
 * The one place where an assistant's speech settings get their defaults, for saved assistants, transient
 * ones and overrides alike (issue #13 §4). Local engines, so a fresh install talks without a cloud key
 * (docs/decisions.md "Assistant defaults"). Imports nothing: the store and the API both use it.
 */
export const DEFAULT_STT_CONFIG = { provider: "pocketsphinx", language: "en" } as const;
export const DEFAULT_TTS_CONFIG = { provider: "local", voice_id: "flite-slt" } as const;

/** Speech-to-speech models hear and speak themselves: they take no STT/TTS (api-v1 §2.1). */
export const REALTIME_LLM_PROVIDERS = ["xai_realtime", "google_realtime", "openai_live"] as const;

export const isRealtime = (llm: unknown): boolean =>
  (REALTIME_LLM_PROVIDERS as readonly string[]).includes(
    String((llm as { provider?: unknown } | null | undefined)?.provider ?? ""),
  );

/**
 * Fills a missing `stt_config`/`tts_config`: the local defaults for a text LLM, null for a realtime one.
 * What was given (including an explicit null, which the rules then refuse for a text LLM) stays as given.
 */
export function withSpeechDefaults<T extends Record<string, unknown>>(a: T): T {
  const realtime = isRealtime(a.llm_config);
  return {
    ...a,
    stt_config: a.stt_config !== undefined ? a.stt_config : realtime ? null : { ...DEFAULT_STT_CONFIG },
    tts_config: a.tts_config !== undefined ? a.tts_config : realtime ? null : { ...DEFAULT_TTS_CONFIG },
  };
}

/**
 * A change of `llm_config` between a text model and a realtime one (a PATCH, an outbound override): speech
 * settings belong to the kind of model, so the ones the change leaves out follow the new kind (null for
 * realtime, the defaults for text) instead of carrying over and being refused.
 */
export function adaptSpeechToModel<T extends Record<string, unknown>>(base: Record<string, unknown>, change: T): T {
  if (change.llm_config === undefined || isRealtime(change.llm_config) === isRealtime(base.llm_config)) return change;
  const realtime = isRealtime(change.llm_config);
  return {
    ...change,
    stt_config: change.stt_config !== undefined ? change.stt_config : realtime ? null : { ...DEFAULT_STT_CONFIG },
    tts_config: change.tts_config !== undefined ? change.tts_config : realtime ? null : { ...DEFAULT_TTS_CONFIG },
  };
}
