import { statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { registerStt, type ProviderContext } from "../index.js";
import { ProviderError } from "../errors.js";
import { strings } from "../util.js";
import {
  hasGgmlMagic,
  loadWhisperBinding,
  WHISPER_PACKAGE,
  type NativeWhisper,
  type WhisperBinding,
} from "../../../../native/whisper.js";
import type { SpeechToText, SttRequest, SttResult } from "./types.js";

/** Local decoding of one utterance; CPU-only base.en needs 1–3 s, so this only catches a wedged job. */
const TIMEOUT_MS = 30_000;
/**
 * The smallest real whisper.cpp model (tiny, 5-bit quantized) is ~31 MB. whisper.cpp loads a file without
 * tensor data as an "empty model" and then transcribes everything as silence: refuse such files up front.
 */
const MIN_MODEL_BYTES = 16 * 1024 * 1024;
/** Models stay loaded while calls come in; an hour without one frees the memory (75–500 MB). */
const OFFLOAD_SECONDS = 3600;

/** The binding (native/whisper.ts), with a failed build turned into advice a person can act on. */
function loadBinding(): Promise<WhisperBinding> {
  return loadWhisperBinding().catch((err: Error) => {
    throw new ProviderError(
      "whisper",
      "config",
      `The Whisper engine (${WHISPER_PACKAGE}) did not build on this machine: run 'npm rebuild smart-whisper' (it needs a C++ toolchain), or choose another stt_config.provider (${err.message.split("\n")[0]})`,
    );
  });
}

/**
 * One loaded model per file, shared by every call that uses it: a model costs 75–500 MB and whisper.cpp
 * runs one job per context at a time anyway. Released once no provider holds it and its jobs are done.
 */
interface Shared {
  model: Promise<NativeWhisper>;
  users: number;
  jobs: Set<Promise<unknown>>;
}
const loaded = new Map<string, Shared>();

function acquire(path: string, name: string): Shared {
  let s = loaded.get(path);
  if (!s) {
    const model = loadBinding()
      .then(async (b) => {
        const whisper = new b.Whisper(path, { gpu: false, offload: OFFLOAD_SECONDS });
        await whisper.model();
        return whisper;
      })
      .catch((err: unknown) => {
        loaded.delete(path);
        if (err instanceof ProviderError) throw err;
        throw new ProviderError(
          "whisper",
          "config",
          `Whisper model '${name}' could not be loaded (${(err as Error).message}): the file is damaged or not a whisper.cpp model; download it again with POST /api/v1/models/whisper-${name}/download`,
        );
      });
    s = { model, users: 0, jobs: new Set() };
    loaded.set(path, s);
  }
  s.users++;
  return s;
}

function releaseShared(path: string, s: Shared): void {
  if (--s.users > 0 || loaded.get(path) !== s) return;
  loaded.delete(path);
  // A cancelled job keeps its native thread until whisper.cpp finishes it; free the model after.
  void Promise.allSettled([...s.jobs])
    .then(() => s.model)
    .then((m) => m.free())
    .catch(() => undefined);
}

export interface WhisperOptions {
  modelsDir: string;
  /** whisper.cpp model name as the model manager stores it: `tiny.en` → `ggml-tiny.en.bin`. */
  model: string;
  language?: string;
  keyterms?: string[];
  threads?: number;
  timeoutMs?: number;
  /** Lower only to load whisper.cpp's weightless test fixtures. */
  minModelBytes?: number;
}

/** whisper.cpp through its N-API binding: loading and decoding run on native threads, never on the event loop. */
export class WhisperStt implements SpeechToText {
  readonly provider = "whisper";
  readonly local = true;
  readonly sampleRateHz = 16000 as const;
  readonly modelPath: string;
  private shared: Shared | null;
  private readonly threads: number;

  constructor(private readonly opts: WhisperOptions) {
    this.modelPath = join(opts.modelsDir, `ggml-${opts.model}.bin`);
    const size = statSync(this.modelPath, { throwIfNoEntry: false })?.size;
    if (size === undefined) {
      throw new ProviderError(
        this.provider,
        "config",
        `Whisper model '${opts.model}' is not downloaded: download it with POST /api/v1/models/whisper-${opts.model}/download`,
      );
    }
    // whisper.cpp does not check what it loads: anything but a ggml model file takes the whole process down.
    if (!hasGgmlMagic(this.modelPath)) {
      throw new ProviderError(
        this.provider,
        "config",
        `Whisper model '${opts.model}' is not a whisper.cpp model file (no ggml header): download it again with POST /api/v1/models/whisper-${opts.model}/download`,
      );
    }
    if (size < (opts.minModelBytes ?? MIN_MODEL_BYTES)) {
      throw new ProviderError(
        this.provider,
        "config",
        `Whisper model '${opts.model}' has no weights (${(size / 1048576).toFixed(1)} MB: a header and vocabulary only, or a cut-off download; no real model is under 16 MB): download it again with POST /api/v1/models/whisper-${opts.model}/download`,
      );
    }
    // Leave a core for the media loop and the rest of the engine.
    this.threads = opts.threads ?? Math.max(1, Math.min(4, availableParallelism() - 1));
    this.shared = acquire(this.modelPath, opts.model);
    // Loading starts now so the first utterance does not wait for it; failures surface on transcribe/ready.
    this.shared.model.catch(() => undefined);
  }

  /** Resolves once the model is in memory; rejects with the reason it cannot be used. */
  async ready(): Promise<void> {
    if (!this.shared) throw new ProviderError(this.provider, "config", "Whisper provider is closed");
    await this.shared.model;
  }

  async transcribe(req: SttRequest): Promise<SttResult> {
    if (!this.shared) throw new ProviderError(this.provider, "config", "Whisper provider is closed");
    if (req.signal.aborted) throw new ProviderError(this.provider, "aborted", "Whisper recognition cancelled");
    const shared = this.shared;
    const model = await shared.model;
    if (req.signal.aborted) throw new ProviderError(this.provider, "aborted", "Whisper recognition cancelled");

    // whisper.cpp takes 16 kHz float samples in [-1, 1].
    const pcm = new Float32Array(req.audio.length);
    for (let i = 0; i < pcm.length; i++) pcm[i] = req.audio[i] / 32768;
    const terms = (req.keyterms ?? this.opts.keyterms ?? []).map((t) => t.trim()).filter(Boolean);
    const result = model
      .transcribe(pcm, {
        language: this.language(req.language),
        n_threads: this.threads,
        format: "simple",
        // Whisper has no keyword boosting; an initial prompt containing the words biases the decoder to them.
        ...(terms.length ? { initial_prompt: terms.join(", ") } : {}),
      })
      .then((task) => task.result);
    const settled = result.catch(() => undefined);
    shared.jobs.add(settled);
    void settled.then(() => shared.jobs.delete(settled));

    return new Promise<SttResult>((resolve, reject) => {
      const timeoutMs = this.opts.timeoutMs ?? TIMEOUT_MS;
      // whisper.cpp cannot be interrupted: a cancelled job runs to its end in the background, its text dropped.
      const stop = (err: ProviderError) => {
        cleanup();
        reject(err);
      };
      const onAbort = () => stop(new ProviderError(this.provider, "aborted", "Whisper recognition cancelled"));
      const timer = setTimeout(
        () => stop(new ProviderError(this.provider, "timeout", `Whisper did not finish within ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
      const cleanup = () => {
        clearTimeout(timer);
        req.signal.removeEventListener("abort", onAbort);
      };
      req.signal.addEventListener("abort", onAbort, { once: true });
      result.then(
        (segments) => {
          cleanup();
          resolve({ text: cleanText(segments.map((seg) => seg.text).join(" ")) });
        },
        (err: Error) => {
          cleanup();
          reject(new ProviderError(this.provider, "unavailable", `Whisper failed on this utterance: ${err.message}`));
        },
      );
    });
  }

  /** English-only models (`*.en`) must be told `en`; `multi` lets a multilingual model detect it. */
  private language(requested: string | undefined): string {
    if (this.opts.model.endsWith(".en")) return "en";
    const lang = requested || this.opts.language;
    if (!lang || lang === "multi") return "auto";
    return lang.split(/[-_]/)[0].toLowerCase();
  }

  close(): void {
    if (!this.shared) return;
    releaseShared(this.modelPath, this.shared);
    this.shared = null;
  }
}

/** whisper.cpp marks non-speech with bracketed tags (`[BLANK_AUDIO]`, `(music)`); the LLM should not read them. */
function cleanText(text: string): string {
  return text
    .replace(/\[[^\]]*\]|\([^)]*\)/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}

function fromConfig(config: Record<string, unknown>, ctx: ProviderContext): SpeechToText {
  const model = typeof config.model === "string" && config.model ? config.model : "base.en";
  // The name becomes part of a file path: only the shapes whisper.cpp's models have.
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(model))
    throw new ProviderError(
      "whisper",
      "config",
      `Whisper model '${model}' is not a valid model name (for example base.en or small)`,
    );
  return new WhisperStt({
    modelsDir: ctx.modelsDir,
    model,
    language: typeof config.language === "string" ? config.language : undefined,
    keyterms: strings(config.keyterms),
  });
}

registerStt("whisper", fromConfig);
