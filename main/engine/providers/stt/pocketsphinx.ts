import { createWriteStream, mkdtempSync, rmSync, type WriteStream } from "node:fs";
import { createInterface } from "node:readline";
import { PassThrough } from "node:stream";
import { rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { registerStt } from "../index.js";
import { spawner, type RemoteChild } from "../../spawner/spawner.js";
import { ProviderError } from "../errors.js";
import type { StreamingSpeechToText, SttRequest, SttResult, SttStream, SttStreamOptions } from "./types.js";
import { StreamSegments, TimedTranscriptParser } from "./stream-segments.js";

const BINARY = process.env.VOICEDOCK_POCKETSPHINX ?? "pocketsphinx_continuous";

let dir: string | null = null;
const tempDir = (): string => (dir ??= mkdtempSync(join(tmpdir(), "voicedock-stt-")));

/**
 * CMU PocketSphinx (Debian's `pocketsphinx` + `pocketsphinx-en-us`) as a separate process: offline,
 * English only, weak on free speech but dependable on clear speech, and decoding off our event loop.
 * Batch: one process per utterance, raw 16 kHz PCM in a file. Streaming: one process per call, fed
 * through a named pipe (PocketSphinxStream). One line per segment comes out.
 */
export class PocketSphinxStt implements StreamingSpeechToText {
  readonly provider = "pocketsphinx";
  readonly local = true;
  readonly program = BINARY;
  readonly sampleRateHz = 16000 as const;

  constructor(private readonly timeoutMs = 30_000) {}

  async transcribe(req: SttRequest): Promise<SttResult> {
    // PocketSphinx fopen()s its input, and Node's stdio pipes are sockets it cannot open: use a private file.
    const file = join(tempDir(), `${randomUUID()}.raw`);
    const audio = withHighBand(req.audio, req.sampleRateHz);
    await writeFile(file, Buffer.from(audio.buffer, audio.byteOffset, audio.byteLength), { mode: 0o600 });
    try {
      return await this.run(file, req);
    } finally {
      await rm(file, { force: true });
    }
  }

  /** One recognizer for the whole call, fed in real time: see PocketSphinxStream. */
  stream(opts: SttStreamOptions): SttStream {
    return new PocketSphinxStream(opts.onError, opts.onPartial);
  }

  private run(file: string, req: SttRequest): Promise<SttResult> {
    return new Promise((resolve, reject) => {
      // Through the spawner helper: a fork of the engine itself would stall the media thread (docs/decisions.md).
      const child = spawner.spawn(BINARY, [
        "-infile",
        file,
        "-samprate",
        String(req.sampleRateHz),
        "-logfn",
        "/dev/null",
      ]);
      let out = "";
      let settled = false;
      const finish = (err: ProviderError | null) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.signal.removeEventListener("abort", onAbort);
        if (err) {
          child.kill("SIGKILL");
          reject(err);
          return;
        }
        resolve({
          text: out
            .split("\n")
            .map((l) => l.trim())
            .filter(Boolean)
            .join(" "),
        });
      };
      const onAbort = () => finish(new ProviderError(this.provider, "aborted", "PocketSphinx recognition cancelled"));
      const timer = setTimeout(
        () =>
          finish(
            new ProviderError(
              this.provider,
              "timeout",
              `PocketSphinx did not finish within ${this.timeoutMs / 1000} s`,
            ),
          ),
        this.timeoutMs,
      );
      req.signal.addEventListener("abort", onAbort, { once: true });
      // ESPAWNER: the helper that ran it was lost (it restarts on next use), a passing failure, not configuration.
      child.on("error", (err: NodeJS.ErrnoException) =>
        finish(
          new ProviderError(
            this.provider,
            err.code === "ESPAWNER" ? "unavailable" : "config",
            err.code === "ENOENT"
              ? "PocketSphinx is not installed: install the Debian packages pocketsphinx and pocketsphinx-en-us, or choose another stt_config.provider"
              : `PocketSphinx could not start: ${err.message}`,
          ),
        ),
      );
      child.stdout.setEncoding("utf8").on("data", (d: string) => {
        out += d;
      });
      child.on("close", (code) =>
        finish(
          code === 0 ? null : new ProviderError(this.provider, "unavailable", `PocketSphinx exited with code ${code}`),
        ),
      );
    });
  }
}

/**
 * PocketSphinx's en-us model was trained on 16 kHz speech and hears almost nothing in telephone audio
 * resampled to 16 kHz, whose 4–8 kHz band is empty (Flite's 8 kHz voice came out as "hm"). Filling that
 * band with faint noise (−48 dB RMS) brings recognition back to near word-exact on clear speech; measured
 * in docs/decisions.md. The noise is made once: low-passed white noise shifted up by fs/2.
 */
let noise: Int16Array | null = null;
function highBandNoise(): Int16Array {
  if (noise) return noise;
  const n = 16000;
  let seed = 12345;
  const white = new Float64Array(n + 64).map(() => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 0x7fffffff - 1;
  });
  const taps = 63;
  const h = Array.from({ length: taps }, (_, i) => {
    const x = i - (taps - 1) / 2;
    const sinc = x === 0 ? 0.5 : Math.sin(Math.PI * 0.5 * x) / (Math.PI * x);
    return sinc * (0.54 - 0.46 * Math.cos((2 * Math.PI * i) / (taps - 1)));
  });
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    let acc = 0;
    for (let k = 0; k < taps; k++) acc += h[k] * white[i + k];
    out[i] = Math.round(acc * (i % 2 ? -1 : 1) * 260);
  }
  noise = out;
  return out;
}

/**
 * PocketSphinx kept running for a whole call: the caller's speech segments (16 kHz, high band filled) go
 * into a named pipe as they are spoken, and at the end of a turn a burst of silence makes its own voice
 * detector close the segment and print its text. It decodes while the caller talks, so the text is there
 * a few hundred ms after the turn ends (the batch path pays ~0.5 s of model load plus the whole decode).
 * `stdbuf -oL` makes its stdout line-buffered; -vad_postspeech 15 closes a segment after 0.15 s of
 * silence, so by the time the pipeline decides (preemptively, after 0.2 s) the text is usually out
 * already (bench/README.md: STT wait 217 → 0.2 ms p50 with 4 calls). A caller's pause inside a turn may
 * then close a segment early; the turn's text is every segment since it began. `-time yes` gives each
 * segment's place in the audio, which is how a segment finds its turn (stream-segments.ts).
 */
/**
 * Enough trailing silence for PocketSphinx's detector to end a segment (-vad_postspeech 15 = 0.15 s). It
 * reads its input in 128 ms blocks and its noise estimate follows what it is fed (speech and these
 * bursts only); with 0.35 s, 2 of 8 turns of "has never been surpassed" kept their segment open until the
 * caller's next words (the turn answered after the 2 s timeout, with only what came before); with 0.7 s,
 * none of 8. It is written faster than real time, so the longer burst costs no wait.
 */
const SILENCE = new Int16Array(16000 * 0.7);

class PocketSphinxStream implements SttStream {
  private child: RemoteChild | null = null;
  private readonly fifo: string;
  /** Audio written before the pipe exists waits here; then it flows into the pipe. */
  private readonly out = new PassThrough();
  private pipe: WriteStream | null = null;
  private readonly segments: StreamSegments;
  private closed = false;
  private noiseAt = 0;

  /**
   * `onPartial`: each segment of the open turn as it comes out (a pause of 0.15 s closes one), joined;
   * the turn's own text still comes from `finish`.
   */
  constructor(
    private readonly onError: (err: Error) => void,
    onPartial?: (text: string) => void,
  ) {
    this.segments = new StreamSegments(16000, onPartial);
    this.fifo = join(tempDir(), `${randomUUID()}.pcm`);
    // The helper makes the pipe: no spawnSync blocking our loop, no fork of the engine.
    spawner.mkfifo(this.fifo, 0o600).then(
      () => this.open(),
      (err: Error) =>
        this.fail(
          new ProviderError(
            "pocketsphinx",
            "unavailable",
            `Could not create a pipe for PocketSphinx (mkfifo failed: ${err.message})`,
          ),
        ),
    );
  }

  private open(): void {
    if (this.closed) {
      rmSync(this.fifo, { force: true });
      return;
    }
    const child = spawner.spawn("stdbuf", [
      "-oL",
      BINARY,
      "-infile",
      this.fifo,
      "-samprate",
      "16000",
      "-vad_postspeech",
      "15",
      "-time",
      "yes",
      "-logfn",
      "/dev/null",
    ]);
    this.child = child;
    child.on("error", (err) => this.fail(err));
    child.on("exit", (code) => {
      if (!this.closed) this.fail(new Error(`PocketSphinx stopped (exit code ${code})`));
    });
    const parser = new TimedTranscriptParser(16000, (segment) => this.segments.add(segment));
    createInterface({ input: child.stdout }).on("line", (line) => parser.line(line));
    // Opening a FIFO for writing waits for the reader; that happens on libuv's pool, not on our loop.
    this.pipe = createWriteStream(this.fifo);
    this.pipe.on("error", (err) => this.fail(err));
    this.out.pipe(this.pipe);
  }

  private fail(err: Error): void {
    if (this.closed) return;
    this.close();
    this.onError(new ProviderError("pocketsphinx", "unavailable", `PocketSphinx stopped listening: ${err.message}`));
  }

  write(pcm: Int16Array): void {
    if (this.closed) return;
    // More than a few seconds queued means the recognizer is stuck: drop audio rather than grow memory.
    // Dropped audio is not in the recognizer's timeline: positions count only what it was given.
    if (this.out.writableLength > 160_000) return;
    const noise = highBandNoise();
    const buf = Buffer.allocUnsafe(pcm.length * 2);
    for (let i = 0; i < pcm.length; i++) {
      const v = pcm[i] + noise[this.noiseAt];
      this.noiseAt = (this.noiseAt + 1) % noise.length;
      buf.writeInt16LE(v > 32767 ? 32767 : v < -32768 ? -32768 : v, 2 * i);
    }
    this.out.write(buf);
    this.segments.wrote(pcm.length, performance.now());
  }

  async finish(speechStartAt: number, speechEndAt: number, timeoutMs: number): Promise<SttResult> {
    const turn = this.segments.take(speechStartAt, speechEndAt, timeoutMs);
    // Our turn ended: close PocketSphinx's segment at once with silence, faster than real time.
    this.write(SILENCE);
    return turn;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.segments.close();
    this.out.destroy();
    this.pipe?.destroy();
    this.child?.kill("SIGKILL");
    rmSync(this.fifo, { force: true });
  }
}

function withHighBand(audio: Int16Array, rate: number): Int16Array {
  if (rate !== 16000) return audio;
  const n = highBandNoise();
  const out = new Int16Array(audio.length);
  for (let i = 0; i < audio.length; i++) {
    const v = audio[i] + n[i % n.length];
    out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  return out;
}

registerStt("pocketsphinx", () => new PocketSphinxStt());
