import { registerTts, type ProviderContext } from "../index.js";
import { ProviderError } from "../errors.js";
import { FIRST_BYTE_TIMEOUT_MS, streamPcm } from "./openai.js";
import type { TextToSpeech, TtsRequest } from "./types.js";
import { str, num, errorDetailFrom } from "../util.js";
import { cloudVendor } from "../key-route.js";

const DEFAULT_BASE_URL = "https://api.elevenlabs.io/v1";
const OUTPUT_RATES = [8000, 16000, 22050, 24000] as const;
/** ElevenLabs documents that these models take only `stability` from voice_settings. */
const STABILITY_ONLY = /^eleven_(v3|v4)/;
/** ElevenLabs answers 400 when language_code is sent to a model that cannot enforce a language. */
const LANGUAGE_MODELS = new Set(["eleven_flash_v2_5", "eleven_turbo_v2_5"]);

export interface ElevenLabsOptions {
  apiKey: string;
  baseUrl?: string;
  voiceId: string;
  model?: string;
  stability?: number;
  similarityBoost?: number;
  style?: number;
  useSpeakerBoost?: boolean;
  speed?: number;
  language?: string;
  applyTextNormalization?: "auto" | "on" | "off";
  sampleRateHz?: (typeof OUTPUT_RATES)[number];
  firstByteTimeoutMs?: number;
}

/** ElevenLabs streaming speech (`POST /text-to-speech/{voice_id}/stream`) as raw PCM. */
export class ElevenLabsTts implements TextToSpeech {
  readonly provider = "elevenlabs";
  readonly local = false;
  readonly voiceId: string;
  readonly sampleRateHz: number;
  private readonly baseUrl: string;

  constructor(private readonly opts: ElevenLabsOptions) {
    this.voiceId = opts.voiceId;
    // 16 kHz by default: enough for a phone line (8 kHz) and a browser call alike, half of 24 kHz's bytes.
    this.sampleRateHz = opts.sampleRateHz ?? 16000;
    this.baseUrl = (opts.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, "");
  }

  private body(text: string): Record<string, unknown> {
    const o = this.opts;
    const model = o.model || "eleven_flash_v2_5";
    const settings: Record<string, unknown> = {};
    if (o.stability !== undefined) settings.stability = o.stability;
    if (!STABILITY_ONLY.test(model)) {
      if (o.similarityBoost !== undefined) settings.similarity_boost = o.similarityBoost;
      if (o.style !== undefined) settings.style = o.style;
      if (o.useSpeakerBoost !== undefined) settings.use_speaker_boost = o.useSpeakerBoost;
      if (o.speed !== undefined) settings.speed = o.speed;
    }
    return {
      text,
      model_id: model,
      ...(Object.keys(settings).length ? { voice_settings: settings } : {}),
      ...(o.language && o.language !== "multi" && LANGUAGE_MODELS.has(model)
        ? { language_code: o.language.split(/[-_]/)[0].toLowerCase() }
        : {}),
      ...(o.applyTextNormalization ? { apply_text_normalization: o.applyTextNormalization } : {}),
    };
  }

  synthesize(req: TtsRequest): AsyncIterable<Int16Array> {
    return streamPcm({
      provider: this.provider,
      apiKey: this.opts.apiKey,
      url: `${this.baseUrl}/text-to-speech/${encodeURIComponent(this.voiceId)}/stream?output_format=pcm_${this.sampleRateHz}`,
      headers: { "xi-api-key": this.opts.apiKey, "Content-Type": "application/json", Accept: "audio/pcm" },
      body: JSON.stringify(this.body(req.text)),
      signal: req.signal,
      stallMs: this.opts.firstByteTimeoutMs ?? FIRST_BYTE_TIMEOUT_MS,
      errorDetail: elevenLabsErrorDetail,
    });
  }
}

/**
 * ElevenLabs errors are `{detail: {status, message}}`, or FastAPI's `{detail: [{loc, msg, type}]}` when
 * the body fails validation.
 */
function elevenLabsErrorDetail(body: string): string {
  return errorDetailFrom(body, (j: { detail?: unknown }) => {
    const detail = j.detail;
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) {
      return detail
        .map((d: { loc?: unknown[]; msg?: unknown }) => `${(d.loc ?? []).join(".")}: ${String(d.msg ?? "")}`)
        .join("; ");
    }
    const d = detail as { message?: unknown; status?: unknown } | undefined;
    return typeof d?.message === "string" ? d.message : d?.status;
  });
}

function fromConfig(config: Record<string, unknown>, ctx: ProviderContext): TextToSpeech {
  // `11labs` is an accepted spelling of the same provider, so it shares the one saved key.
  const { apiKey, baseUrl, savedMs } = cloudVendor(ctx.keys, "elevenlabs", config, "tts_config");
  const voiceId = str(config.voice_id);
  if (!voiceId)
    throw new ProviderError(
      "elevenlabs",
      "config",
      "ElevenLabs speech needs tts_config.voice_id (an ElevenLabs voice library id, for example 21m00Tcm4TlvDq8ikWAM)",
    );
  const norm = config.apply_text_normalization;
  const rate = OUTPUT_RATES.find((r) => r === config.sample_rate);
  return new ElevenLabsTts({
    apiKey,
    voiceId,
    baseUrl,
    model: str(config.model),
    stability: num(config.stability),
    similarityBoost: num(config.similarity_boost),
    style: num(config.style),
    useSpeakerBoost: typeof config.use_speaker_boost === "boolean" ? config.use_speaker_boost : undefined,
    speed: num(config.speed),
    language: str(config.language),
    applyTextNormalization: norm === "auto" || norm === "on" || norm === "off" ? norm : undefined,
    sampleRateHz: rate,
    firstByteTimeoutMs: savedMs("tts_first_byte_timeout_ms"),
  });
}

registerTts("elevenlabs", fromConfig);
registerTts("11labs", fromConfig);
