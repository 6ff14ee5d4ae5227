import { spawner } from "../../spawner/spawner.js";
import { ProviderError } from "../errors.js";
import type { TextToSpeech, TtsRequest } from "./types.js";

const SAMPLE_RATE = 22050;

/**
 * espeak-ng as a separate program (GPL: run, never linked or bundled), offered when it is installed.
 * `voice_id` `espeak-<language>` as listed by GET /voices. It writes a streamed WAV to stdout whose
 * header sizes are placeholders, so the 44-byte header is skipped and the rest is PCM at 22.05 kHz.
 */
export class EspeakTts implements TextToSpeech {
  readonly provider = "local";
  readonly local = true;
  readonly program = "espeak-ng";
  readonly sampleRateHz = SAMPLE_RATE;
  private readonly language: string;

  constructor(readonly voiceId: string) {
    this.language = voiceId.replace(/^espeak-/, "");
    if (!/^[a-z]{2,3}(-[a-z0-9-]+)?$/i.test(this.language))
      throw new ProviderError(
        "local",
        "config",
        `Unknown espeak-ng voice '${voiceId}': pick one from GET /api/v1/voices`,
      );
  }

  async *synthesize(req: TtsRequest): AsyncIterable<Int16Array> {
    if (!req.text.trim() || req.signal.aborted) return;
    // "--" ends the options: text starting with "-" is spoken, not parsed. Started by the spawner helper,
    // so the engine is not forked for each sentence (that stalls the media thread: docs/decisions.md).
    const child = spawner.spawn("espeak-ng", ["-v", this.language, "--stdout", "--", req.text]);
    const kill = () => child.kill("SIGKILL");
    req.signal.addEventListener("abort", kill, { once: true });
    const failed = new Promise<never>((_, reject) =>
      child.once("error", (err: NodeJS.ErrnoException) =>
        reject(
          new ProviderError(
            "local",
            err.code === "ESPAWNER" ? "unavailable" : "config",
            err.code === "ENOENT"
              ? "espeak-ng is not installed: install it, or pick a Flite voice from GET /api/v1/voices"
              : `espeak-ng could not start: ${err.message}`,
          ),
        ),
      ),
    );
    // A failure after the last chunk (the helper lost while the child winds down) has nobody to tell.
    failed.catch(() => {});
    let header = 44;
    let carry: Buffer | null = null;
    try {
      const chunks = child.stdout[Symbol.asyncIterator]();
      while (true) {
        const next = await Promise.race([chunks.next(), failed]);
        if (next.done) break;
        let buf = next.value as Buffer;
        if (header > 0) {
          const skip = Math.min(header, buf.length);
          buf = buf.subarray(skip);
          header -= skip;
        }
        if (carry) {
          buf = Buffer.concat([carry, buf]);
          carry = null;
        }
        if (buf.length % 2) {
          carry = buf.subarray(buf.length - 1);
          buf = buf.subarray(0, buf.length - 1);
        }
        if (!buf.length) continue;
        const pcm = new Int16Array(buf.length / 2);
        for (let i = 0; i < pcm.length; i++) pcm[i] = buf.readInt16LE(2 * i);
        yield pcm;
      }
    } finally {
      req.signal.removeEventListener("abort", kill);
      if (child.exitCode === null) kill();
    }
  }
}
