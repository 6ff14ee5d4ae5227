import { registerTts, type ProviderContext } from "../index.js";
import { ProviderError, httpError, providerName } from "../errors.js";
import type { TextToSpeech, TtsRequest } from "./types.js";
import { str, redact, causeMessage } from "../util.js";
import { openAiErrorDetail } from "../stt/openai.js";
import { cloudVendor } from "../key-route.js";

const DEFAULT_BASE_URL = "https://api.openai.com/v1";
/** Silence on a live call is worse than the fallback line: give up when no audio has come by then. */
export const FIRST_BYTE_TIMEOUT_MS = 10_000;

export interface PcmStreamRequest {
  provider: string;
  apiKey: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  signal: AbortSignal;
  /** Bound on the wait for the first audio byte, and on any later gap between chunks. */
  stallMs: number;
  /** Turns the vendor's error body into one line for a person. */
  errorDetail(body: string): string;
}

/**
 * POSTs a synthesis request whose 200 body is raw 16-bit little-endian PCM, and yields it as it arrives.
 * Shared by the vendors that stream PCM over plain HTTP (OpenAI, ElevenLabs).
 */
export async function* streamPcm(r: PcmStreamRequest): AsyncGenerator<Int16Array> {
  const name = providerName(r.provider);
  if (r.signal.aborted) throw new ProviderError(r.provider, "aborted", `${name} speech cancelled`);
  const ctl = new AbortController();
  const onAbort = () => ctl.abort();
  r.signal.addEventListener("abort", onAbort, { once: true });
  let stalled = false;
  let gotAudio = false;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      stalled = true;
      ctl.abort();
    }, r.stallMs);
  };
  try {
    arm();
    const res = await fetch(r.url, { method: "POST", headers: r.headers, body: r.body, signal: ctl.signal });
    if (!res.ok) throw httpError(r.provider, res.status, redact(r.errorDetail(await res.text()), r.apiKey));
    const type = res.headers.get("content-type") ?? "";
    // A 200 with JSON or HTML is a proxy or an error page, and playing it as PCM would be loud noise.
    if (/json|^text\//i.test(type)) {
      throw new ProviderError(
        r.provider,
        "bad_response",
        `${name} answered with ${type.split(";")[0]} instead of audio: ${redact(r.errorDetail(await res.text()), r.apiKey)}`,
      );
    }
    if (!res.body) throw new ProviderError(r.provider, "bad_response", `${name} answered without audio`);
    const reader = res.body.getReader();
    // A sample's two bytes can straddle two network chunks; keep the first until its partner comes.
    let carry: number | undefined;
    for (;;) {
      const { done, value } = await reader.read();
      clearTimeout(timer);
      if (done) break;
      let bytes = value;
      if (carry !== undefined) {
        bytes = new Uint8Array(value.length + 1);
        bytes[0] = carry;
        bytes.set(value, 1);
        carry = undefined;
      }
      const even = bytes.length & ~1;
      if (even < bytes.length) carry = bytes[bytes.length - 1];
      if (even > 0) {
        gotAudio = true;
        // Copy: a network chunk can start at an odd offset, which Int16Array cannot view. Hosts are little-endian.
        const pcm = new Int16Array(even / 2);
        new Uint8Array(pcm.buffer).set(bytes.subarray(0, even));
        // The bound is on the vendor, not on how long the pipeline takes to consume what it has.
        yield pcm;
      }
      arm();
    }
  } catch (err) {
    if (err instanceof ProviderError) throw err;
    if (r.signal.aborted) throw new ProviderError(r.provider, "aborted", `${name} speech cancelled`);
    if (stalled) {
      throw new ProviderError(
        r.provider,
        "timeout",
        gotAudio
          ? `${name} stopped sending audio for ${r.stallMs / 1000} s`
          : `${name} sent no audio within ${r.stallMs / 1000} s`,
      );
    }
    throw new ProviderError(
      r.provider,
      "unavailable",
      gotAudio
        ? `${name} dropped the audio stream: ${redact(causeMessage(err), r.apiKey)}`
        : `${name} could not be reached: ${redact(causeMessage(err), r.apiKey)}`,
    );
  } finally {
    clearTimeout(timer);
    r.signal.removeEventListener("abort", onAbort);
    // Also when the consumer stops early (barge-in): closes the connection so the vendor stops generating.
    ctl.abort();
  }
}

export interface OpenAiTtsOptions {
  apiKey: string;
  baseUrl?: string;
  model?: string;
  voiceId: string;
  speed?: number;
  /** gpt-4o-mini-tts only: how to speak (tone, pace). */
  instructions?: string;
  firstByteTimeoutMs?: number;
}

/** OpenAI speech (`POST /audio/speech`) as raw PCM, which OpenAI sends at 24 kHz 16-bit mono. */
export class OpenAiTts implements TextToSpeech {
  readonly provider = "openai";
  readonly local = false;
  readonly sampleRateHz = 24000;
  readonly voiceId: string;
  private readonly baseUrl: string;

  constructor(private readonly opts: OpenAiTtsOptions) {
    this.voiceId = opts.voiceId;
    this.baseUrl = (opts.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, "");
  }

  synthesize(req: TtsRequest): AsyncIterable<Int16Array> {
    const model = this.opts.model || "gpt-4o-mini-tts";
    return streamPcm({
      provider: this.provider,
      apiKey: this.opts.apiKey,
      url: `${this.baseUrl}/audio/speech`,
      headers: { Authorization: `Bearer ${this.opts.apiKey}`, "Content-Type": "application/json" },
      body: JSON.stringify({
        model,
        input: req.text,
        voice: this.voiceId,
        response_format: "pcm",
        ...(this.opts.speed !== undefined ? { speed: this.opts.speed } : {}),
        // tts-1 rejects instructions; only the gpt-4o family takes them.
        ...(this.opts.instructions && !model.startsWith("tts-1") ? { instructions: this.opts.instructions } : {}),
      }),
      signal: req.signal,
      stallMs: this.opts.firstByteTimeoutMs ?? FIRST_BYTE_TIMEOUT_MS,
      errorDetail: openAiErrorDetail,
    });
  }
}

function fromConfig(config: Record<string, unknown>, ctx: ProviderContext): TextToSpeech {
  const { apiKey, baseUrl, savedMs } = cloudVendor(ctx.keys, "openai", config, "tts_config");
  const voiceId = str(config.voice_id);
  if (!voiceId)
    throw new ProviderError(
      "openai",
      "config",
      "OpenAI speech needs tts_config.voice_id (for example alloy, marin or coral)",
    );
  return new OpenAiTts({
    apiKey,
    voiceId,
    baseUrl,
    model: str(config.model),
    speed: typeof config.speed === "number" ? config.speed : undefined,
    instructions: str(config.instructions),
    firstByteTimeoutMs: savedMs("tts_first_byte_timeout_ms"),
  });
}

registerTts("openai", fromConfig);
