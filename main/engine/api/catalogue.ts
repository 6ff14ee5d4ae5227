/**
 * What the engine offers, for `GET /byok/config` and `GET /voices`: cloud providers from the spec
 * (features.md §10) and the local engines of this app, only those this build can run (issue #13 §14).
 */
export interface ProviderEntry {
  id: string;
  name: string;
  category: "stt" | "llm" | "tts" | "email";
  docsUrl: string;
  local: boolean;
  requires_key: boolean;
  models: { id: string; name: string; default?: boolean }[];
}

const m = (ids: string[]) => ids.map((id, i) => ({ id, name: id, ...(i === 0 ? { default: true } : {}) }));

export const PROVIDERS: ProviderEntry[] = [
  {
    id: "whisper",
    name: "Whisper (on this machine)",
    category: "stt",
    docsUrl: "https://github.com/ggml-org/whisper.cpp",
    local: true,
    requires_key: false,
    models: m(["base.en", "tiny.en", "small.en", "base", "small"]),
  },
  {
    id: "pocketsphinx",
    name: "PocketSphinx (on this machine, English)",
    category: "stt",
    docsUrl: "https://github.com/cmusphinx/pocketsphinx",
    local: true,
    requires_key: false,
    models: m(["en-us"]),
  },
  {
    id: "deepgram",
    name: "Deepgram",
    category: "stt",
    docsUrl: "https://developers.deepgram.com/",
    local: false,
    requires_key: true,
    models: m(["nova-3-general", "nova-3"]),
  },
  {
    id: "elevenlabs",
    name: "ElevenLabs",
    category: "tts",
    docsUrl: "https://elevenlabs.io/docs",
    local: false,
    requires_key: true,
    models: m([
      "eleven_flash_v2_5",
      "eleven_v3",
      "eleven_multilingual_v2",
      "eleven_turbo_v2_5",
      "eleven_monolingual_v1",
    ]),
  },
  {
    id: "mistral",
    name: "Mistral",
    category: "llm",
    docsUrl: "https://docs.mistral.ai/",
    local: false,
    requires_key: true,
    models: m(["mistral-medium-latest", "mistral-small-latest", "mistral-large-latest", "ministral-8b-latest"]),
  },
  {
    id: "openai",
    name: "OpenAI",
    category: "llm",
    docsUrl: "https://platform.openai.com/docs",
    local: false,
    requires_key: true,
    models: m(["gpt-4o-mini", "gpt-4o", "gpt-4.1", "gpt-4.1-mini"]),
  },
  {
    id: "xai",
    name: "xAI Grok",
    category: "llm",
    docsUrl: "https://docs.x.ai/",
    local: false,
    requires_key: true,
    models: m(["grok-4-1-fast-non-reasoning"]),
  },
  {
    id: "google",
    name: "Google Gemini",
    category: "llm",
    docsUrl: "https://ai.google.dev/",
    local: false,
    requires_key: true,
    models: m(["gemini-2.5-flash-lite", "gemini-2.5-flash"]),
  },
  {
    id: "openai_compatible",
    name: "OpenAI-compatible server (Ollama, LM Studio, llama.cpp)",
    category: "llm",
    docsUrl: "https://github.com/ollama/ollama/blob/main/docs/openai.md",
    local: true,
    requires_key: false,
    models: m(["llama3.2", "qwen2.5"]),
  },
  {
    id: "local",
    name: "Local voices (Flite, espeak-ng)",
    category: "tts",
    docsUrl: "http://www.festvox.org/flite/",
    local: true,
    requires_key: false,
    models: m(["flite", "espeak-ng"]),
  },
  {
    id: "resend",
    name: "Resend",
    category: "email",
    docsUrl: "https://resend.com/docs",
    local: false,
    requires_key: true,
    models: [],
  },
];

export interface VoiceEntry {
  id: string;
  name: string;
  language: string;
  description: { en: string };
  engine: "flite" | "espeak-ng";
  local: boolean;
  sample_rate_hz: number | null;
  installed: boolean;
  style?: string;
}

export const LOCAL_VOICES: VoiceEntry[] = [
  {
    id: "flite-slt",
    name: "SLT",
    language: "en-US",
    description: { en: "US English, female (Flite, built in)" },
    engine: "flite",
    local: true,
    sample_rate_hz: 16000,
    installed: true,
  },
  {
    id: "flite-rms",
    name: "RMS",
    language: "en-US",
    description: { en: "US English, male (Flite, built in)" },
    engine: "flite",
    local: true,
    sample_rate_hz: 16000,
    installed: true,
  },
  {
    id: "flite-kal",
    name: "KAL",
    language: "en-US",
    description: { en: "US English, male, telephone quality (Flite, built in, fastest)" },
    engine: "flite",
    local: true,
    sample_rate_hz: 8000,
    installed: true,
  },
];

// The xAI realtime voices (ara, rex, sal, eve, leo) return with an xai_realtime engine.
