import type { TextToSpeech, TtsRequest } from "../tts/types.js";
import { sleep } from "./sleep.js";

export interface FakeTtsOptions {
  voiceId?: string;
  sampleRateHz?: number;
  /** Length of the spoken audio per word. */
  msPerWord?: number;
  /** Audio per yielded chunk (streaming providers yield several). */
  chunkMs?: number;
  /** Synthesis time before the first chunk, and between chunks. */
  firstChunkMs?: number;
  chunkDelayMs?: number;
  /** Tone frequency, so a test can tell voices apart in what was played. */
  toneHz?: number;
  /** Texts matching this fail (a provider fault). */
  failOn?: RegExp;
}

/** Text to speech that says everything as a tone whose length follows the word count. */
export class FakeTts implements TextToSpeech {
  readonly provider = "fake";
  readonly voiceId: string;
  readonly local = true;
  readonly sampleRateHz: number;
  /** Every text it was asked to say, in order. */
  readonly requests: string[] = [];

  constructor(private readonly o: FakeTtsOptions = {}) {
    this.voiceId = o.voiceId ?? "tone";
    this.sampleRateHz = o.sampleRateHz ?? 8000;
  }

  async *synthesize(request: TtsRequest): AsyncIterable<Int16Array> {
    this.requests.push(request.text);
    const words = Math.max(1, request.text.split(/\s+/).filter(Boolean).length);
    const total = Math.round((this.sampleRateHz * words * (this.o.msPerWord ?? 150)) / 1000);
    const chunk = Math.round((this.sampleRateHz * (this.o.chunkMs ?? 100)) / 1000);
    await sleep(this.o.firstChunkMs ?? 20, request.signal);
    if (this.o.failOn?.test(request.text)) throw new Error(`fake TTS refuses "${request.text}"`);
    const w = (2 * Math.PI * (this.o.toneHz ?? 440)) / this.sampleRateHz;
    for (let at = 0; at < total; at += chunk) {
      if (at > 0 && this.o.chunkDelayMs) await sleep(this.o.chunkDelayMs, request.signal);
      const pcm = new Int16Array(Math.min(chunk, total - at));
      for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(8000 * Math.sin(w * (at + i)));
      yield pcm;
    }
  }
}
