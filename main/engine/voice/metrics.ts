import type { CallAudio } from "../media/call-audio.js";

export interface TurnMetrics {
  turn: number;
  /** Caller stopped talking → the turn was final (the endpointing delay, plus VAD latency). */
  endpointing_ms: number;
  /** Caller stopped talking → recognition and the model were started (preemptively, before the turn was final). */
  preempt_ms: number;
  stt_ms: number;
  llm_first_token_ms: number | null;
  tts_first_audio_ms: number | null;
  /** Caller stopped talking → first RTP packet of the reply. */
  voice_to_voice_ms: number | null;
  /**
   * What the engine itself adds: voice_to_voice minus the longer of the two paths that run side by side —
   * the endpointing wait, and preempt + STT + LLM first token + TTS first audio.
   */
  overhead_ms: number | null;
  interrupted: boolean;
}

/** When a caller's turn went through each stage (the session's clock). */
export interface TurnTiming {
  speechEndAt: number;
  decidedAt: number;
  sttDoneAt: number;
}

export const round = (ms: number): number => Math.round(ms * 10) / 10;

/**
 * Measures one reply. Only replies to the caller's words are reported: a reply to injected context has
 * no "caller stopped talking" to count from.
 */
export class TurnMeter {
  readonly metrics: TurnMetrics;
  private llmStartedAt = 0;
  private firstSample: number | null = null;

  constructor(
    turn: number,
    private readonly t: TurnTiming | null,
    finalAt: number,
    interrupted: boolean,
    private readonly now: () => number,
  ) {
    this.metrics = {
      turn,
      endpointing_ms: t ? round(Math.max(t.decidedAt, finalAt) - t.speechEndAt) : 0,
      preempt_ms: t ? round(t.decidedAt - t.speechEndAt) : 0,
      stt_ms: t ? round(t.sttDoneAt - t.decidedAt) : 0,
      llm_first_token_ms: null,
      tts_first_audio_ms: null,
      voice_to_voice_ms: null,
      overhead_ms: null,
      interrupted,
    };
  }

  llmStarted(): void {
    this.llmStartedAt = this.now();
  }

  llmChunk(): void {
    if (this.metrics.llm_first_token_ms === null)
      this.metrics.llm_first_token_ms = round(this.now() - this.llmStartedAt);
  }

  /**
   * The reply's first audio was queued at `sample` after `ttsMs` of synthesis; reported once the packet
   * carrying it has been sent.
   */
  firstAudio(sample: number, ttsMs: number, audio: CallAudio, report: (m: TurnMetrics) => void): void {
    const t = this.t;
    if (this.firstSample !== null || !t) return;
    this.firstSample = sample;
    const m = this.metrics;
    m.tts_first_audio_ms = round(ttsMs);
    // The packet that carries the reply's first sample: playout has passed sample + 1.
    void audio.whenPlayed(sample + 1).then((at) => {
      m.voice_to_voice_ms = round(at - t.speechEndAt);
      const pipeline = m.preempt_ms + m.stt_ms + (m.llm_first_token_ms ?? 0) + m.tts_first_audio_ms!;
      m.overhead_ms = round(m.voice_to_voice_ms - Math.max(m.endpointing_ms, pipeline));
      report(m);
    });
  }
}
