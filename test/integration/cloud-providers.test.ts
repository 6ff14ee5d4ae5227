/**
 * Cloud speech providers (Deepgram STT, OpenAI STT and TTS, ElevenLabs TTS) against wire-format doubles.
 *
 * These machines have no internet, so each vendor is played by a node:http server on 127.0.0.1 that
 * checks a request the way the vendor's public API reference describes it (path, auth header, content
 * type, query/body fields) and answers in the vendor's documented format: Deepgram's pre-recorded
 * `results.channels[].alternatives[]` JSON and `{err_code, err_msg}` errors, OpenAI's `{text}` and
 * `{error: {message, type, code}}`, raw PCM bodies streamed in chunks for speech, ElevenLabs'
 * `{detail: {status, message}}`. The doubles do not recognise or synthesise speech: they compare the
 * audio that arrived with the real recording byte for byte, and stream a real recording back as "speech".
 *
 * The last block is not a double: local Whisper runs the real whisper.cpp binding (@fugood/whisper.node)
 * on whisper.cpp's weightless tiny.en fixture, which exercises loading and cancellation but cannot recognise.
 */
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readWav } from "../support/audio.js";
import { SHARED } from "../support/kamailio.js";
import {
  createLlm,
  createStt,
  createTts,
  ProviderError,
  type ProviderContext,
} from "../../main/engine/providers/index.js";
import { isOfficialEndpoint, routeKey } from "../../main/engine/providers/key-route.js";
import "../../main/engine/providers/llm/openai.js";
import type { ProviderKeys } from "../../main/engine/providers/keys.js";
import type { SpeechToText } from "../../main/engine/providers/stt/types.js";
import type { TextToSpeech } from "../../main/engine/providers/tts/types.js";
// The vendor modules register themselves; register.ts also pulls in modules other people are writing.
import "../../main/engine/providers/stt/deepgram.js";
import "../../main/engine/providers/stt/openai.js";
import "../../main/engine/providers/tts/openai.js";
import "../../main/engine/providers/tts/elevenlabs.js";
import { WhisperStt } from "../../main/engine/providers/stt/whisper.js";

const AUDIO = join(SHARED, "audio");
const JFK = readWav(join(AUDIO, "en-jfk.wav"));
const JFK_TEXT: string = JSON.parse(readFileSync(join(AUDIO, "transcripts.json"), "utf8"))["en-jfk.wav"].text;
const JFK_SHA = sha(bytesOf(JFK.samples));

const KEYS: Record<string, string> = {
  deepgram: "dg_test_5b7f3a9c1e0d2468ace13579",
  openai: "sk-test-4b2d8e6f0a1c3e5g7i9k1m3o",
  elevenlabs: "sk_el_test_9c1e5b7f3a0d2468ace1",
};

function bytesOf(a: Int16Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}
function sha(b: Buffer): string {
  return createHash("sha256").update(b).digest("hex");
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function context(
  saved: Record<string, Record<string, unknown>> = {},
  keys: Record<string, string> = KEYS,
): ProviderContext {
  const k: ProviderKeys = { apiKey: (p) => keys[p] ?? null, config: (p) => saved[p] ?? {} };
  return { keys: k, modelsDir: "/nonexistent" };
}

// ---------------------------------------------------------------------------------------------------
// A tiny loopback server per test; handlers play the vendor.

interface Seen {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage["headers"];
  body: Buffer;
}
type Handler = (seen: Seen, res: ServerResponse) => void | Promise<void>;

interface Double {
  base: string;
  seen: Seen[];
  closedResponses: number;
  close(): Promise<void>;
}
const doubles: Double[] = [];
afterEach(async () => {
  await Promise.all(doubles.splice(0).map((d) => d.close()));
});

/** `track: false` for tests that run concurrently, which close their own double (afterEach would close all). */
async function startDouble(handler: Handler, { prefix = "/v1", track = true } = {}): Promise<Double> {
  const d: Double = { base: "", seen: [], closedResponses: 0, close: async () => undefined };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://x");
      const seen: Seen = {
        method: req.method ?? "",
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      d.seen.push(seen);
      res.on("close", () => {
        d.closedResponses++;
      });
      void Promise.resolve(handler(seen, res)).catch((err) => {
        res.destroy(err as Error);
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  d.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}${prefix}`;
  d.close = () =>
    new Promise((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  if (track) doubles.push(d);
  return d;
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Streams `pcm` as chunked transfer in pieces of the given (odd) sizes, flushing between them. */
async function streamPcm(
  res: ServerResponse,
  pcm: Buffer,
  contentType: string,
  sizes: number[],
  gapMs = 2,
): Promise<void> {
  res.writeHead(200, { "Content-Type": contentType, "Transfer-Encoding": "chunked" });
  let off = 0;
  for (let i = 0; off < pcm.length && !res.destroyed; i++) {
    const n = sizes[i % sizes.length];
    res.write(pcm.subarray(off, off + n));
    off += n;
    await sleep(gapMs);
  }
  res.end();
}

async function collect(tts: TextToSpeech, text: string, signal = new AbortController().signal): Promise<Int16Array[]> {
  const out: Int16Array[] = [];
  for await (const chunk of tts.synthesize({ text, signal })) out.push(chunk);
  return out;
}

function concat(chunks: Int16Array[]): Int16Array {
  const all = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    all.set(c, off);
    off += c.length;
  }
  return all;
}

/** Runs `fn`, expects a ProviderError, and checks no saved key leaks into what a person would read. */
async function providerError(fn: () => Promise<unknown>): Promise<ProviderError> {
  let caught: unknown;
  try {
    await fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, "expected a ProviderError").toBeInstanceOf(ProviderError);
  const e = caught as ProviderError;
  for (const key of Object.values(KEYS)) {
    expect(e.message).not.toContain(key);
    expect(String(e.stack)).not.toContain(key);
  }
  return e;
}

// ---------------------------------------------------------------------------------------------------
// Vendor doubles as their API references describe them.

const DG_AUTH_ERROR = {
  err_code: "INVALID_AUTH",
  err_msg: "Invalid credentials.",
  request_id: "5d3c1f0e-0000-4000-8000-000000000001",
};

/** Deepgram `POST /v1/listen` with raw linear16: checks the request, "recognises" the JFK recording. */
const deepgramListen: Handler = (s, res) => {
  if (s.method !== "POST" || s.path !== "/v1/listen")
    return json(res, 404, { err_code: "NOT_FOUND", err_msg: "Not found" });
  if (s.headers.authorization !== `Token ${KEYS.deepgram}`) return json(res, 401, DG_AUTH_ERROR);
  if ((s.headers["content-type"] ?? "").startsWith("application/json"))
    return json(res, 400, { err_code: "Bad Request", err_msg: "Expected a url in the JSON body" });
  if (s.query.get("encoding") !== "linear16" || !s.query.get("sample_rate")) {
    return json(res, 400, {
      err_code: "Bad Request",
      err_msg: "Bad Request: failed to process audio: corrupt or unsupported data",
    });
  }
  const known = s.query.get("sample_rate") === "16000" && sha(s.body) === JFK_SHA;
  const duration = s.body.length / 2 / Number(s.query.get("sample_rate"));
  return json(res, 200, {
    metadata: {
      transaction_key: "deprecated",
      request_id: "5d3c1f0e-0000-4000-8000-000000000002",
      sha256: sha(s.body),
      created: "2025-01-01T00:00:00.000Z",
      duration,
      channels: 1,
      models: ["30089e05-99d1-4376-b32e-c263170674af"],
      model_info: {
        "30089e05-99d1-4376-b32e-c263170674af": { name: "general-nova-3", version: "2024-12-20.0", arch: "nova-3" },
      },
    },
    results: {
      channels: [
        {
          alternatives: [
            {
              transcript: known ? JFK_TEXT : "",
              confidence: known ? 0.99902344 : 0,
              words: known
                ? JFK_TEXT.split(" ").map((w, i) => ({
                    word: w.replace(/[.,]/g, "").toLowerCase(),
                    start: i * 0.5,
                    end: i * 0.5 + 0.4,
                    confidence: 0.99,
                    punctuated_word: w,
                  }))
                : [],
            },
          ],
        },
      ],
    },
  });
};

const OPENAI_AUTH_ERROR = {
  error: {
    message:
      "Incorrect API key provided: sk-test-****1m3o. You can find your API key at https://platform.openai.com/account/api-keys.",
    type: "invalid_request_error",
    param: null,
    code: "invalid_api_key",
  },
};

/** Parses the multipart upload with the platform's own FormData parser, as a server framework would. */
async function multipart(s: Seen): Promise<FormData> {
  return new Response(s.body, { headers: { "content-type": String(s.headers["content-type"]) } }).formData();
}

/** OpenAI `POST /v1/audio/transcriptions`: multipart with a WAV `file`, `model`, optional `language`. */
const openaiTranscriptions: Handler = async (s, res) => {
  if (s.method !== "POST" || s.path !== "/v1/audio/transcriptions")
    return json(res, 404, {
      error: { message: "Invalid URL", type: "invalid_request_error", param: null, code: null },
    });
  if (s.headers.authorization !== `Bearer ${KEYS.openai}`) return json(res, 401, OPENAI_AUTH_ERROR);
  if (!/^multipart\/form-data; ?boundary=/.test(String(s.headers["content-type"]))) {
    return json(res, 400, {
      error: { message: "Could not parse multipart form", type: "invalid_request_error", param: null, code: null },
    });
  }
  const form = await multipart(s);
  const model = form.get("model");
  if (typeof model !== "string" || !["whisper-1", "gpt-4o-transcribe", "gpt-4o-mini-transcribe"].includes(model)) {
    return json(res, 400, {
      error: { message: `Invalid model ${String(model)}`, type: "invalid_request_error", param: "model", code: null },
    });
  }
  const file = form.get("file");
  if (!(file instanceof Blob))
    return json(res, 400, {
      error: { message: "you must provide a file", type: "invalid_request_error", param: "file", code: null },
    });
  const wav = Buffer.from(await file.arrayBuffer());
  const isWav =
    wav.toString("ascii", 0, 4) === "RIFF" && wav.toString("ascii", 8, 12) === "WAVE" && wav.readUInt16LE(20) === 1;
  if (!isWav || !/\.wav$/.test((file as File).name)) {
    return json(res, 400, {
      error: {
        message: "Audio file might be corrupted or unsupported",
        type: "invalid_request_error",
        param: "file",
        code: "invalid_value",
      },
    });
  }
  const known = wav.readUInt32LE(24) === 16000 && wav.readUInt16LE(22) === 1 && sha(wav.subarray(44)) === JFK_SHA;
  const text = known ? JFK_TEXT : "";
  // gpt-4o transcribe models report token usage; whisper-1 answers with the text alone.
  return json(
    res,
    200,
    model === "whisper-1"
      ? { text }
      : { text, usage: { type: "tokens", input_tokens: 150, output_tokens: 24, total_tokens: 174 } },
  );
};

let jfk24k: Buffer;
beforeAll(() => {
  // OpenAI's `pcm` is 24 kHz: the double sends the real recording resampled by sox to that rate.
  const dir = mkdtempSync(join(tmpdir(), "voicedock-tts-"));
  try {
    const out = join(dir, "jfk24k.raw");
    const r = spawnSync(
      "sox",
      [join(AUDIO, "en-jfk.wav"), "-r", "24000", "-c", "1", "-b", "16", "-e", "signed-integer", "-t", "raw", out],
      { encoding: "utf8" },
    );
    if (r.status !== 0) throw new Error(`sox failed: ${r.stderr}`);
    jfk24k = readFileSync(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** OpenAI `POST /v1/audio/speech` with `response_format: "pcm"`: streams 24 kHz s16le. */
function openaiSpeech(
  check: (body: Record<string, unknown>) => void = () => undefined,
  sizes = [4801, 3999, 7],
): Handler {
  return async (s, res) => {
    if (s.method !== "POST" || s.path !== "/v1/audio/speech")
      return json(res, 404, {
        error: { message: "Invalid URL", type: "invalid_request_error", param: null, code: null },
      });
    if (s.headers.authorization !== `Bearer ${KEYS.openai}`) return json(res, 401, OPENAI_AUTH_ERROR);
    if (!String(s.headers["content-type"]).startsWith("application/json"))
      return json(res, 400, {
        error: { message: "Expected JSON", type: "invalid_request_error", param: null, code: null },
      });
    const body = JSON.parse(s.body.toString("utf8")) as Record<string, unknown>;
    if (!body.input || !body.voice || !body.model)
      return json(res, 400, {
        error: {
          message: "Missing required parameter",
          type: "invalid_request_error",
          param: null,
          code: "missing_required_parameter",
        },
      });
    if (body.response_format !== "pcm")
      return json(res, 400, {
        error: {
          message: "test double only streams pcm",
          type: "invalid_request_error",
          param: "response_format",
          code: null,
        },
      });
    check(body);
    await streamPcm(res, jfk24k, "audio/pcm", sizes);
  };
}

const EL_AUTH_ERROR = { detail: { status: "invalid_api_key", message: "Invalid API key" } };

/** ElevenLabs `POST /v1/text-to-speech/{voice_id}/stream?output_format=pcm_16000`: streams s16le. */
function elevenLabsStream(
  check: (body: Record<string, unknown>, s: Seen) => void = () => undefined,
  sizes = [1001, 2047, 3],
): Handler {
  return async (s, res) => {
    const m = /^\/v1\/text-to-speech\/([^/]+)\/stream$/.exec(s.path);
    if (s.method !== "POST" || !m) return json(res, 404, { detail: "Not Found" });
    if (s.headers["xi-api-key"] !== KEYS.elevenlabs) return json(res, 401, EL_AUTH_ERROR);
    const body = JSON.parse(s.body.toString("utf8")) as Record<string, unknown>;
    if (typeof body.text !== "string" || !body.text) {
      return json(res, 422, {
        detail: [{ type: "missing", loc: ["body", "text"], msg: "Field required", input: body }],
      });
    }
    if (s.query.get("output_format") !== "pcm_16000")
      return json(res, 400, { detail: { status: "invalid_output_format", message: "double streams pcm_16000 only" } });
    check(body, s);
    await streamPcm(res, bytesOf(JFK.samples), "audio/pcm", sizes);
  };
}

// ---------------------------------------------------------------------------------------------------

describe("Deepgram speech-to-text", () => {
  it("sends the utterance as raw linear16 with the configured model and options, and returns the transcript", async () => {
    const dg = await startDouble(deepgramListen);
    const stt = createStt(
      {
        provider: "deepgram",
        model: "nova-3-general",
        language: "en",
        keyterms: ["Americans", "country"],
        numerals: true,
        smart_format: true,
      },
      context({ deepgram: { base_url: dg.base } }),
    );
    expect(stt).toMatchObject({ provider: "deepgram", local: false, sampleRateHz: 16000 });
    const result = await stt.transcribe({
      audio: JFK.samples,
      sampleRateHz: 16000,
      language: "en",
      signal: new AbortController().signal,
    });
    expect(result.text).toBe(JFK_TEXT);
    expect(result.confidence).toBeGreaterThan(0.9);

    const s = dg.seen[0];
    expect(s.query.get("model")).toBe("nova-3-general");
    expect(s.query.get("language")).toBe("en");
    expect(s.query.get("sample_rate")).toBe("16000");
    expect(s.query.get("channels")).toBe("1");
    expect(s.query.getAll("keyterm")).toEqual(["Americans", "country"]);
    expect(s.query.get("numerals")).toBe("true");
    expect(s.query.get("smart_format")).toBe("true");
    expect(s.body.length).toBe(JFK.samples.length * 2);
  });

  it("prefers the request's keyterms and language, and hears no speech in silence", async () => {
    const dg = await startDouble(deepgramListen);
    // stt_config.base_url works as well, when it is the base_url saved with the key.
    const stt = createStt(
      { provider: "deepgram", model: "nova-3", language: "en", keyterms: ["ignored"], base_url: `${dg.base}/` },
      context({ deepgram: { base_url: dg.base } }),
    );
    const r = await stt.transcribe({
      audio: new Int16Array(8000),
      sampleRateHz: 8000,
      language: "nl",
      keyterms: ["VoiceDock"],
      signal: new AbortController().signal,
    });
    expect(r.text).toBe("");
    expect(dg.seen[0].query.get("language")).toBe("nl");
    expect(dg.seen[0].query.get("sample_rate")).toBe("8000");
    expect(dg.seen[0].query.getAll("keyterm")).toEqual(["VoiceDock"]);
  });
});

describe("OpenAI speech-to-text", () => {
  for (const model of ["whisper-1", "gpt-4o-transcribe", "gpt-4o-mini-transcribe"]) {
    it(`uploads the utterance as a WAV file to ${model} and returns the text`, async () => {
      const oa = await startDouble(openaiTranscriptions);
      const stt = createStt(
        { provider: "openai", model, language: "en", keyterms: ["Americans"] },
        context({ openai: { base_url: oa.base } }),
      );
      expect(stt).toMatchObject({ provider: "openai", local: false, sampleRateHz: 16000 });
      const result = await stt.transcribe({
        audio: JFK.samples,
        sampleRateHz: 16000,
        language: "en",
        signal: new AbortController().signal,
      });
      expect(result.text).toBe(JFK_TEXT);
      const form = await multipart(oa.seen[0]);
      expect(form.get("model")).toBe(model);
      expect(form.get("language")).toBe("en");
      expect(String(form.get("prompt"))).toContain("Americans");
    });
  }

  it("lets the model detect the language when stt_config.language is multi", async () => {
    const oa = await startDouble(openaiTranscriptions);
    const stt = createStt(
      { provider: "openai", model: "whisper-1", base_url: oa.base },
      context({ openai: { base_url: oa.base } }),
    );
    await stt.transcribe({
      audio: JFK.samples,
      sampleRateHz: 16000,
      language: "multi",
      signal: new AbortController().signal,
    });
    expect((await multipart(oa.seen[0])).has("language")).toBe(false);
  });
});

describe("OpenAI text-to-speech", () => {
  it("streams 24 kHz PCM chunk by chunk as the response arrives", async () => {
    let body: Record<string, unknown> = {};
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    // The double holds back everything after the first chunk until the client has yielded audio.
    const oa = await startDouble(async (s, res) => {
      if (s.headers.authorization !== `Bearer ${KEYS.openai}` || s.path !== "/v1/audio/speech")
        return json(res, 401, OPENAI_AUTH_ERROR);
      body = JSON.parse(s.body.toString("utf8"));
      res.writeHead(200, { "Content-Type": "audio/pcm", "Transfer-Encoding": "chunked" });
      res.write(jfk24k.subarray(0, 4801));
      await gate;
      res.end(jfk24k.subarray(4801));
    });
    const tts = createTts(
      { provider: "openai", voice_id: "alloy", model: "tts-1", speed: 1.25 },
      context({ openai: { base_url: oa.base } }),
    );
    expect(tts).toMatchObject({ provider: "openai", voiceId: "alloy", local: false, sampleRateHz: 24000 });
    const chunks: Int16Array[] = [];
    for await (const c of tts.synthesize({
      text: "Ask not what your country can do for you.",
      signal: new AbortController().signal,
    })) {
      chunks.push(c);
      release();
    }
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks[0].length).toBe(2400); // 4801 bytes: the odd byte waits for its partner
    expect(bytesOf(concat(chunks)).equals(jfk24k)).toBe(true);
    expect(body).toMatchObject({
      model: "tts-1",
      voice: "alloy",
      input: "Ask not what your country can do for you.",
      response_format: "pcm",
      speed: 1.25,
    });
    expect(body).not.toHaveProperty("instructions");
  });

  it("keeps every sample when chunks split samples at odd byte counts", async () => {
    const oa = await startDouble(
      openaiSpeech((b) =>
        expect(b).toMatchObject({ model: "gpt-4o-mini-tts", voice: "coral", instructions: "Speak calmly." }),
      ),
    );
    const tts = createTts(
      { provider: "openai", voice_id: "coral", instructions: "Speak calmly." },
      context({ openai: { base_url: oa.base } }),
    );
    const chunks = await collect(tts, "Hello");
    expect(bytesOf(concat(chunks)).equals(jfk24k)).toBe(true);
  });
});

describe("ElevenLabs text-to-speech", () => {
  it("streams pcm_16000 with the voice settings, keeping samples split across odd chunk boundaries", async () => {
    let sent: Record<string, unknown> = {};
    let voice = "";
    const el = await startDouble(
      elevenLabsStream((b, s) => {
        sent = b;
        voice = s.path.split("/")[3];
      }),
    );
    const tts = createTts(
      {
        provider: "elevenlabs",
        voice_id: "21m00Tcm4TlvDq8ikWAM",
        model: "eleven_flash_v2_5",
        language: "nl",
        stability: 0.5,
        similarity_boost: 0.75,
        style: 0.1,
        use_speaker_boost: true,
        speed: 1.1,
      },
      context({ elevenlabs: { base_url: el.base } }),
    );
    expect(tts).toMatchObject({
      provider: "elevenlabs",
      voiceId: "21m00Tcm4TlvDq8ikWAM",
      local: false,
      sampleRateHz: 16000,
    });
    const chunks = await collect(tts, "Goedemiddag, waarmee kan ik u helpen?");
    expect(chunks.length).toBeGreaterThan(10);
    const out = concat(chunks);
    expect(out.length).toBe(JFK.samples.length);
    expect(bytesOf(out).equals(bytesOf(JFK.samples))).toBe(true);
    expect(voice).toBe("21m00Tcm4TlvDq8ikWAM");
    expect(sent).toEqual({
      text: "Goedemiddag, waarmee kan ik u helpen?",
      model_id: "eleven_flash_v2_5",
      voice_settings: { stability: 0.5, similarity_boost: 0.75, style: 0.1, use_speaker_boost: true, speed: 1.1 },
      language_code: "nl",
    });
  });

  it("accepts 11labs as an alias, and sends only stability to eleven_v3", async () => {
    let sent: Record<string, unknown> = {};
    const el = await startDouble(
      elevenLabsStream((b) => {
        sent = b;
      }),
    );
    const tts = createTts(
      {
        provider: "11labs",
        voice_id: "JBFqnCBsd6RMkjVDRZzb",
        model: "eleven_v3",
        stability: 0.5,
        similarity_boost: 0.9,
        language: "en",
      },
      context({ elevenlabs: { base_url: el.base } }),
    );
    expect(tts.provider).toBe("elevenlabs");
    expect(concat(await collect(tts, "Hi")).length).toBe(JFK.samples.length);
    expect(sent).toEqual({ text: "Hi", model_id: "eleven_v3", voice_settings: { stability: 0.5 } });
  });

  it("turns ElevenLabs' validation error into a message naming the field", async () => {
    const el = await startDouble(elevenLabsStream());
    const tts = createTts({ provider: "elevenlabs", voice_id: "v" }, context({ elevenlabs: { base_url: el.base } }));
    const e = await providerError(() => collect(tts, ""));
    expect(e.kind).toBe("bad_response");
    expect(e.message).toBe("ElevenLabs refused the request (422): body.text: Field required");
  });
});

// ---------------------------------------------------------------------------------------------------
// Faults, the same for every vendor.

interface Vendor {
  label: string;
  display: string;
  keyProvider: string;
  config: Record<string, unknown>;
  boundKey: "stt_timeout_ms" | "tts_first_byte_timeout_ms";
  /** Does the provider's one job (one utterance, or one whole sentence of speech). */
  run(ctx: ProviderContext, signal: AbortSignal): Promise<unknown>;
  unauthorized: Handler;
  failing: Handler;
  /** 200 with a body that is not what the vendor sends. */
  malformed: Handler;
  /** 400 whose message quotes the key back (some gateways do). */
  echoesKey: Handler;
}

const sttRun = (config: Record<string, unknown>) => (ctx: ProviderContext, signal: AbortSignal) =>
  (createStt(config, ctx) as SpeechToText).transcribe({
    audio: JFK.samples,
    sampleRateHz: 16000,
    language: "en",
    signal,
  });
const ttsRun = (config: Record<string, unknown>) => (ctx: ProviderContext, signal: AbortSignal) =>
  collect(createTts(config, ctx), "Thank you for calling.", signal);

const vendors: Vendor[] = [
  {
    label: "Deepgram STT",
    display: "Deepgram",
    keyProvider: "deepgram",
    config: { provider: "deepgram", model: "nova-3", language: "en" },
    boundKey: "stt_timeout_ms",
    run: sttRun({ provider: "deepgram", model: "nova-3", language: "en" }),
    unauthorized: (_s, res) => json(res, 401, DG_AUTH_ERROR),
    failing: (_s, res) =>
      json(res, 500, { err_code: "INTERNAL_SERVER_ERROR", err_msg: "Internal server error", request_id: "x" }),
    malformed: (_s, res) => {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end('{"metadata": {"request_id": "x"}, "results": {"chan');
    },
    echoesKey: (s, res) =>
      json(res, 400, { err_code: "Bad Request", err_msg: `Bad header ${s.headers.authorization}` }),
  },
  {
    label: "OpenAI STT",
    display: "OpenAI",
    keyProvider: "openai",
    config: { provider: "openai", model: "whisper-1" },
    boundKey: "stt_timeout_ms",
    run: sttRun({ provider: "openai", model: "whisper-1" }),
    unauthorized: (_s, res) => json(res, 401, OPENAI_AUTH_ERROR),
    failing: (_s, res) =>
      json(res, 500, {
        error: {
          message: "The server had an error while processing your request. Sorry about that!",
          type: "server_error",
          param: null,
          code: null,
        },
      }),
    malformed: (_s, res) => {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end("<html>Bad gateway</html>");
    },
    echoesKey: (s, res) =>
      json(res, 400, {
        error: {
          message: `Malformed key ${String(s.headers.authorization).slice(7)}`,
          type: "invalid_request_error",
          param: null,
          code: null,
        },
      }),
  },
  {
    label: "OpenAI TTS",
    display: "OpenAI",
    keyProvider: "openai",
    config: { provider: "openai", voice_id: "alloy" },
    boundKey: "tts_first_byte_timeout_ms",
    run: ttsRun({ provider: "openai", voice_id: "alloy" }),
    unauthorized: (_s, res) => json(res, 401, OPENAI_AUTH_ERROR),
    failing: (_s, res) =>
      json(res, 503, {
        error: {
          message: "The engine is currently overloaded, please try again later",
          type: "server_error",
          param: null,
          code: null,
        },
      }),
    malformed: (_s, res) => json(res, 200, { object: "speech", audio: "not-pcm" }),
    echoesKey: (s, res) =>
      json(res, 400, {
        error: {
          message: `Malformed key ${String(s.headers.authorization).slice(7)}`,
          type: "invalid_request_error",
          param: null,
          code: null,
        },
      }),
  },
  {
    label: "ElevenLabs TTS",
    display: "ElevenLabs",
    keyProvider: "elevenlabs",
    config: { provider: "elevenlabs", voice_id: "21m00Tcm4TlvDq8ikWAM" },
    boundKey: "tts_first_byte_timeout_ms",
    run: ttsRun({ provider: "elevenlabs", voice_id: "21m00Tcm4TlvDq8ikWAM" }),
    unauthorized: (_s, res) => json(res, 401, EL_AUTH_ERROR),
    failing: (_s, res) =>
      json(res, 500, { detail: { status: "internal_error", message: "An internal error occurred" } }),
    malformed: (_s, res) => {
      res.writeHead(200, { "Content-Type": "text/html" });
      res.end("<html><body>Captive portal</body></html>");
    },
    echoesKey: (s, res) =>
      json(res, 400, {
        detail: { status: "invalid_request", message: `Unknown key ${String(s.headers["xi-api-key"])}` },
      }),
  },
];

describe.each(vendors)("$label faults", (v) => {
  const withDouble = async (handler: Handler, extra: Record<string, unknown> = {}) => {
    const d = await startDouble(handler);
    return { d, ctx: context({ [v.keyProvider]: { base_url: d.base, ...extra } }) };
  };

  it("without a saved key fails at construction with the documented message, before any request", () => {
    const ctx = context({}, {});
    let caught: unknown;
    try {
      if (v.config.voice_id) createTts(v.config, ctx);
      else createStt(v.config, ctx);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ProviderError);
    expect((caught as ProviderError).kind).toBe("config");
    expect((caught as ProviderError).message).toBe(`No ${v.display} key configured: add one with POST /api/v1/byok`);
  });

  it("401 → an auth error naming the provider", async () => {
    const { ctx } = await withDouble(v.unauthorized);
    const e = await providerError(() => v.run(ctx, new AbortController().signal));
    expect(e.kind).toBe("auth");
    expect(e.message).toBe(`${v.display} rejected the API key (401): check the key saved with POST /api/v1/byok`);
  });

  it("5xx → unavailable, with the vendor's reason", async () => {
    const { ctx } = await withDouble(v.failing);
    const e = await providerError(() => v.run(ctx, new AbortController().signal));
    expect(e.kind).toBe("unavailable");
    expect(e.message).toMatch(new RegExp(`^${v.display} is failing \\(50[03]\\): \\w`));
  });

  it("a body not in the vendor's format → bad_response", async () => {
    const { ctx } = await withDouble(v.malformed);
    const e = await providerError(() => v.run(ctx, new AbortController().signal));
    expect(e.kind).toBe("bad_response");
    expect(e.message.startsWith(v.display)).toBe(true);
  });

  it("an error body that quotes the key back is shown with the key masked", async () => {
    const { ctx } = await withDouble(v.echoesKey);
    const e = await providerError(() => v.run(ctx, new AbortController().signal));
    expect(e.kind).toBe("bad_response");
    expect(e.message).toContain("(400): ");
    expect(e.message).toContain("***");
  });

  it("a server that never answers → timeout within the configured bound", async () => {
    const { d, ctx } = await withDouble(() => undefined, { [v.boundKey]: 400 });
    const t0 = performance.now();
    const e = await providerError(() => v.run(ctx, new AbortController().signal));
    const elapsed = performance.now() - t0;
    expect(e.kind).toBe("timeout");
    expect(e.message).toMatch(new RegExp(`^${v.display} .* 0\\.4 s$`));
    expect(elapsed).toBeGreaterThanOrEqual(390);
    expect(elapsed).toBeLessThan(1500);
    // Giving up also hangs up on the vendor, so nothing keeps a socket open per failed turn.
    await expect.poll(() => d.closedResponses, { timeout: 2000 }).toBe(1);
  });

  it("an unreachable endpoint → unavailable", async () => {
    const { d, ctx } = await withDouble(() => undefined);
    await d.close();
    const e = await providerError(() => v.run(ctx, new AbortController().signal));
    expect(e.kind).toBe("unavailable");
    expect(e.message).toMatch(new RegExp(`^${v.display} could not be reached: .*ECONNREFUSED`));
  });

  it("an already cancelled request sends nothing", async () => {
    const { d, ctx } = await withDouble(() => undefined);
    const ac = new AbortController();
    ac.abort();
    const e = await providerError(() => v.run(ctx, ac.signal));
    expect(e.kind).toBe("aborted");
    expect(d.seen).toHaveLength(0);
  });
});

describe("cancellation and stalls", () => {
  it("cancelling an STT request mid-flight rejects at once and drops the connection", async () => {
    const dg = await startDouble(() => undefined);
    const stt = createStt(
      { provider: "deepgram", model: "nova-3", language: "en" },
      context({ deepgram: { base_url: dg.base } }),
    );
    const ac = new AbortController();
    const pending = providerError(() =>
      stt.transcribe({ audio: JFK.samples, sampleRateHz: 16000, language: "en", signal: ac.signal }),
    );
    await expect.poll(() => dg.seen.length).toBe(1);
    const t0 = performance.now();
    ac.abort();
    const e = await pending;
    expect(e.kind).toBe("aborted");
    expect(performance.now() - t0).toBeLessThan(200);
    await expect.poll(() => dg.closedResponses, { timeout: 2000 }).toBe(1);
  });

  for (const vendor of ["openai", "elevenlabs"] as const) {
    it(`aborting ${vendor} speech mid-stream stops reading and closes the stream`, async () => {
      let written = 0;
      // Endless speech: the double keeps writing until the client goes away.
      const d = await startDouble(async (_s, res) => {
        res.writeHead(200, { "Content-Type": "audio/pcm", "Transfer-Encoding": "chunked" });
        while (!res.destroyed) {
          res.write(Buffer.alloc(640, 1));
          written++;
          await sleep(5);
        }
      });
      const tts = createTts({ provider: vendor, voice_id: "alloy" }, context({ [vendor]: { base_url: d.base } }));
      const ac = new AbortController();
      let received = 0;
      let afterAbort = 0;
      const e = await providerError(async () => {
        for await (const chunk of tts.synthesize({ text: "A long answer", signal: ac.signal })) {
          if (ac.signal.aborted) afterAbort++;
          received += chunk.length;
          if (received >= 3200) ac.abort();
        }
      });
      expect(e.kind).toBe("aborted");
      expect(afterAbort).toBe(0);
      await expect.poll(() => d.closedResponses, { timeout: 2000 }).toBe(1);
      const stoppedAt = written;
      await sleep(100);
      expect(written).toBe(stoppedAt);
    });
  }

  it("a consumer that stops early (barge-in) closes the stream without an error", async () => {
    const d = await startDouble(async (_s, res) => {
      res.writeHead(200, { "Content-Type": "audio/pcm", "Transfer-Encoding": "chunked" });
      while (!res.destroyed) {
        res.write(Buffer.alloc(640));
        await sleep(5);
      }
    });
    const tts = createTts({ provider: "elevenlabs", voice_id: "v" }, context({ elevenlabs: { base_url: d.base } }));
    let n = 0;
    for await (const _ of tts.synthesize({ text: "Hello", signal: new AbortController().signal })) if (++n === 3) break;
    await expect.poll(() => d.closedResponses, { timeout: 2000 }).toBe(1);
  });

  it("speech that stalls after the first audio → timeout naming the gap", async () => {
    const d = await startDouble((_s, res) => {
      res.writeHead(200, { "Content-Type": "audio/pcm", "Transfer-Encoding": "chunked" });
      res.write(Buffer.alloc(3200));
    });
    const tts = createTts(
      { provider: "openai", voice_id: "alloy" },
      context({ openai: { base_url: d.base, tts_first_byte_timeout_ms: 300 } }),
    );
    let got = 0;
    const e = await providerError(async () => {
      for await (const c of tts.synthesize({ text: "Hi", signal: new AbortController().signal })) got += c.length;
    });
    expect(got).toBe(1600);
    expect(e.kind).toBe("timeout");
    expect(e.message).toBe("OpenAI stopped sending audio for 0.3 s");
  });
});

describe.concurrent("default time bounds", () => {
  it("STT gives up on a silent Deepgram after 15 s", async () => {
    const dg = await startDouble(() => undefined, { track: false });
    const stt = createStt(
      { provider: "deepgram", model: "nova-3", language: "en" },
      context({ deepgram: { base_url: dg.base } }),
    );
    const t0 = performance.now();
    const e = await providerError(() =>
      stt.transcribe({ audio: JFK.samples, sampleRateHz: 16000, language: "en", signal: new AbortController().signal }),
    ).finally(() => dg.close());
    expect(e.message).toBe("Deepgram did not answer within 15 s");
    expect(performance.now() - t0).toBeGreaterThanOrEqual(14_900);
  }, 25_000);

  it("TTS gives up on ElevenLabs after 10 s without a first byte", async () => {
    const el = await startDouble(() => undefined, { track: false });
    const tts = createTts({ provider: "elevenlabs", voice_id: "v" }, context({ elevenlabs: { base_url: el.base } }));
    const t0 = performance.now();
    const e = await providerError(() => collect(tts, "Hello")).finally(() => el.close());
    expect(e.message).toBe("ElevenLabs sent no audio within 10 s");
    expect(performance.now() - t0).toBeGreaterThanOrEqual(9_900);
  }, 25_000);
});

// ---------------------------------------------------------------------------------------------------
// Local Whisper: the real whisper.cpp binding (smart-whisper, built by `npm ci`), with whisper.cpp's own
// weightless tiny.en test fixture: it loads and runs, but cannot recognise anything.

describe("Whisper (whisper.cpp on this machine)", () => {
  const FIXTURE = join(SHARED, "models", "for-tests-ggml-tiny.en.bin");
  /** A directory holding a real ggml-tiny.en.bin, for machines that have one. */
  const REAL_MODELS = process.env.VOICEDOCK_WHISPER_MODELS_DIR ?? "";
  let dir = "";
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "voicedock-whisper-"));
    copyFileSync(FIXTURE, join(dir, "ggml-tiny.en.bin"));
    copyFileSync(join(AUDIO, "en-jfk.wav"), join(dir, "ggml-not-a-model.bin"));
    return () => rmSync(dir, { recursive: true, force: true });
  });
  const models = (modelsDir: string): ProviderContext => ({
    keys: { apiKey: () => null, config: () => ({}) },
    modelsDir,
  });

  it("a model that is not downloaded → the documented message", () => {
    const e = (() => {
      try {
        createStt({ provider: "whisper", model: "base.en", language: "en" }, models(dir));
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(ProviderError);
    expect((e as ProviderError).kind).toBe("config");
    expect((e as ProviderError).message).toBe(
      "Whisper model 'base.en' is not downloaded: download it with POST /api/v1/models/whisper-base.en/download",
    );
  });

  it("a model name that would leave the models directory is refused", () => {
    expect(() => createStt({ provider: "whisper", model: "../../etc/passwd", language: "en" }, models(dir))).toThrow(
      /not a valid model name/,
    );
  });

  it("a file without weights (whisper.cpp's header-and-vocabulary fixture) is refused instead of transcribing everything as silence", () => {
    const e = (() => {
      try {
        createStt({ provider: "whisper", model: "tiny.en", language: "en" }, models(dir));
      } catch (err) {
        return err;
      }
    })() as ProviderError;
    expect(e.kind).toBe("config");
    expect(e.message).toMatch(
      /^Whisper model 'tiny\.en' has no weights \(0\.6 MB.*download it again with POST \/api\/v1\/models\/whisper-tiny\.en\/download$/,
    );
  });

  it("the native binding (installed by npm ci) loads whisper.cpp's tiny.en header and vocabulary off the event loop, and runs a job", async () => {
    const stt = new WhisperStt({ modelsDir: dir, model: "tiny.en", minModelBytes: 0, threads: 1 });
    expect(stt).toMatchObject({ provider: "whisper", local: true, sampleRateHz: 16000 });
    let ticks = 0;
    const ticker = setInterval(() => {
      ticks++;
    }, 5);
    await stt.ready();
    clearInterval(ticker);
    expect(ticks).toBeGreaterThan(0);
    // With no weights whisper.cpp hears nothing, but the whole path (float conversion, native job) runs.
    const r = await stt.transcribe({
      audio: JFK.samples.subarray(0, 16000),
      sampleRateHz: 16000,
      language: "en",
      signal: new AbortController().signal,
    });
    expect(r.text).toBe("");
    stt.close();
  });

  it("a file that is not a whisper.cpp model is refused before whisper.cpp sees it (it would take the process down)", () => {
    const e = (() => {
      try {
        new WhisperStt({ modelsDir: dir, model: "not-a-model", minModelBytes: 0 });
      } catch (err) {
        return err;
      }
    })() as ProviderError;
    expect(e).toBeInstanceOf(ProviderError);
    expect(e.kind).toBe("config");
    expect(e.message).toMatch(
      /^Whisper model 'not-a-model' is not a whisper\.cpp model file \(no ggml header\): download it again/,
    );
  });

  it("cancelling a running recognition rejects at once, though whisper.cpp finishes its job in the background", async () => {
    const stt = new WhisperStt({ modelsDir: dir, model: "tiny.en", minModelBytes: 0, threads: 1 });
    await stt.ready();
    const ac = new AbortController();
    const pending = providerError(() =>
      stt.transcribe({ audio: JFK.samples, sampleRateHz: 16000, language: "en", signal: ac.signal }),
    );
    await sleep(5);
    const t0 = performance.now();
    ac.abort();
    const e = await pending;
    expect(e.kind).toBe("aborted");
    expect(performance.now() - t0).toBeLessThan(100);
    stt.close();
  });

  it.skipIf(!existsSync(join(REAL_MODELS, "ggml-tiny.en.bin")))(
    "recognises the JFK recording (skipped unless VOICEDOCK_WHISPER_MODELS_DIR holds a real ggml-tiny.en.bin: these machines cannot download Whisper weights)",
    async () => {
      const stt = createStt({ provider: "whisper", model: "tiny.en", language: "en" }, models(REAL_MODELS));
      const r = await stt.transcribe({
        audio: JFK.samples,
        sampleRateHz: 16000,
        language: "en",
        signal: new AbortController().signal,
      });
      expect(r.text.toLowerCase()).toContain("ask not what your country can do for you");
      stt.close?.();
    },
  );
});

describe("where a saved key may go (issue #13 §6)", () => {
  // The assistant names a server that was not saved with the key: a stand-in for someone else's server.
  for (const [label, make, provider] of [
    [
      "Deepgram STT",
      (base: string, ctx: ProviderContext) => createStt({ provider: "deepgram", base_url: base }, ctx),
      "deepgram",
    ],
    [
      "OpenAI STT",
      (base: string, ctx: ProviderContext) => createStt({ provider: "openai", base_url: base }, ctx),
      "openai",
    ],
    [
      "OpenAI TTS",
      (base: string, ctx: ProviderContext) => createTts({ provider: "openai", voice_id: "alloy", base_url: base }, ctx),
      "openai",
    ],
    [
      "ElevenLabs TTS",
      (base: string, ctx: ProviderContext) => createTts({ provider: "elevenlabs", voice_id: "v", base_url: base }, ctx),
      "elevenlabs",
    ],
    [
      "OpenAI LLM",
      (base: string, ctx: ProviderContext) =>
        createLlm({ provider: "openai", model: "gpt-4o-mini", base_url: base }, ctx),
      "openai",
    ],
  ] as const) {
    it(`${label}: a base_url neither official nor saved with the key gets no key, and says how to allow it`, () => {
      const thief = "https://collector.example.net/v1";
      let caught: unknown;
      try {
        make(thief, context({ [provider]: { base_url: "https://gateway.example.org/v1" } }));
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(ProviderError);
      expect((caught as Error).message).toMatch(
        /^The saved .+ key is not sent to (stt|tts|llm)_config\.base_url https:\/\/collector\.example\.net\/v1: it is not .+'s official endpoint nor the base_url saved with the key/,
      );
      expect((caught as Error).message).toContain(`POST /api/v1/byok {"provider": "${provider}"`);
      expect((caught as Error).message).not.toContain(KEYS[provider]);
    });
  }

  it("the official host and the saved base_url get the key; a loopback LLM not saved with it gets none", async () => {
    expect(isOfficialEndpoint("openai", "https://api.openai.com/v1")).toBe(true);
    expect(isOfficialEndpoint("openai", "http://api.openai.com/v1")).toBe(false);
    expect(isOfficialEndpoint("openai", "https://api.openai.com.evil.example/v1")).toBe(false);
    expect(isOfficialEndpoint("deepgram", "https://api.eu.deepgram.com/v1")).toBe(true);
    const keys = context({ openai: { base_url: "https://gateway.example.org/v1/" } }).keys;
    expect(routeKey(keys, "openai", undefined)).toEqual({
      baseUrl: "https://gateway.example.org/v1/",
      apiKey: KEYS.openai,
      withheld: false,
    });
    expect(routeKey(keys, "openai", "https://gateway.example.org/v1")).toMatchObject({ apiKey: KEYS.openai });
    expect(routeKey(keys, "openai", "https://api.openai.com/v1")).toMatchObject({ apiKey: KEYS.openai });
    expect(routeKey(keys, "openai", "https://gateway.example.org/v2")).toMatchObject({ apiKey: null, withheld: true });

    // A local LLM server named only by the assistant: it works, keyless, and never sees the saved key.
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(String(req.headers.authorization));
      res.writeHead(500).end("{}");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const llm = createLlm(
        { provider: "openai", model: "m", base_url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1` },
        context(),
      );
      await (async () => {
        for await (const _ of llm.stream({
          messages: [{ role: "user", content: "hi" }],
          signal: AbortSignal.timeout(3000),
        })) {
          /* drain */
        }
      })().catch(() => undefined);
      expect(seen.length).toBeGreaterThan(0);
      for (const auth of seen) expect(auth).not.toContain(KEYS.openai);
    } finally {
      server.close();
    }
  });
});
