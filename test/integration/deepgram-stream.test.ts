/**
 * Deepgram's live transcription (`wss://api.deepgram.com/v1/listen`) against a loopback double that
 * speaks its documented wire format: Token auth on the upgrade, raw linear16 in binary frames, `Results`
 * messages (is_final, from_finalize; with `interim_results=true` also non-final ones, unformatted as
 * Deepgram's interims are), and the KeepAlive / Finalize / CloseStream control messages. Deepgram itself
 * cannot be reached from these machines.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { WebSocketServer, type WebSocket } from "ws";
import { readWav } from "../support/audio.js";
import { SHARED } from "../support/kamailio.js";
import { createStt, type ProviderContext } from "../../main/engine/providers/index.js";
import { isStreaming, type SttStream } from "../../main/engine/providers/stt/types.js";
import { DeepgramStt } from "../../main/engine/providers/stt/deepgram.js";

const KEY = "dg_live_test_7c2e9a4b1f0d3e5a";
const JFK = readWav(join(SHARED, "audio", "en-jfk.wav")).samples; // 16 kHz
const SEGMENTS = [
  "And so, my fellow Americans,",
  "ask not what your country can do for you,",
  "ask what you can do for your country.",
];
const BYTES_PER_SECOND = 32_000;
/** With interim results on, the double sends one every quarter second of audio until the final. */
const INTERIM_BYTES = BYTES_PER_SECOND / 4;
/** Deepgram's interim for a stretch: the first words heard so far, lower case, without smart_format's punctuation. */
const interimOf = (segment: string, quarters: number) =>
  segment
    .toLowerCase()
    .replace(/[^a-z ]/g, "")
    .split(" ")
    .slice(0, 2 * quarters)
    .join(" ");

interface Live {
  query: URLSearchParams;
  headers: IncomingMessage["headers"];
  audio: Buffer[];
  control: string[];
  socket: WebSocket;
}
interface Double {
  url: string;
  sessions: Live[];
  server: Server;
  close(): Promise<void>;
}
const doubles: Double[] = [];
afterEach(async () => {
  await Promise.all(doubles.splice(0).map((d) => d.close()));
});

/** Deepgram segments on its own every second of audio; Finalize flushes the rest with from_finalize. */
async function startDeepgram(): Promise<Double> {
  const server = createServer();
  const wss = new WebSocketServer({ noServer: true });
  const d: Double = { url: "", sessions: [], server, close: async () => undefined };
  server.on("upgrade", (req, socket: Socket, head) => {
    if (req.headers.authorization !== `Token ${KEY}`) {
      const body = JSON.stringify({
        err_code: "INVALID_AUTH",
        err_msg: `Invalid credentials (got ${req.headers.authorization}).`,
        request_id: "r-1",
      });
      socket.end(
        `HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const live: Live = {
        query: new URL(req.url!, "http://x").searchParams,
        headers: req.headers,
        audio: [],
        control: [],
        socket: ws,
      };
      d.sessions.push(live);
      let bytes = 0;
      let said = 0;
      let segment = 0;
      let interims = 0;
      const interimResults = live.query.get("interim_results") === "true";
      const interim = () => {
        interims++;
        ws.send(
          JSON.stringify({
            type: "Results",
            channel_index: [0, 1],
            duration: (bytes - said) / BYTES_PER_SECOND,
            start: said / BYTES_PER_SECOND,
            is_final: false,
            speech_final: false,
            from_finalize: false,
            channel: {
              alternatives: [
                { transcript: interimOf(SEGMENTS[segment % SEGMENTS.length], interims), confidence: 0.6, words: [] },
              ],
            },
            metadata: { request_id: "r-2", model_uuid: "m-1" },
          }),
        );
      };
      const result = (fromFinalize: boolean) => {
        const transcript = SEGMENTS[segment % SEGMENTS.length];
        segment++;
        interims = 0;
        const start = said / BYTES_PER_SECOND;
        said = bytes;
        ws.send(
          JSON.stringify({
            type: "Results",
            channel_index: [0, 1],
            duration: bytes / BYTES_PER_SECOND - start,
            start,
            is_final: true,
            speech_final: fromFinalize,
            from_finalize: fromFinalize,
            channel: { alternatives: [{ transcript, confidence: 0.9, words: [] }] },
            metadata: {
              request_id: "r-2",
              model_info: { name: "general-nova-3", version: "2024", arch: "nova-3" },
              model_uuid: "m-1",
            },
          }),
        );
      };
      ws.on("message", (data, isBinary) => {
        if (isBinary) {
          live.audio.push(data as Buffer);
          bytes += (data as Buffer).length;
          if (bytes - said >= BYTES_PER_SECOND) result(false);
          else if (interimResults && Math.floor((bytes - said) / INTERIM_BYTES) > interims) interim();
          return;
        }
        const msg = JSON.parse(data.toString()) as { type: string };
        live.control.push(msg.type);
        if (msg.type === "Finalize") result(true);
        if (msg.type === "CloseStream") {
          ws.send(
            JSON.stringify({
              type: "Metadata",
              request_id: "r-2",
              sha256: createHash("sha256").update(Buffer.concat(live.audio)).digest("hex"),
              duration: bytes / BYTES_PER_SECOND,
              channels: 1,
            }),
          );
          ws.close(1000);
        }
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  d.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  d.close = () =>
    new Promise((r) => {
      for (const c of wss.clients) c.terminate();
      server.closeAllConnections();
      server.close(() => r());
    });
  doubles.push(d);
  return d;
}

/** The key, saved together with the double's URL (a saved key goes nowhere else: providers/key-route.ts). */
function context(key: string | null = KEY, baseUrl?: string): ProviderContext {
  return {
    keys: {
      apiKey: (p) => (p === "deepgram" ? key : null),
      config: (p) => (p === "deepgram" && baseUrl ? { base_url: baseUrl } : {}),
    },
    modelsDir: "/nonexistent",
  };
}

function open(d: Double, config: Record<string, unknown> = {}, key: string | null = KEY) {
  const stt = createStt({ provider: "deepgram", model: "nova-3", base_url: d.url, ...config }, context(key, d.url));
  expect(isStreaming(stt)).toBe(true);
  const errors: Error[] = [];
  const stream = (
    stt as typeof stt & { stream: (o: { language: string; onError: (e: Error) => void }) => SttStream }
  ).stream({ language: "en", onError: (e) => errors.push(e) });
  return { stream, errors };
}

/** Writes audio the way the pipeline does: 20 ms frames at 16 kHz. */
function speak(stream: SttStream, pcm: Int16Array): void {
  for (let i = 0; i < pcm.length; i += 320) stream.write(pcm.subarray(i, Math.min(i + 320, pcm.length)));
}

const until = async (fn: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error("condition not met");
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe("Deepgram live streaming", () => {
  it("sends the call's audio as it comes and gets each turn's text from Deepgram's finals plus a Finalize flush", async () => {
    const d = await startDeepgram();
    const { stream, errors } = open(d, { keyterms: ["Americans"] });
    const first = JFK.subarray(0, 16000 * 2.5);
    speak(stream, first); // written before the socket is open: queued, then sent in order
    const t0 = performance.now();
    const turn1 = await stream.finish(0, 0, 2000);
    expect(performance.now() - t0).toBeLessThan(1000);
    // Two finals Deepgram made on its own (one per second of audio), then the flush.
    expect(turn1.text).toBe(SEGMENTS.join(" "));
    expect(turn1.confidence).toBeCloseTo(0.9);

    const live = d.sessions[0];
    expect(live.headers.authorization).toBe(`Token ${KEY}`);
    expect(Object.fromEntries(live.query)).toMatchObject({
      model: "nova-3",
      language: "en",
      encoding: "linear16",
      sample_rate: "16000",
      channels: "1",
      interim_results: "false",
      endpointing: "false",
      smart_format: "true",
    });
    expect(live.query.getAll("keyterm")).toEqual(["Americans"]);
    expect(Buffer.concat(live.audio).equals(Buffer.from(first.buffer, first.byteOffset, first.byteLength))).toBe(true);
    expect(live.control).toEqual(["Finalize"]);

    // The next turn gets only its own words.
    speak(stream, JFK.subarray(16000 * 3, 16000 * 3.5));
    expect((await stream.finish(0, 0, 2000)).text).toBe(SEGMENTS[0]);
    // Nothing said since: no Finalize, an empty answer at once.
    expect(await stream.finish(0, 0, 2000)).toEqual({ text: "" });
    expect(live.control).toEqual(["Finalize", "Finalize"]);

    stream.close();
    await until(() => live.control.includes("CloseStream"));
    await until(() => live.socket.readyState === live.socket.CLOSED);
    expect(errors).toEqual([]);
  });

  it("with interim results on, Deepgram's non-final text is the turn's partial; the turn's text is still its finals alone", async () => {
    const d = await startDeepgram();
    const errors: Error[] = [];
    const partials: string[] = [];
    const stt = createStt({ provider: "deepgram", model: "nova-3", base_url: d.url }, context(KEY, d.url));
    const stream = (stt as DeepgramStt).stream({
      language: "en",
      onError: (e) => errors.push(e),
      onPartial: (t) => partials.push(t),
    });
    // 2.5 s of the caller: two finals Deepgram made on its own, interims in between.
    speak(stream, JFK.subarray(0, 16000 * 2.5));
    await until(() => partials.length === 10);
    expect(Object.fromEntries(d.sessions[0].query)).toMatchObject({ interim_results: "true", endpointing: "false" });
    const [a, b] = SEGMENTS;
    expect(partials).toEqual([
      "and so",
      "and so my fellow",
      "and so my fellow americans",
      a, // the final replaces its interims
      `${a} ask not`,
      `${a} ask not what your`,
      `${a} ask not what your country can`,
      `${a} ${b}`,
      `${a} ${b} ask what`,
      `${a} ${b} ask what you can`,
    ]);
    // The turn ends: its text is the three finals, exactly as without interims; the flush shows no partial.
    const turn = await stream.finish(0, 0, 2000);
    expect(turn.text).toBe(SEGMENTS.join(" "));
    expect(turn.text).not.toContain("americans"); // no interim word leaks into it
    await new Promise((r) => setTimeout(r, 100));
    expect(partials).toHaveLength(10);
    // The next turn's partials start from its own words only.
    speak(stream, JFK.subarray(16000 * 3, 16000 * 3.5));
    await until(() => partials.length === 12);
    expect(partials.slice(10)).toEqual(["and so", "and so my fellow"]);
    expect((await stream.finish(0, 0, 2000)).text).toBe(SEGMENTS[0]);
    stream.close();
    expect(errors).toEqual([]);
  });

  it("keeps an idle stream open with KeepAlive (Deepgram drops a stream after 10 s without data)", async () => {
    const d = await startDeepgram();
    // Every 5 s by default; a shorter interval so the test need not wait that long.
    const errors: Error[] = [];
    const idle = new DeepgramStt({ apiKey: KEY, baseUrl: d.url, keepAliveMs: 150 }).stream({
      language: "en",
      onError: (e) => errors.push(e),
    });
    await until(() => d.sessions.length === 1);
    await until(() => d.sessions[0].control.filter((c) => c === "KeepAlive").length >= 2, 3000);
    // Audio counts as data: no KeepAlive while the caller talks.
    const before = d.sessions[0].control.length;
    for (let i = 0; i < 15; i++) {
      speak(idle, JFK.subarray(i * 320, (i + 1) * 320));
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(d.sessions[0].control.slice(before)).toEqual([]);
    idle.close();
    expect(errors).toEqual([]);
  });

  it("a rejected key fails the stream with an auth error that does not quote the key", async () => {
    const d = await startDeepgram();
    const { errors } = open(d, {}, "dg_wrong_key_0123456789");
    await until(() => errors.length > 0);
    expect(errors[0].message).toBe("Deepgram rejected the API key (401): check the key saved with POST /api/v1/byok");
    expect(errors[0].message).not.toContain("dg_wrong_key_0123456789");
  });

  it("Deepgram closing the stream mid-call reports its code and reason, and a waiting turn still resolves", async () => {
    const d = await startDeepgram();
    const { stream, errors } = open(d);
    speak(stream, JFK.subarray(0, 16000 * 0.5));
    await until(() => d.sessions.length === 1 && d.sessions[0].audio.length > 0);
    d.sessions[0].socket.close(1011, "NET-0001: no audio received within the timeout window");
    await until(() => errors.length > 0);
    expect(errors[0].message).toBe(
      "Deepgram closed the stream (1011: NET-0001: no audio received within the timeout window)",
    );
    expect(await stream.finish(0, 0, 2000)).toEqual({ text: "" });
  });

  it("without a saved key, the call fails with the documented message before connecting", () => {
    expect(() => createStt({ provider: "deepgram" }, context(null))).toThrow(
      "No Deepgram key configured: add one with POST /api/v1/byok",
    );
  });
});
