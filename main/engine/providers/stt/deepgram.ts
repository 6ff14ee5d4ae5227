import { registerStt, type ProviderContext } from "../index.js";
import { ProviderError, httpError, missingKey } from "../errors.js";
import type { SpeechToText, SttRequest, SttResult } from "./types.js";
import { str, bool, redact, causeMessage, bodyStart } from "../util.js";

const DEFAULT_BASE_URL = "https://api.deepgram.com/v1";
/** A caller is waiting on this utterance; past this the pipeline says its fallback line instead. */
const TIMEOUT_MS = 15_000;

export interface DeepgramOptions {
  apiKey: string;
  /** Up to and including the version segment, like OpenAI's (`https://api.eu.deepgram.com/v1`). */
  baseUrl?: string;
  model?: string;
  language?: string;
  keyterms?: string[];
  smartFormat?: boolean;
  numerals?: boolean;
  fillerWords?: boolean;
  sampleRateHz?: 8000 | 16000;
  timeoutMs?: number;
}

/**
 * Deepgram pre-recorded transcription, one request per finished utterance. The pipeline already cuts
 * utterances with its own VAD and turn detection, so the streaming socket would add a connection to keep
 * alive per call for little gain; batch keeps failures per utterance and simple to retry.
 */
export class DeepgramStt implements SpeechToText {
  readonly provider = "deepgram";
  readonly local = false;
  readonly sampleRateHz: 8000 | 16000;
  private readonly baseUrl: string;
  private readonly timeoutMs: number;

  constructor(private readonly opts: DeepgramOptions) {
    this.baseUrl = (opts.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, "");
    this.timeoutMs = opts.timeoutMs ?? TIMEOUT_MS;
    // Telephone audio is 8 kHz already; Deepgram takes it as is, so upsampling would only add bytes.
    this.sampleRateHz = opts.sampleRateHz ?? 16000;
  }

  private url(req: SttRequest): string {
    const q = new URLSearchParams();
    q.set("model", this.opts.model || "nova-3");
    const language = req.language || this.opts.language;
    if (language) q.set("language", language);
    // Raw PCM has no header to read the format from: Deepgram needs both to decode it.
    q.set("encoding", "linear16");
    q.set("sample_rate", String(req.sampleRateHz));
    q.set("channels", "1");
    // The LLM reads the transcript: punctuation and formatted numbers help it more than they cost.
    q.set("smart_format", String(this.opts.smartFormat ?? true));
    if (this.opts.numerals !== undefined) q.set("numerals", String(this.opts.numerals));
    if (this.opts.fillerWords !== undefined) q.set("filler_words", String(this.opts.fillerWords));
    for (const term of req.keyterms ?? this.opts.keyterms ?? []) if (term.trim()) q.append("keyterm", term.trim());
    return `${this.baseUrl}/listen?${q}`;
  }

  async transcribe(req: SttRequest): Promise<SttResult> {
    if (req.signal.aborted) throw new ProviderError(this.provider, "aborted", "Deepgram request cancelled");
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.timeoutMs);
    const signal = AbortSignal.any([req.signal, deadline.signal]);
    try {
      const res = await fetch(this.url(req), {
        method: "POST",
        headers: {
          Authorization: `Token ${this.opts.apiKey}`,
          // Deepgram treats every body that is not application/json as media; the query says which.
          "Content-Type": "application/octet-stream",
          Accept: "application/json",
        },
        body: Buffer.from(req.audio.buffer, req.audio.byteOffset, req.audio.byteLength),
        signal,
      });
      const body = await res.text();
      if (!res.ok) throw httpError(this.provider, res.status, redact(errorDetail(body), this.opts.apiKey));
      return parseListenResponse(body);
    } catch (err) {
      if (err instanceof ProviderError) throw err;
      if (req.signal.aborted) throw new ProviderError(this.provider, "aborted", "Deepgram request cancelled");
      if (deadline.signal.aborted) throw new ProviderError(this.provider, "timeout", `Deepgram did not answer within ${this.timeoutMs / 1000} s`);
      throw new ProviderError(this.provider, "unavailable", `Deepgram could not be reached: ${redact(causeMessage(err), this.opts.apiKey)}`);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** `results.channels[0].alternatives[0]` of a pre-recorded response; anything else is not Deepgram. */
function parseListenResponse(body: string): SttResult {
  let json: unknown;
  try { json = JSON.parse(body); } catch {
    throw new ProviderError("deepgram", "bad_response", "Deepgram sent a reply that is not JSON");
  }
  const alt = (json as { results?: { channels?: { alternatives?: { transcript?: unknown; confidence?: unknown }[] }[] } })
    ?.results?.channels?.[0]?.alternatives?.[0];
  if (!alt || typeof alt.transcript !== "string") throw new ProviderError("deepgram", "bad_response", "Deepgram's reply has no transcript (results.channels[0].alternatives[0])");
  return { text: alt.transcript.trim(), ...(typeof alt.confidence === "number" ? { confidence: alt.confidence } : {}) };
}

/** Deepgram errors are `{err_code, err_msg, request_id}`; older ones used `{error, reason}`. */
function errorDetail(body: string): string {
  try {
    const j = JSON.parse(body) as { err_msg?: unknown; reason?: unknown; err_code?: unknown };
    const msg = j.err_msg ?? j.reason ?? j.err_code;
    if (typeof msg === "string") return msg;
  } catch { /* not JSON: a proxy's page, keep its start */ }
  return bodyStart(body);
}

function fromConfig(config: Record<string, unknown>, ctx: ProviderContext): SpeechToText {
  const apiKey = ctx.keys.apiKey("deepgram");
  if (!apiKey) throw missingKey("deepgram");
  const saved = ctx.keys.config("deepgram");
  return new DeepgramStt({
    apiKey,
    baseUrl: str(config.base_url) ?? str(saved.base_url),
    model: str(config.model),
    language: str(config.language),
    keyterms: Array.isArray(config.keyterms) ? config.keyterms.filter((k): k is string => typeof k === "string") : undefined,
    smartFormat: bool(config.smart_format),
    numerals: bool(config.numerals),
    fillerWords: bool(config.filler_words),
    sampleRateHz: config.sample_rate === 8000 ? 8000 : 16000,
    // Operators on slow links can widen the bound with POST /byok/config {stt_timeout_ms}.
    timeoutMs: typeof saved.stt_timeout_ms === "number" && saved.stt_timeout_ms > 0 ? saved.stt_timeout_ms : undefined,
  });
}

registerStt("deepgram", fromConfig);
