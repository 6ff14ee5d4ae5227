// Over 300 lines because it is the wiring of the voice parts (turn detector, recognizer, responder, speaker, barge-in,
// watchdog, metrics, voicemail guard): each rule lives in its part; what stays here is the order in which a turn
// passes them, and every wiring must see the same closed/ending state.
import type { SpeechToText } from "../providers/stt/types.js";
import type { LanguageModel } from "../providers/llm/types.js";
import type { TextToSpeech } from "../providers/tts/types.js";
import { ProviderError } from "../providers/errors.js";
import type { CallAudio } from "../media/call-audio.js";
import type { AudioFrame } from "../media/frame.js";
import type { VoiceAssistant } from "./assistant-config.js";
import { sileroVad, type VadFactory } from "./vad.js";
import { wordCount } from "./sentences.js";
import { TurnDetector, MIN_UTTERANCE_MS } from "./turn-detector.js";
import { UtteranceBuffer } from "./utterance-buffer.js";
import { Recognizer } from "./recognizer.js";
import { Speaker } from "./speaker.js";
import { BargeIn } from "./barge-in.js";
import { Responder, FALLBACK } from "./responder.js";
import { SilenceWatchdog } from "./silence-watchdog.js";
import type { EndReason, PipelineHost } from "./host.js";
import { VoicemailGuard } from "./amd/voicemail.js";
import type { TurnTiming } from "./metrics.js";

export type { AmdReport, EndReason, PipelineHost } from "./host.js";
export type { TurnMetrics } from "./metrics.js";
export { FALLBACK } from "./responder.js";

export interface VoiceSessionOptions {
  audio: CallAudio;
  stt: SpeechToText;
  llm: LanguageModel;
  tts: TextToSpeech;
  /** Speaks fallback lines when `tts` itself is what failed. */
  fallbackTts: TextToSpeech;
  assistant: VoiceAssistant;
  host: PipelineHost;
  /** The voice activity model; Silero unless a test scripts one. */
  vad?: VadFactory;
  /** The session's clock (ms); performance.now unless a test simulates time. */
  now?: () => number;
}

/** The call leg's rate: caller frames arrive at it, and every reply is resampled to it. */
const RATE = 8000;
/**
 * Audio kept from before the VAD said "speech": this much before the window that began it, and that
 * window's lateness (up to the ring's length, PREROLL_MS + MAX_VAD_LAG_MS), so the first words reach the
 * recognizer even when inference runs far behind on a loaded machine.
 */
const PREROLL_MS = 350;
const MAX_VAD_LAG_MS = 1650;
const MAX_UTTERANCE_MS = 60_000;
const MAX_CONSECUTIVE_FAULTS = 3;
/** What the model is told when a call-screening service answers (it relays the reply to the person). */
const SCREENING_NOTE =
  "A call-screening service answered this call, not the person: it passes on what you say. Say briefly who you are and why you are calling, then wait; the person may pick up.";

/**
 * One call's conversation, wired from small parts: caller frames → utterance buffer and turn detector →
 * recognizer → responder (LLM + tools) → speaker (TTS → playout), with barge-in, the silence watchdog
 * and turn metrics beside them. Every model runs off the media loop (onnxruntime threads, worker
 * threads, child processes, the network); the session only moves buffers and decides. Control commands
 * act on the parts directly, never behind caller audio.
 */
export class VoiceSession {
  private readonly now: () => number;
  private readonly turns: TurnDetector;
  private readonly buffer = new UtteranceBuffer(RATE, PREROLL_MS + MAX_VAD_LAG_MS, MAX_UTTERANCE_MS);
  private readonly recognizer: Recognizer;
  private readonly speaker: Speaker;
  private readonly bargeIn: BargeIn;
  private readonly responder: Responder;
  private readonly watchdog: SilenceWatchdog | null;
  private readonly unsubscribe: () => void;
  private readonly timers: NodeJS.Timeout[] = [];
  private closed = false;
  private ending = false;
  private turnSeq = 0;
  private speechStartAt = 0;
  private continueTimer: NodeJS.Timeout | null = null;
  /** The latest turn's timing: words left unanswered (a cough cut in) are answered with it. */
  private lastTiming: TurnTiming | null = null;
  private lastTimingSeq = 0;
  /** What the streaming recognizer has of the stretch of speech not yet handed to `transcribe` (display only). */
  private liveText = "";
  /**
   * Stretches handed to `transcribe` and not yet back: meanwhile the next stretch's partials wait, or the
   * turn so far would show without the words still being recognized, and then with them.
   */
  private recognizing = 0;
  private consecutiveFaults = 0;
  private readonly voicemail: VoicemailGuard | null;

  constructor(private readonly o: VoiceSessionOptions) {
    const { assistant: a, host } = o;
    const now = (this.now = o.now ?? (() => performance.now()));
    const problem = (err: unknown) => host.problem(describe(err));
    this.recognizer = new Recognizer(
      o.stt,
      a.language,
      a.keyterms,
      (m) => host.problem(m),
      RATE,
      (text) => {
        if (this.closed) return;
        this.liveText = text;
        if (!this.recognizing) this.showPartial();
      },
    );
    this.speaker = new Speaker({
      audio: o.audio,
      tts: o.tts,
      fallbackTts: o.fallbackTts,
      pronunciation: a.pronunciation,
      rateHz: RATE,
      now,
      problem,
      onAudio: () => this.watchdog?.sound(),
      onSpoken: (text) => {
        this.responder.record(text);
        this.watchdog?.quiet();
      },
      callerUnjudged: () => this.turns.unjudgedSound,
    });
    this.bargeIn = new BargeIn(a.turnTaking, this.speaker, {
      interrupted: (heard) => {
        host.interruption(heard);
        this.responder.record(heard);
      },
      spokenAfterAll: (text) => {
        this.responder.record(text);
        this.watchdog?.quiet();
      },
    });
    this.responder = new Responder({
      llm: o.llm,
      assistant: a,
      host,
      speaker: this.speaker,
      audio: o.audio,
      now,
      problem,
      finalAt: (endedAt, text, confidence) => this.turns.finalAt(endedAt, text, confidence),
      takeInterrupted: () => this.bargeIn.takeInterrupted(),
      succeeded: () => {
        this.consecutiveFaults = 0;
      },
      fault: (line) => this.fault(line),
      isClosed: () => this.closed,
      isEnding: () => this.ending,
      endCall: () => this.endCall(a.endCallMessage, "assistant_hangup"),
      transfer: (destination) => this.transfer(destination, null),
    });
    this.watchdog = a.silence
      ? new SilenceWatchdog(
          a.silence,
          {
            busy: () =>
              this.closed ||
              this.ending ||
              this.turns.inSpeech ||
              this.speaker.audible ||
              this.speaker.current !== null ||
              this.responder.pending !== "",
            say: (line) => this.say(line),
            giveUp: (finalMessage) => void this.endCall(finalMessage, "silence_timeout"),
          },
          now,
        )
      : null;
    const vad = o.vad ?? sileroVad;
    this.turns = new TurnDetector(
      a.turnTaking,
      (onProbability) => vad(onProbability, o.audio),
      {
        speechStarted: (lateMs) => this.speechStarted(lateMs),
        speaking: (speechMs) => this.bargeIn.speaking(speechMs),
        pausing: (silenceMs, speechMs) => this.bargeIn.pausing(silenceMs, speechMs, this.turns.windowMs),
        speechEnded: (e) => this.speechEnded(e.speechMs, e.endedAt, e.releasedAt),
      },
      now,
    );
    this.voicemail = a.voicemail ? this.guard(a.voicemail.message) : null;
    this.unsubscribe = o.audio.onFrame((frame) => this.onFrame(frame));
  }

  /** Voicemail detection beside the conversation: it shares the turn detector's VAD windows. */
  private guard(message: string | null): VoicemailGuard {
    let silenced = false;
    const guard = new VoicemailGuard(message, {
      audio: this.o.audio,
      tts: this.o.tts,
      rateHz: RATE,
      now: this.now,
      report: (r) => this.o.host.amd(r),
      message: (role, content) => this.o.host.message(role, content),
      // `ending` keeps the responder and the silence watchdog quiet while the machine is listened to.
      silenceAssistant: () => {
        this.ending = true;
        silenced = true;
        this.responder.cancel();
        this.speaker.abortCurrent();
        this.speaker.flush();
      },
      screening: () => {
        if (silenced) this.ending = false;
        silenced = false;
        this.watchdog?.quiet();
        this.responder.addContext(SCREENING_NOTE);
      },
      sayFallback: (text) => this.speaker.say(text, this.o.fallbackTts),
      hangUp: () => {
        if (!this.closed) this.o.host.hangup("voicemail");
        this.close();
      },
    });
    this.turns.tap((p, windowMs) => guard.probability(p, windowMs));
    return guard;
  }

  /** Greets (first_message) and arms the duration and silence timers. */
  start(): void {
    const a = this.o.assistant;
    if (a.firstMessage) void this.say(a.firstMessage);
    if (a.maxDurationMs)
      this.timers.push(setTimeout(() => void this.endCall(a.endCallMessage, "max_duration"), a.maxDurationMs));
    this.watchdog?.start();
  }

  // ── caller turns ───────────────────────────────────────────────────────────────────────────

  private onFrame(frame: AudioFrame): void {
    if (this.closed) return;
    const pcm = frame.data;
    this.voicemail?.frame(pcm);
    if (this.turns.inSpeech) {
      this.buffer.append(pcm);
      this.recognizer.write(pcm);
    } else this.buffer.pushPreroll(pcm);
    this.turns.push(pcm);
  }

  private speechStarted(lateMs: number): void {
    const backMs = Math.min(lateMs + PREROLL_MS, this.buffer.prerollMs);
    this.speechStartAt = this.now() - backMs;
    this.watchdog?.answered();
    if (this.continueTimer) {
      clearTimeout(this.continueTimer);
      this.continueTimer = null;
    }
    // Hold our playout first: starting the recognizer can take tens of ms on a busy machine.
    this.bargeIn.speechStarted();
    this.recognizer.speechStarted(this.buffer.begin(backMs));
    // A reply still being prepared (no audio yet) is dropped: the caller is still talking.
    const current = this.speaker.current;
    if (current && current.source === "llm" && !current.committed) this.responder.cancel();
  }

  /**
   * Preemptive generation: recognize and ask the model after a short pause; the reply stays silent until
   * the endpointing delay has passed, and is dropped if the caller goes on (docs/decisions.md).
   */
  private speechEnded(speechMs: number, endedAt: number, releasedAt: number): void {
    this.watchdog?.quiet();
    const audio = this.buffer.take();
    if (speechMs < MIN_UTTERANCE_MS) {
      this.bargeIn.tooShort();
      this.answerLeftover();
      return;
    }
    this.bargeIn.speechEnded();
    // Its words come back from `transcribe`; the recognizer's partials from here on are of the next stretch.
    this.liveText = "";
    void this.transcribe(audio, this.speechStartAt, endedAt, releasedAt, this.now());
  }

  /**
   * The caller's turn so far, for the console: the words heard in its finished stretches (not yet
   * answered) and what the recognizer has of the one in progress. Display only: the turn's text is the
   * responder's, from final recognitions; "" (nothing left) takes a shown partial back.
   */
  private showPartial(): void {
    this.o.host.partial?.([this.responder.pending, this.liveText].filter(Boolean).join(" "));
  }

  private async transcribe(
    audio: Int16Array,
    speechStartAt: number,
    speechEndAt: number,
    vadEndAt: number,
    decidedAt: number,
  ): Promise<void> {
    const seq = ++this.turnSeq;
    let text: string;
    let confidence: number | undefined;
    let sttReadyAt: number | undefined;
    this.recognizing++;
    try {
      ({ text, confidence, readyAt: sttReadyAt } = await this.recognizer.recognize(audio, speechStartAt, speechEndAt));
      text = text.trim();
    } catch (err) {
      this.recognizing--;
      if (this.closed) return;
      this.o.host.problem(describe(err));
      this.showPartial();
      this.bargeIn.recognitionFailed();
      if (seq === this.turnSeq && !this.turns.inSpeech) await this.fault(FALLBACK.stt);
      return;
    }
    this.recognizing--;
    if (this.closed) return;
    const sttDoneAt = this.now();
    const words = wordCount(text);
    const turn = this.bargeIn.transcript(words);
    // No words for the turn (or a false interruption's): the partial of this stretch goes too.
    if (!turn || !words) this.showPartial();
    if (!turn) return;
    if (!words) {
      // The words before this speech are the turn; it ended with this speech, not before it.
      if (seq === this.turnSeq && this.lastTiming) this.lastTiming = { speechEndAt, vadEndAt, decidedAt, sttDoneAt };
      if (seq === this.turnSeq) this.answerLeftover();
      return;
    }
    const timing: TurnTiming = { speechEndAt, vadEndAt, decidedAt, sttDoneAt, sttReadyAt, confidence };
    // The assistant answers no one until voicemail detection knows it is a person.
    if (this.voicemail?.heard(text, () => this.heard(text, seq, timing))) return;
    this.heard(text, seq, timing);
  }

  private heard(text: string, seq: number, timing: TurnTiming): void {
    if (this.closed) return;
    this.responder.hear(text);
    this.showPartial();
    // Set before the early return: words answered later (after a cough or a fricative that made no turn)
    // were timed by this turn, not an older one.
    if (seq >= this.lastTimingSeq) [this.lastTiming, this.lastTimingSeq] = [timing, seq];
    if (seq !== this.turnSeq || this.turns.inSpeech) return; // the caller went on talking: answer the whole thing later
    this.answer(timing);
  }

  /** Answers the words heard so far, or, when they sound unfinished, waits up to the maximum delay for more. */
  private answer(t: TurnTiming): void {
    const go = () => void this.responder.respond(t, this.turnSeq);
    const wait = this.turns.continuationWaitMs(this.responder.pending, t.speechEndAt);
    if (wait === null) {
      go();
      return;
    }
    if (this.continueTimer) clearTimeout(this.continueTimer);
    this.continueTimer = setTimeout(() => {
      this.continueTimer = null;
      if (!this.turns.inSpeech) go();
    }, wait);
  }

  /**
   * Speech that made no turn (a cough, noise, no words) cancelled the reply being prepared or the wait
   * for more: the caller's earlier words would stay unanswered. Answer them (issue #14: never leave a
   * finished turn unanswered).
   */
  private answerLeftover(): void {
    if (!this.responder.pending || !this.lastTiming || this.continueTimer || this.turns.inSpeech) return;
    if (this.speaker.current?.source === "llm") return;
    this.answer(this.lastTiming);
  }

  /** A provider failed: say so, and after too many in a row end the call with the reason. */
  private async fault(line: string): Promise<void> {
    this.consecutiveFaults++;
    if (this.consecutiveFaults >= MAX_CONSECUTIVE_FAULTS) {
      await this.say(FALLBACK.fatal, this.o.fallbackTts);
      this.o.host.fail(`The assistant stopped after ${this.consecutiveFaults} provider errors in a row`);
      this.close();
      return;
    }
    await this.say(line, this.o.fallbackTts);
  }

  // ── control API ────────────────────────────────────────────────────────────────────────────

  /** Speaks fixed text (greeting, `say`, fallback lines, silence checks), after whatever is playing. */
  say(text: string, voice: TextToSpeech = this.o.tts): Promise<void> {
    return this.speaker.say(text, voice);
  }

  /** `inject-context`: silent context for the model; `trigger_response` makes it answer now. */
  injectContext(content: string, triggerResponse: boolean): void {
    this.responder.addContext(content);
    if (triggerResponse) void this.responder.respond(null, this.turnSeq);
  }

  /** A reply to the conversation as it stands (a hand-back after which the caller's words are unanswered). */
  respondNow(): void {
    void this.responder.respond(null, this.turnSeq);
  }

  /** `say`: spoken after whatever is playing; `end_after` hangs up once it has been heard. */
  async sayCommand(content: string, endAfter: boolean): Promise<void> {
    if (endAfter) await this.endCall(content, "assistant_hangup");
    else await this.say(content);
  }

  async endCall(message: string | null, reason: EndReason): Promise<void> {
    if (this.ending || this.closed) return;
    this.ending = true;
    if (message) await this.say(message);
    await this.speaker.drain();
    if (!this.closed) this.o.host.hangup(reason);
    this.close();
  }

  async transfer(destination: string, message: string | null): Promise<boolean> {
    if (message) await this.say(message);
    await this.speaker.drain();
    return this.o.host.transfer(destination);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    this.turns.close();
    this.recognizer.close();
    this.speaker.close();
    this.bargeIn.close();
    this.watchdog?.close();
    this.voicemail?.close();
    for (const t of this.timers) clearTimeout(t);
    if (this.continueTimer) clearTimeout(this.continueTimer);
  }
}

const describe = (err: unknown): string =>
  err instanceof ProviderError ? err.message : `Unexpected error: ${(err as Error)?.message ?? String(err)}`;
