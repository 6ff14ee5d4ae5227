// Over 300 lines because Deepgram's two wire formats (one request per utterance, and the streaming WebSocket with its
// keep-alives, finalize and close handshake) share the options, the key routing and the result parsing.
import WebSocket from "ws";
import { registerStt, type ProviderContext } from "../index.js";
import { ProviderError, httpError } from "../errors.js";
import type { StreamingSpeechToText, SttRequest, SttResult, SttStream, SttStreamOptions } from "./types.js";
import { str, bool, strings, redact, causeMessage, errorDetailFrom } from "../util.js";
import { cloudVendor } from "../key-route.js";

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
  /** Idle streams send KeepAlive this often (Deepgram closes a stream after 10 s without data). */
  keepAliveMs?: number;
}

/**
 * Deepgram speech to text. On a call it streams (live `/listen` WebSocket, DeepgramStream): Deepgram
 * decodes while the caller talks, and at the end of a turn a Finalize flushes the rest, so the text
 * comes back in a round trip instead of an upload plus a whole decode. `transcribe` is the pre-recorded
 * endpoint, one request per utterance: the fallback when a stream fails mid-call.
 */
export class DeepgramStt implements StreamingSpeechToText {
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

  private query(language: string | undefined, sampleRateHz: number, keyterms: string[] | undefined): URLSearchParams {
    const q = new URLSearchParams();
    q.set("model", this.opts.model || "nova-3");
    const lang = language || this.opts.language;
    if (lang) q.set("language", lang);
    // Raw PCM has no header to read the format from: Deepgram needs both to decode it.
    q.set("encoding", "linear16");
    q.set("sample_rate", String(sampleRateHz));
    q.set("channels", "1");
    // The LLM reads the transcript: punctuation and formatted numbers help it more than they cost.
    q.set("smart_format", String(this.opts.smartFormat ?? true));
    if (this.opts.numerals !== undefined) q.set("numerals", String(this.opts.numerals));
    if (this.opts.fillerWords !== undefined) q.set("filler_words", String(this.opts.fillerWords));
    for (const term of keyterms ?? this.opts.keyterms ?? []) if (term.trim()) q.append("keyterm", term.trim());
    return q;
  }

  private url(req: SttRequest): string {
    return `${this.baseUrl}/listen?${this.query(req.language, req.sampleRateHz, req.keyterms)}`;
  }

  stream(opts: SttStreamOptions): SttStream {
    const q = this.query(opts.language, this.sampleRateHz, undefined);
    // Our own VAD and turn-taking decide when a turn ends: Deepgram's endpointing would only add messages;
    // Finalize says when we want the text. Interim results are shown while the caller talks (only when
    // someone listens for them): the turn's text is built from final results alone, as without them.
    q.set("interim_results", String(Boolean(opts.onPartial)));
    q.set("endpointing", "false");
    const url = `${this.baseUrl.replace(/^http/, "ws")}/listen?${q}`;
    return new DeepgramStream(url, this.opts.apiKey, opts.onError, this.opts.keepAliveMs ?? 5000, opts.onPartial);
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
      if (deadline.signal.aborted)
        throw new ProviderError(this.provider, "timeout", `Deepgram did not answer within ${this.timeoutMs / 1000} s`);
      throw new ProviderError(
        this.provider,
        "unavailable",
        `Deepgram could not be reached: ${redact(causeMessage(err), this.opts.apiKey)}`,
      );
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Audio queued while the socket opens, at most (16 kHz: ~10 s); beyond it the recognizer is not keeping up. */
const MAX_PENDING_BYTES = 320_000;

/**
 * One live Deepgram stream for a whole call. Final results arrive as Deepgram segments the audio; they
 * collect until the turn ends, when Finalize makes Deepgram flush what it holds (its reply carries
 * `from_finalize: true`). Between turns nothing is sent, so KeepAlive keeps the socket open.
 */
class DeepgramStream implements SttStream {
  private readonly ws: WebSocket;
  private readonly pending: (Buffer | string)[] = [];
  private pendingBytes = 0;
  private readonly finals: { text: string; confidence?: number }[] = [];
  /** Deepgram's latest interim text for the audio after the last final (display only). */
  private interim = "";
  /** What `onPartial` was last told, so an interim repeating it is not passed on. */
  private shown = "";
  private wroteSinceFinalize = false;
  private flushed: (() => void) | null = null;
  private lastSentAt = performance.now();
  private readonly keepAlive: NodeJS.Timeout;
  private closed = false;

  constructor(
    url: string,
    private readonly apiKey: string,
    private readonly onError: (err: Error) => void,
    keepAliveMs: number,
    private readonly onPartial?: (text: string) => void,
  ) {
    this.ws = new WebSocket(url, { headers: { Authorization: `Token ${apiKey}` }, handshakeTimeout: 10_000 });
    this.ws.on("open", () => {
      for (const m of this.pending.splice(0)) this.ws.send(m);
      this.pendingBytes = 0;
    });
    this.ws.on("message", (data, isBinary) => {
      if (!isBinary) this.onMessage(data.toString());
    });
    // A refused upgrade (bad key, bad parameter) comes back as an HTTP answer with Deepgram's error body.
    this.ws.on("unexpected-response", (_req, res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (d: string) => {
        if (body.length < 4096) body += d;
      });
      res.on("end", () => this.fail(httpError("deepgram", res.statusCode ?? 0, this.redact(errorDetail(body)))));
      res.on("error", () => this.fail(httpError("deepgram", res.statusCode ?? 0)));
    });
    this.ws.on("error", (err) =>
      this.fail(
        new ProviderError(
          "deepgram",
          "unavailable",
          `Deepgram could not be reached: ${this.redact(causeMessage(err))}`,
        ),
      ),
    );
    // Deepgram ends a stream it cannot serve with a close code and reason (1008 bad audio, 1011 timeout).
    this.ws.on("close", (code, reason) =>
      this.fail(
        new ProviderError(
          "deepgram",
          "unavailable",
          `Deepgram closed the stream (${code}${reason.length ? `: ${this.redact(reason.toString())}` : ""})`,
        ),
      ),
    );
    this.keepAlive = setInterval(
      () => {
        if (this.ws.readyState === WebSocket.OPEN && performance.now() - this.lastSentAt >= keepAliveMs)
          this.send(JSON.stringify({ type: "KeepAlive" }));
      },
      Math.min(keepAliveMs, 1000),
    );
    this.keepAlive.unref();
  }

  private redact(text: string): string {
    return redact(text, this.apiKey);
  }

  private send(message: Buffer | string): void {
    this.lastSentAt = performance.now();
    if (this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(message);
      return;
    }
    if (this.ws.readyState !== WebSocket.CONNECTING) return;
    if (this.pendingBytes + message.length > MAX_PENDING_BYTES) return;
    this.pending.push(message);
    this.pendingBytes += message.length;
  }

  private onMessage(text: string): void {
    let msg: {
      type?: unknown;
      is_final?: unknown;
      from_finalize?: unknown;
      channel?: { alternatives?: { transcript?: unknown; confidence?: unknown }[] };
    };
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    if (msg.type !== "Results") return;
    const alt = msg.channel?.alternatives?.[0];
    const transcript = typeof alt?.transcript === "string" ? alt.transcript.trim() : "";
    if (msg.is_final === true) {
      // A final replaces the interims of its stretch of audio.
      this.interim = "";
      if (transcript)
        this.finals.push({
          text: transcript,
          ...(typeof alt?.confidence === "number" ? { confidence: alt.confidence } : {}),
        });
    } else this.interim = transcript;
    if (msg.from_finalize === true) this.flushed?.();
    // While a Finalize is out, results are the ending turn's: its text is about to be taken, not shown.
    else if (!this.flushed) this.showPartial();
  }

  private showPartial(): void {
    if (!this.onPartial) return;
    const text = [...this.finals.map((f) => f.text), this.interim].filter(Boolean).join(" ");
    if (text === this.shown) return;
    this.shown = text;
    if (text) this.onPartial(text);
  }

  private fail(err: ProviderError): void {
    if (this.closed) return;
    this.close();
    this.onError(err);
  }

  write(pcm: Int16Array): void {
    if (this.closed) return;
    this.wroteSinceFinalize = true;
    // A copy: the pipeline reuses its buffers, and ws may send later.
    this.send(Buffer.from(pcm.buffer.slice(pcm.byteOffset, pcm.byteOffset + pcm.byteLength)));
  }

  finish(_speechStartAt: number, _speechEndAt: number, timeoutMs: number): Promise<SttResult> {
    return new Promise((resolve) => {
      const take = () => {
        clearTimeout(timer);
        this.flushed = null;
        // The next turn starts with no text: an interim of this one's audio is not carried into it.
        this.interim = this.shown = "";
        const parts = this.finals.splice(0);
        const scored = parts.filter((p) => p.confidence !== undefined);
        resolve({
          text: parts.map((p) => p.text).join(" "),
          ...(scored.length ? { confidence: scored.reduce((sum, p) => sum + p.confidence!, 0) / scored.length } : {}),
        });
      };
      const timer = setTimeout(take, timeoutMs);
      // Nothing said since the last flush: what is collected is all there is.
      if (!this.wroteSinceFinalize || this.closed) {
        take();
        return;
      }
      this.wroteSinceFinalize = false;
      this.flushed = take;
      this.send(JSON.stringify({ type: "Finalize" }));
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.keepAlive);
    this.flushed?.();
    if (this.ws.readyState === WebSocket.OPEN) {
      // CloseStream lets Deepgram send its last results and metadata, then close the socket itself.
      this.ws.send(JSON.stringify({ type: "CloseStream" }));
      setTimeout(() => this.ws.terminate(), 2000).unref();
    } else this.ws.terminate();
  }
}

/** `results.channels[0].alternatives[0]` of a pre-recorded response; anything else is not Deepgram. */
function parseListenResponse(body: string): SttResult {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new ProviderError("deepgram", "bad_response", "Deepgram sent a reply that is not JSON");
  }
  const alt = (
    json as { results?: { channels?: { alternatives?: { transcript?: unknown; confidence?: unknown }[] }[] } }
  )?.results?.channels?.[0]?.alternatives?.[0];
  if (!alt || typeof alt.transcript !== "string")
    throw new ProviderError(
      "deepgram",
      "bad_response",
      "Deepgram's reply has no transcript (results.channels[0].alternatives[0])",
    );
  return { text: alt.transcript.trim(), ...(typeof alt.confidence === "number" ? { confidence: alt.confidence } : {}) };
}

/** Deepgram errors are `{err_code, err_msg, request_id}`; older ones used `{error, reason}`. */
const errorDetail = (body: string): string =>
  errorDetailFrom(
    body,
    (j: { err_msg?: unknown; reason?: unknown; err_code?: unknown }) => j.err_msg ?? j.reason ?? j.err_code,
  );

function fromConfig(config: Record<string, unknown>, ctx: ProviderContext): DeepgramStt {
  const { apiKey, baseUrl, savedMs } = cloudVendor(ctx.keys, "deepgram", config, "stt_config");
  return new DeepgramStt({
    apiKey,
    baseUrl,
    model: str(config.model),
    language: str(config.language),
    keyterms: strings(config.keyterms),
    smartFormat: bool(config.smart_format),
    numerals: bool(config.numerals),
    fillerWords: bool(config.filler_words),
    sampleRateHz: config.sample_rate === 8000 ? 8000 : 16000,
    timeoutMs: savedMs("stt_timeout_ms"),
  });
}

registerStt("deepgram", fromConfig);
