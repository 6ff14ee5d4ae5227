import { closeSync, openSync, readSync } from "node:fs";

/**
 * Loading whisper.cpp through smart-whisper (its N-API binding, compiled from source by `npm ci`). Only the
 * native glue lives here; the speech-to-text provider that uses it is main/engine/providers/stt/whisper.ts.
 */

/** The part of smart-whisper the engine uses. */
export interface WhisperTranscribeTask {
  result: Promise<{ text: string }[]>;
}
export interface NativeWhisper {
  model(): Promise<unknown>;
  transcribe(
    pcm: Float32Array,
    params: { language?: string; n_threads?: number; initial_prompt?: string; format?: "simple" },
  ): Promise<WhisperTranscribeTask>;
  free(): Promise<void>;
}
export interface WhisperBinding {
  Whisper: new (file: string, config: { gpu: boolean; offload: number }) => NativeWhisper;
}

export const WHISPER_PACKAGE = "smart-whisper";

let binding: Promise<WhisperBinding> | null = null;

/**
 * The binding, loaded once on first use. Rejects with the loader's own error when the addon did not build;
 * the next call tries again (after an `npm rebuild` the engine need not restart).
 */
export function loadWhisperBinding(): Promise<WhisperBinding> {
  // A variable specifier keeps bundlers from inlining a native addon: it stays a runtime import from node_modules.
  const specifier: string = WHISPER_PACKAGE;
  binding ??= import(specifier).then(
    (m: Partial<WhisperBinding> & { default?: WhisperBinding }) => (m.Whisper ? (m as WhisperBinding) : m.default!),
    (err: unknown) => {
      binding = null;
      throw err;
    },
  );
  return binding;
}

/** whisper.cpp's model files begin with the ggml magic 0x67676d6c, little-endian ("lmgg"). */
const GGML_MAGIC = Buffer.from("lmgg", "latin1");

/**
 * Whether a file starts like a whisper.cpp model. whisper.cpp does not check what it loads: anything else
 * takes the whole process down, so callers check before handing a path to the binding.
 */
export function hasGgmlMagic(path: string): boolean {
  const fd = openSync(path, "r");
  try {
    const head = Buffer.alloc(4);
    return readSync(fd, head, 0, 4, 0) === 4 && head.equals(GGML_MAGIC);
  } finally {
    closeSync(fd);
  }
}
