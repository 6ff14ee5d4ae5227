import { Type, type Static } from "@sinclair/typebox";
import { FreeObject, IsoDateTime, Nullable, StringEnum, Uuid } from "./schema.js";

// The Assistant, written once: the API validates and documents requests and responses with these schemas,
// the store and the call engine use the types derived from them.

/** Providers we accept; cloud ones from the spec, local ones are this app's additions (docs/decisions.md). */
export const STT_PROVIDERS = [
  "deepgram",
  "elevenlabs",
  "gladia",
  "mistral",
  "google",
  "openai",
  "whisper",
  "pocketsphinx",
] as const;
export const LLM_PROVIDERS = [
  "openai",
  "mistral",
  "xai",
  "xai_realtime",
  "google",
  "google_realtime",
  "openai_live",
  "openai_compatible",
  "groq",
  "anthropic",
] as const;
export const TTS_PROVIDERS = [
  "elevenlabs",
  "11labs",
  "inworld",
  "google",
  "xai",
  "voicedock",
  "local",
  "openai",
  "cartesia",
] as const;
export const WEBHOOK_EVENTS = ["assistant-request", "tool-calls", "status-update", "end-of-call-report"] as const;

const literalUnion = StringEnum;

const Message = Type.Object({
  role: literalUnion(["system", "user", "assistant"] as const, "message role"),
  content: Type.String(),
});

export const SttConfig = Type.Object(
  {
    provider: literalUnion(STT_PROVIDERS, "speech-to-text provider; `whisper` and `pocketsphinx` run on this machine"),
    model: Type.Optional(Type.String({ maxLength: 200 })),
    language: Type.Optional(Type.String({ maxLength: 20 })),
    keyterms: Type.Optional(Type.Array(Type.String(), { maxItems: 100 })),
  },
  {
    additionalProperties: true,
    description: "STTConfig; provider-specific fields (Gladia, ElevenLabs, Deepgram) pass through",
  },
);

/** Tools: the flat shape, the nested OpenAI shape and the built-ins are all accepted (features.md §8). */
export const ToolDefinition = Type.Object(
  {
    type: Type.Optional(Type.String()),
    name: Type.Optional(Type.String({ maxLength: 64 })),
    description: Type.Optional(Type.String()),
    url: Type.Optional(Type.String({ format: "uri" })),
    async: Type.Optional(Type.Boolean()),
    async_response: Type.Optional(Type.String()),
    parameters: Type.Optional(FreeObject()),
    function: Type.Optional(
      Type.Object(
        { name: Type.String(), description: Type.Optional(Type.String()), parameters: Type.Optional(FreeObject()) },
        { additionalProperties: true },
      ),
    ),
    server: Type.Optional(Type.Object({ url: Type.String({ format: "uri" }), secret: Type.Optional(Type.String()) })),
    destinations: Type.Optional(Type.Array(FreeObject())),
  },
  { additionalProperties: true },
);

export const LlmConfig = Type.Object(
  {
    provider: literalUnion(LLM_PROVIDERS, "LLM provider"),
    model: Type.String({ minLength: 1, maxLength: 200 }),
    temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 2 })),
    messages: Type.Optional(Type.Array(Message, { maxItems: 200 })),
    tools: Type.Optional(Type.Array(ToolDefinition, { maxItems: 128 })),
    voice: Type.Optional(Type.String()),
    max_completion_tokens: Type.Optional(Type.Integer({ minimum: 1, maximum: 32768 })),
    base_url: Type.Optional(
      Type.String({
        format: "uri",
        description: "Local addition: any OpenAI-compatible server (Ollama, LM Studio, llama.cpp server)",
      }),
    ),
  },
  { additionalProperties: true },
);

export const TtsConfig = Type.Object(
  {
    provider: literalUnion(
      TTS_PROVIDERS,
      "text-to-speech provider; `local` runs on this machine (voices from GET /voices)",
    ),
    voice_id: Type.String({ minLength: 1, maxLength: 200 }),
    model: Type.Optional(Type.String()),
    language: Type.Optional(Type.String()),
    stability: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    similarity_boost: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    use_speaker_boost: Type.Optional(Type.Boolean()),
    style: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    speed: Type.Optional(Type.Number({ minimum: 0.5, maximum: 2 })),
    speaking_rate: Type.Optional(Type.Number({ minimum: 0.25, maximum: 2 })),
  },
  { additionalProperties: true },
);

export const AnalysisPlan = Type.Object(
  {
    structured_data_plan: Type.Optional(
      Type.Object(
        {
          enabled: Type.Optional(Type.Boolean()),
          schema: Type.Optional(FreeObject()),
          messages: Type.Optional(Type.Array(Message)),
          template_id: Type.Optional(Type.String()),
        },
        { additionalProperties: true },
      ),
    ),
    min_messages_threshold: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: true },
);

const Seconds = (min: number, max: number) => Type.Number({ minimum: min, maximum: max });
export const SpeechConfig = Type.Object({
  turn_taking: Type.Optional(
    Type.Object({
      endpointing_min_delay: Type.Optional(Seconds(0.1, 5)),
      endpointing_max_delay: Type.Optional(Seconds(0.1, 5)),
      interruption_min_duration: Type.Optional(Seconds(0.05, 2)),
      interruption_min_words: Type.Optional(Type.Integer({ minimum: 0, maximum: 10 })),
      false_interruption_timeout: Type.Optional(Nullable(Seconds(0.2, 5))),
    }),
  ),
  pronunciation: Type.Optional(Type.Array(Type.Object({ from: Type.String(), to: Type.String() }), { maxItems: 50 })),
  background_audio: Type.Optional(
    Type.Object({
      enabled: Type.Optional(Type.Boolean()),
      clip: Type.Optional(literalUnion(["office", "city", "forest", "crowded_room"] as const, "clip")),
      volume: Type.Optional(Type.Number({ minimum: 0.05, maximum: 1 })),
    }),
  ),
  silence: Type.Optional(
    Type.Object({
      messages: Type.Optional(Type.Array(Type.String(), { maxItems: 5 })),
      final_message: Type.Optional(Type.String()),
      first_check_seconds: Type.Optional(Seconds(1, 60)),
      interval_seconds: Type.Optional(Seconds(3, 120)),
      max_attempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 })),
    }),
  ),
  end_call_message: Type.Optional(Type.String()),
  first_message_outbound: Type.Optional(Type.String()),
});

/** Every writable Assistant field (api-v1 §2.1). Everything optional: create adds `name` as required. */
export const assistantFields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  business_name: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
  notification_email: Type.Optional(Nullable(Type.String({ format: "email" }))),
  notification_emails: Type.Optional(Nullable(Type.Array(Type.String({ format: "email" }), { maxItems: 5 }))),
  recording_consent: Type.Optional(Nullable(Type.Object({ enabled: Type.Boolean(), message: Type.String() }))),
  first_message: Type.Optional(Nullable(Type.String({ maxLength: 5000 }))),
  is_active: Type.Optional(Type.Boolean()),
  max_duration_seconds: Type.Optional(Nullable(Type.Integer({ minimum: 10, maximum: 86400 }))),
  autonomous_silence_handling: Type.Optional(Type.Boolean()),
  silence_timeout_seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 600 })),
  voicemail_detection: Type.Optional(Nullable(Type.Boolean())),
  voicemail_message: Type.Optional(Nullable(Type.String())),
  gdpr_mode: Type.Optional(Type.Boolean()),
  recording_enabled: Type.Optional(
    Type.Boolean({ description: "Local addition: record calls of this assistant (stereo WAV in the data dir)" }),
  ),
  webhook_url: Type.Optional(Nullable(Type.String({ format: "uri", pattern: "^https?://" }))),
  webhook_secret: Type.Optional(
    Nullable(Type.String({ maxLength: 500, description: "write-only: responses show `********` when set" })),
  ),
  webhook_events: Type.Optional(
    Nullable(Type.Array(literalUnion(WEBHOOK_EVENTS, "webhook event"), { uniqueItems: true })),
  ),
  analysis_plan: Type.Optional(Nullable(AnalysisPlan)),
  stt_config: Type.Optional(Nullable(SttConfig)),
  llm_config: Type.Optional(LlmConfig),
  tts_config: Type.Optional(Nullable(TtsConfig)),
  speech_config: Type.Optional(Nullable(SpeechConfig)),
  metadata: Type.Optional(FreeObject({ description: "free object echoed in webhooks" })),
};

const { name, ...optionalFields } = assistantFields;
export const AssistantCreate = Type.Object({ name, ...optionalFields }, { additionalProperties: true });
export const AssistantUpdate = Type.Object(
  { name: Type.Optional(name), ...optionalFields },
  { additionalProperties: true, minProperties: 1 },
);
/** Transient (`assistant`) and override (`assistant_override`) objects on outbound calls: no field required. */
export const AssistantInline = Type.Object(
  { name: Type.Optional(name), ...optionalFields },
  { additionalProperties: true },
);

export const Assistant = Type.Object(
  {
    id: Uuid,
    ...assistantFields,
    created_at: IsoDateTime,
    updated_at: IsoDateTime,
  },
  { $id: "Assistant", additionalProperties: true },
);

export type AssistantInput = Static<typeof AssistantInline>;
export type AssistantCreateInput = Static<typeof AssistantCreate>;
/** A saved assistant as the store returns it (webhook_secret masked). */
export type AssistantRecord = Static<typeof Assistant>;
export type SttConfigT = Static<typeof SttConfig>;
export type LlmConfigT = Static<typeof LlmConfig>;
export type TtsConfigT = Static<typeof TtsConfig>;
export type SpeechConfigT = Static<typeof SpeechConfig>;
export type ToolDefinitionT = Static<typeof ToolDefinition>;
export type AnalysisPlanT = Static<typeof AnalysisPlan>;

/**
 * The assistant a call runs: a saved one (with or without an override), a transient one, or a webhook's
 * answer. Its webhook secret is only ever sealed (`webhook_secret_enc`); a transient one has no id.
 */
export type ResolvedAssistant = Omit<AssistantInput, "webhook_secret"> & {
  id?: string;
  created_at?: string;
  updated_at?: string;
  webhook_secret?: string | null;
  webhook_secret_enc?: string | null;
};
