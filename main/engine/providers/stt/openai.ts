import { registerStt, type ProviderContext } from "../index.js";
import { ProviderError, httpError } from "../errors.js";
import type { SpeechToText, SttRequest, SttResult } from "./types.js";
import { str, strings, redact, causeMessage, errorDetailFrom } from "../util.js";
import { cloudVendor } from "../key-route.js";

const DEFAULT_BASE_URL = "https://api.openai.com/v1";
/** A caller is waiting on this utterance; past this the pipeline says its fallback line instead. */
const TIMEOUT_MS = 15_000;

export interface OpenAiSttOptions {
  apiKey: string;
  /** Up to and including `/v1`; any server that speaks OpenAI's transcription API works. */
  baseUrl?: string;
  model?: string;
  language?: string;
  keyterms?: string[];
  timeoutMs?: number;
}

/**
 * OpenAI transcription (`POST /audio/transcriptions`), one WAV per utterance. Plain fetch rather than the
 * SDK: the request is one multipart POST, and owning it keeps timeout and cancellation the same as the
 * other vendors'.
 */
export class OpenAiStt implements SpeechToText {
  readonly provider = "openai";
  readonly local = false;
  /** Whisper-family models resample everything to 16 kHz internally. */
  readonly sampleRateHz = 16000 as const;
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly model: string;

  constructor(private readonly opts: OpenAiSttOptions) {
    this.baseUrl = (opts.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, "");
    this.timeoutMs = opts.timeoutMs ?? TIMEOUT_MS;
    // Unknown names are passed through: OpenAI adds models, and compatible servers name their own.
    this.model = opts.model || "gpt-4o-mini-transcribe";
  }

  async transcribe(req: SttRequest): Promise<SttResult> {
    if (req.signal.aborted) throw new ProviderError(this.provider, "aborted", "OpenAI transcription cancelled");
    const form = new FormData();
    form.append("file", new Blob([wav(req.audio, req.sampleRateHz)], { type: "audio/wav" }), "utterance.wav");
    form.append("model", this.model);
    form.append("response_format", "json");
    const language = isoLanguage(req.language || this.opts.language);
    if (language) form.append("language", language);
    // OpenAI has no keyword boosting; the prompt is its documented way to get names spelled right.
    const terms = (req.keyterms ?? this.opts.keyterms ?? []).map((t) => t.trim()).filter(Boolean);
    if (terms.length) form.append("prompt", `Vocabulary: ${terms.join(", ")}.`);

    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.timeoutMs);
    try {
      const res = await fetch(`${this.baseUrl}/audio/transcriptions`, {
        method: "POST",
        headers: { Authorization: `Bearer ${this.opts.apiKey}`, Accept: "application/json" },
        body: form,
        signal: AbortSignal.any([req.signal, deadline.signal]),
      });
      const body = await res.text();
      if (!res.ok) throw httpError(this.provider, res.status, redact(openAiErrorDetail(body), this.opts.apiKey));
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        throw new ProviderError(this.provider, "bad_response", "OpenAI sent a transcription reply that is not JSON");
      }
      const text = (json as { text?: unknown } | null)?.text;
      if (typeof text !== "string")
        throw new ProviderError(this.provider, "bad_response", "OpenAI's transcription reply has no text");
      return { text: text.trim() };
    } catch (err) {
      if (err instanceof ProviderError) throw err;
      if (req.signal.aborted) throw new ProviderError(this.provider, "aborted", "OpenAI transcription cancelled");
      if (deadline.signal.aborted)
        throw new ProviderError(
          this.provider,
          "timeout",
          `OpenAI did not transcribe within ${this.timeoutMs / 1000} s`,
        );
      throw new ProviderError(
        this.provider,
        "unavailable",
        `OpenAI could not be reached: ${redact(causeMessage(err), this.opts.apiKey)}`,
      );
    } finally {
      clearTimeout(timer);
    }
  }
}

/** OpenAI wants ISO 639-1; `multi` (and no language) means let the model detect it. */
function isoLanguage(language: string | undefined): string | undefined {
  if (!language || language === "multi") return undefined;
  return language.split(/[-_]/)[0].toLowerCase();
}

/** 44-byte RIFF header + PCM: the upload must be a file type OpenAI recognises. */
export function wav(samples: Int16Array, sampleRateHz: number): Buffer {
  const data = Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
  const h = Buffer.alloc(44);
  h.write("RIFF", 0, "ascii");
  h.writeUInt32LE(36 + data.length, 4);
  h.write("WAVE", 8, "ascii");
  h.write("fmt ", 12, "ascii");
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(sampleRateHz, 24);
  h.writeUInt32LE(sampleRateHz * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write("data", 36, "ascii");
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

/** OpenAI errors are `{error: {message, type, param, code}}`. */
export const openAiErrorDetail = (body: string): string =>
  errorDetailFrom(body, (j: { error?: { message?: unknown } } | null) => j?.error?.message);

function fromConfig(config: Record<string, unknown>, ctx: ProviderContext): SpeechToText {
  const { apiKey, baseUrl, savedMs } = cloudVendor(ctx.keys, "openai", config, "stt_config");
  return new OpenAiStt({
    apiKey,
    baseUrl,
    model: str(config.model),
    language: str(config.language),
    keyterms: strings(config.keyterms),
    timeoutMs: savedMs("stt_timeout_ms"),
  });
}

registerStt("openai", fromConfig);
