/**
 * The models VoiceDock offers for download. Sizes and sha256 come from ../shared/models/SOURCES.md (the
 * project's reference checksums); where it gives none the field is `null` and the download is installed
 * unverified, with the hash we computed reported beside it, rather than a checksum made up here.
 */

export const MODEL_KINDS = ["stt", "tts", "vad"] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

export interface ModelFileSpec {
  /** Plain file name: the name on disk in the models dir, and the last path segment under a mirror base URL. */
  name: string;
  /** Official download location. */
  url: string;
  sizeBytes: number | null;
  sha256: string | null;
}

export interface ModelSpec {
  /** Stable id used in the API path (`/models/{id}`) and by the providers' error messages. */
  id: string;
  kind: ModelKind;
  name: string;
  description: string;
  license: string;
  licenseUrl: string | null;
  /** The first file is the model itself (what `pathOf` returns); the rest travel with it (e.g. Piper's .onnx.json). */
  files: ModelFileSpec[];
  /** Ships inside the app (resources/): always installed, never downloaded or removed. */
  builtin?: boolean;
}

const WHISPER = "https://huggingface.co/ggerganov/whisper.cpp/resolve/main";
const WHISPER_LICENSE = { license: "MIT", licenseUrl: "https://github.com/openai/whisper/blob/main/LICENSE" };
// Piper voices were listed here while no Piper engine existed to speak with them (issue #13 §14): they
// come back with the engine.
export const CATALOGUE: readonly ModelSpec[] = [
  {
    id: "whisper-tiny.en",
    kind: "stt",
    name: "Whisper tiny.en",
    ...WHISPER_LICENSE,
    description: "whisper.cpp model, English only, fastest; good enough for short phone answers",
    files: [
      {
        name: "ggml-tiny.en.bin",
        url: `${WHISPER}/ggml-tiny.en.bin`,
        sizeBytes: 77704715,
        sha256: "921e4cf8686fdd993dcd081a5da5b6c365bfde1162e72b08d75ac75289920b1f",
      },
    ],
  },
  {
    id: "whisper-base.en",
    kind: "stt",
    name: "Whisper base.en",
    ...WHISPER_LICENSE,
    description: "whisper.cpp model, English only; the default for local speech recognition",
    files: [{ name: "ggml-base.en.bin", url: `${WHISPER}/ggml-base.en.bin`, sizeBytes: null, sha256: null }],
  },
  {
    id: "whisper-small",
    kind: "stt",
    name: "Whisper small",
    ...WHISPER_LICENSE,
    description: "whisper.cpp model, multilingual; more accurate, several times slower than base",
    files: [{ name: "ggml-small.bin", url: `${WHISPER}/ggml-small.bin`, sizeBytes: null, sha256: null }],
  },
  {
    id: "silero-vad",
    kind: "vad",
    name: "Silero VAD v6.2",
    builtin: true,
    license: "MIT",
    licenseUrl: "https://github.com/snakers4/silero-vad/blob/master/LICENSE",
    description: "Voice activity detector used for turn-taking and barge-in; ships with VoiceDock",
    files: [
      {
        name: "silero_vad.onnx",
        url: "https://github.com/snakers4/silero-vad/raw/806dcba3f0b5d95282d0889a074954a2f8c6397b/src/silero_vad/data/silero_vad.onnx",
        sizeBytes: 2327524,
        sha256: "1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3",
      },
    ],
  },
];

/** Refuses entries that could escape the models dir or be ambiguous; a catalogue is code, so this fails at start. */
export function checkCatalogue(entries: readonly ModelSpec[]): void {
  const ids = new Set<string>();
  for (const m of entries) {
    if (ids.has(m.id)) throw new Error(`Model catalogue lists '${m.id}' twice`);
    ids.add(m.id);
    if (m.files.length === 0) throw new Error(`Model '${m.id}' has no files`);
    for (const f of m.files) {
      if (!/^[A-Za-z0-9_][A-Za-z0-9_.+-]*$/.test(f.name))
        throw new Error(`Model '${m.id}' has an unsafe file name '${f.name}'`);
      if (f.sha256 !== null && !/^[0-9a-f]{64}$/.test(f.sha256))
        throw new Error(`Model '${m.id}' file '${f.name}' has a malformed sha256`);
    }
  }
}
