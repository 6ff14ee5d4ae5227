import type { CallAudio } from "../media/call-audio.js";

/**
 * One reply's stages, all measured on the session's clock (issue #14: nothing here is a configured
 * constant). The stages overlap: recognition and the model start while the endpointing wait still runs.
 */
export interface TurnMetrics {
  turn: number;
  /** The VAD's estimate of the end of speech → the quiet window that showed it (its release). */
  vad_tail_ms: number;
  /** End of speech → the turn was final (the endpointing wait actually waited, recognizer rules included). */
  endpointing_ms: number;
  /** End of speech → recognition and the model were started (preemptively, before the turn was final). */
  preempt_ms: number;
  /** From our decision (preempt) to the text: what recognition made the reply wait after it. */
  stt_ms: number;
  /**
   * The recognizer's own time: end of speech → it had the whole text. A streaming recognizer needs some
   * trailing silence to finish a segment, and may finish before we ask; a batch one can only start at
   * our decision, so it is stt_ms.
   */
  recognizer_ms: number;
  llm_first_token_ms: number | null;
  /** Synthesis of the reply's first audible chunk (silence trimmed), not counting any wait after it. */
  tts_first_audio_ms: number | null;
  /** How long that audio waited, ready, for the turn to become final. */
  hold_ms: number | null;
  /** Ready to play (audio there and turn final) → the clock tick that sent its first sample. */
  playout_ms: number | null;
  /** End of speech → the tick that sent the reply's first audible sample. */
  voice_to_voice_ms: number | null;
  /** voice_to_voice minus the recognizer (recognizer_ms), the model and the voice: what the engine adds. */
  overhead_ms: number | null;
  interrupted: boolean;
  /** Session-clock times (ms) of the end of speech, the VAD release and the reply's first packet, to join wire measurements. */
  speech_end_at: number;
  vad_end_at: number;
  sent_at: number | null;
}

/** When a caller's turn went through each stage (the session's clock). */
export interface TurnTiming {
  speechEndAt: number;
  vadEndAt: number;
  decidedAt: number;
  sttDoneAt: number;
  /** When a streaming recognizer had the whole text (it may precede `decidedAt`). */
  sttReadyAt?: number;
  /** The recognizer's confidence in the turn's text, when it reports one. */
  confidence?: number;
}

/** What the speaker knows about the reply's first audible chunk. */
export interface FirstAudioTiming {
  synthMs: number;
  readyAt: number;
  queuedAt: number;
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
  private finalAt: number | null = null;

  constructor(
    turn: number,
    private readonly t: TurnTiming | null,
    interrupted: boolean,
    private readonly now: () => number,
  ) {
    this.metrics = {
      turn,
      vad_tail_ms: t ? round(t.vadEndAt - t.speechEndAt) : 0,
      endpointing_ms: 0,
      preempt_ms: t ? round(t.decidedAt - t.speechEndAt) : 0,
      stt_ms: t ? round(t.sttDoneAt - t.decidedAt) : 0,
      recognizer_ms: t
        ? round(t.sttReadyAt !== undefined ? t.sttReadyAt - t.speechEndAt : t.sttDoneAt - t.decidedAt)
        : 0,
      llm_first_token_ms: null,
      tts_first_audio_ms: null,
      hold_ms: null,
      playout_ms: null,
      voice_to_voice_ms: null,
      overhead_ms: null,
      interrupted,
      speech_end_at: t ? round(t.speechEndAt) : 0,
      vad_end_at: t ? round(t.vadEndAt) : 0,
      sent_at: null,
    };
  }

  /** The turn became final (the caller stayed quiet long enough): the reply may be heard from now on. */
  final(): void {
    if (this.finalAt !== null || !this.t) return;
    this.finalAt = this.now();
    this.metrics.endpointing_ms = round(this.finalAt - this.t.speechEndAt);
  }

  llmStarted(): void {
    this.llmStartedAt = this.now();
  }

  llmChunk(): void {
    if (this.metrics.llm_first_token_ms === null)
      this.metrics.llm_first_token_ms = round(this.now() - this.llmStartedAt);
  }

  /** The reply's first audio was queued at `sample`; reported once the packet carrying it has been sent. */
  firstAudio(sample: number, f: FirstAudioTiming, audio: CallAudio, report: (m: TurnMetrics) => void): void {
    const t = this.t;
    if (this.firstSample !== null || !t) return;
    this.firstSample = sample;
    this.final();
    const m = this.metrics;
    m.tts_first_audio_ms = round(f.synthMs);
    m.hold_ms = round(Math.max(0, f.queuedAt - f.readyAt));
    // The packet that carries the reply's first sample: playout has passed sample + 1.
    void audio.whenPlayed(sample + 1).then((at) => {
      m.sent_at = round(at);
      m.playout_ms = round(at - f.queuedAt);
      m.voice_to_voice_ms = round(at - t.speechEndAt);
      m.overhead_ms = round(
        m.voice_to_voice_ms - m.recognizer_ms - (m.llm_first_token_ms ?? 0) - m.tts_first_audio_ms!,
      );
      report(m);
    });
  }
}
