import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { registerStt } from "../index.js";
import { ProviderError } from "../errors.js";
import type { SpeechToText, SttRequest, SttResult } from "./types.js";

const BINARY = process.env.VOICEDOCK_POCKETSPHINX ?? "pocketsphinx_continuous";

let dir: string | null = null;
const tempDir = (): string => (dir ??= mkdtempSync(join(tmpdir(), "voicedock-stt-")));

/**
 * CMU PocketSphinx (Debian's `pocketsphinx` + `pocketsphinx-en-us`), run as a separate process per
 * utterance: offline, English only, weak on free speech but dependable on clear speech. The process keeps
 * decoding off our event loop; raw 16 kHz PCM goes in as a file, one line per segment comes out.
 */
export class PocketSphinxStt implements SpeechToText {
  readonly provider = "pocketsphinx";
  readonly local = true;
  readonly sampleRateHz = 16000 as const;

  constructor(private readonly timeoutMs = 30_000) {}

  async transcribe(req: SttRequest): Promise<SttResult> {
    // PocketSphinx fopen()s its input, and Node's stdio pipes are sockets it cannot open: use a private file.
    const file = join(tempDir(), `${randomUUID()}.raw`);
    const audio = withHighBand(req.audio, req.sampleRateHz);
    await writeFile(file, Buffer.from(audio.buffer, audio.byteOffset, audio.byteLength), { mode: 0o600 });
    try { return await this.run(file, req); } finally { await rm(file, { force: true }); }
  }

  private run(file: string, req: SttRequest): Promise<SttResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(BINARY, ["-infile", file, "-samprate", String(req.sampleRateHz), "-logfn", "/dev/null"], { stdio: ["ignore", "pipe", "ignore"] });
      let out = "";
      let settled = false;
      const finish = (err: ProviderError | null) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.signal.removeEventListener("abort", onAbort);
        if (err) { child.kill("SIGKILL"); reject(err); return; }
        resolve({ text: out.split("\n").map((l) => l.trim()).filter(Boolean).join(" ") });
      };
      const onAbort = () => finish(new ProviderError(this.provider, "aborted", "PocketSphinx recognition cancelled"));
      const timer = setTimeout(() => finish(new ProviderError(this.provider, "timeout", `PocketSphinx did not finish within ${this.timeoutMs / 1000} s`)), this.timeoutMs);
      req.signal.addEventListener("abort", onAbort, { once: true });
      child.on("error", (err: NodeJS.ErrnoException) => finish(new ProviderError(this.provider, "config", err.code === "ENOENT"
        ? "PocketSphinx is not installed: install the Debian packages pocketsphinx and pocketsphinx-en-us, or choose another stt_config.provider"
        : `PocketSphinx could not start: ${err.message}`)));
      child.stdout.setEncoding("utf8").on("data", (d: string) => { out += d; });
      child.on("close", (code) => finish(code === 0 ? null : new ProviderError(this.provider, "unavailable", `PocketSphinx exited with code ${code}`)));
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
  const white = new Float64Array(n + 64).map(() => { seed = (seed * 1103515245 + 12345) >>> 0; return seed / 0x7fffffff - 1; });
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
