import { isStreaming, type SpeechToText, type SttStream } from "../providers/stt/types.js";
import { Upsampler2x } from "../media/upsample.js";
import type { ChatMessage, LanguageModel, ToolCall } from "../providers/llm/types.js";
import type { TextToSpeech } from "../providers/tts/types.js";
import { ProviderError } from "../providers/errors.js";
import { resample } from "../media/resample.js";
import type { CallAudio } from "../media/call-audio.js";
import { SileroVad } from "./vad.js";
import { SentenceChunker, wordCount } from "./sentences.js";
import type { VoiceAssistant } from "./assistant-config.js";
import { transferTarget, type ToolSpec } from "./tools.js";

export type EndReason = "assistant_hangup" | "max_duration" | "silence_timeout";

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

/** The call around the pipeline: storage, hang-up, transfer, webhooks. Implemented in calls/. */
export interface PipelineHost {
  message(role: "user" | "assistant" | "system", content: string): void;
  hangup(reason: EndReason): void;
  /** Ends the call as failed with a reason a person can read (after the pipeline said goodbye). */
  fail(error: string): void;
  transfer(destination: string): Promise<boolean>;
  /** Runs a custom tool through its webhook; resolves with the text the model gets back. */
  toolCall(call: { id: string; name: string; arguments: Record<string, unknown> }, tool: Extract<ToolSpec, { kind: "webhook" }>): Promise<string>;
  sendDtmf(digits: string): boolean;
  turnMetrics(m: TurnMetrics): void;
  /** A provider fault or another problem worth a line in the call's event log. */
  problem(message: string): void;
  interruption(heard: string): void;
}

export interface PipelineOptions {
  audio: CallAudio;
  stt: SpeechToText;
  llm: LanguageModel;
  tts: TextToSpeech;
  /** Speaks fallback lines when `tts` itself is what failed. */
  fallbackTts: TextToSpeech;
  assistant: VoiceAssistant;
  host: PipelineHost;
}

const RATE = 8000;
const SPEECH_ON = 0.5;
const SPEECH_OFF = 0.35;
const PREROLL_SAMPLES = RATE * 0.4;
const MAX_UTTERANCE_SAMPLES = RATE * 60;
/** Shorter than this is a click or a cough, never a turn. */
const MIN_UTTERANCE_MS = 120;
const MAX_TOOL_ROUNDS = 4;
/**
 * Preemptive generation starts this long before the endpointing delay ends (never before 200 ms of
 * silence): enough for the recognizer's last words and the model's first token to overlap the wait,
 * without a speculative request at every short pause of a long turn.
 */
const PREEMPT_MS = 200;
const PREEMPT_LEAD_MS = 200;
/** How long a streaming recognizer may take past the end of speech before we take what it has. */
const STREAM_FINISH_MS = 2000;
const MAX_CONSECUTIVE_FAULTS = 3;
const CONTINUES = /\b(and|but|so|or|because|um+|uh+|er+|like|then)[\s,]*$|,\s*$/i;

export const FALLBACK = {
  stt: "Sorry, I didn't catch that. Could you say it again?",
  llm: "I'm sorry, I'm having trouble answering right now. Could you say that again?",
  tool: "Sorry, that is taking longer than expected.",
  fatal: "I'm sorry, I'm having technical problems and have to end the call. Please call back later. Goodbye.",
} as const;

interface Segment { text: string; start: number; end: number }

/** One thing the assistant says: LLM turns, the greeting, `say`, fallback lines, silence checks. */
class Reply {
  readonly abort = new AbortController();
  readonly segments: Segment[] = [];
  /** Set once every segment is queued (the LLM and TTS are done). */
  generated = false;
  finished = false;
  /** Preemptive replies: prepared from the caller's words before the turn is final; silent until `notBefore`. */
  notBefore = 0;
  userMessage: ChatMessage | null = null;
  /** The turn became final (the caller stayed quiet through the endpointing delay): the reply may speak and act. */
  committed = true;
  constructor(readonly source: "llm" | "scripted") {}
  get text(): string { return this.segments.map((s) => s.text).join(" "); }
  /** The words that had been played at sample `at`: whole segments plus the played share of the current one. */
  heardAt(at: number): string {
    const words: string[] = [];
    for (const s of this.segments) {
      if (at >= s.end) { words.push(s.text); continue; }
      if (at <= s.start) break;
      const parts = s.text.split(/\s+/);
      const n = Math.floor((parts.length * (at - s.start)) / Math.max(1, s.end - s.start));
      if (n > 0) words.push(parts.slice(0, n).join(" "));
      break;
    }
    return words.join(" ");
  }
}

/**
 * One call's conversation: Silero VAD on caller audio → turn-taking → STT → streamed LLM → sentence
 * TTS → playout, with barge-in, tools, silence checks and the control commands. Every model runs off
 * the media loop (onnxruntime threads, worker threads, child processes, the network); this class only
 * moves buffers and decides.
 */
export class VoicePipeline {
  private readonly vad: SileroVad;
  private readonly history: ChatMessage[];
  private readonly unsubscribe: () => void;
  private closed = false;

  // Caller speech
  private inSpeech = false;
  private speechMs = 0;
  private silenceMs = 0;
  private readonly preroll = new Int16Array(PREROLL_SAMPLES);
  private prerollLength = 0;
  private utterance = new Int16Array(RATE * 10);
  private utteranceLength = 0;
  private lastSpeechEndAt = 0;
  private pendingUserText = "";
  private turnSeq = 0;
  private continueTimer: NodeJS.Timeout | null = null;

  // Agent speech
  private enqueued = 0;
  private current: Reply | null = null;
  private ttsChain: Promise<void> = Promise.resolve();
  private speakChain: Promise<void> = Promise.resolve();
  /** Barge-in: playout held at this sample while we find out whether the caller is really taking the turn. */
  private pausedAt: number | null = null;
  private interrupting = false;
  private falseInterruptionTimer: NodeJS.Timeout | null = null;
  private consecutiveFaults = 0;
  private ending = false;

  // Silence handling and limits
  private quietSince = performance.now();
  private silenceAttempts = 0;
  private readonly timers: NodeJS.Timeout[] = [];

  /** A recognizer listening to the whole call, when the provider can (see SttStream). */
  private sttStream: SttStream | null = null;
  private readonly upsampler = new Upsampler2x();
  private speechStartAt = 0;

  constructor(private readonly o: PipelineOptions) {
    this.history = [...o.assistant.systemMessages];
    if (isStreaming(o.stt) && o.stt.sampleRateHz === 16000) {
      try {
        this.sttStream = o.stt.stream({ language: o.assistant.language, onError: (err) => {
          // Fall back to one recognition per utterance for the rest of the call.
          this.o.host.problem(err.message);
          this.sttStream = null;
        } });
      } catch (err) { o.host.problem((err as Error).message); }
    }
    this.vad = new SileroVad((p) => this.onVad(p));
    this.unsubscribe = o.audio.onFrame((pcm) => this.onFrame(pcm));
  }

  /** Greets (first_message) and arms the duration and silence timers. */
  start(): void {
    const a = this.o.assistant;
    if (a.firstMessage) void this.say(a.firstMessage);
    if (a.maxDurationMs) {
      this.timers.push(setTimeout(() => void this.endCall(a.endCallMessage, "max_duration"), a.maxDurationMs));
    }
    if (a.silence) this.timers.push(setInterval(() => this.checkSilence(), 200));
  }

  // ── caller audio ───────────────────────────────────────────────────────────────────────────

  private onFrame(pcm: Int16Array): void {
    if (this.closed) return;
    if (this.inSpeech) {
      this.appendUtterance(pcm);
      this.sttStream?.write(this.upsampler.process(pcm));
    } else this.appendPreroll(pcm);
    this.vad.push(pcm);
  }

  private appendPreroll(pcm: Int16Array): void {
    const n = pcm.length;
    if (n >= this.preroll.length) { this.preroll.set(pcm.subarray(n - this.preroll.length)); this.prerollLength = this.preroll.length; return; }
    const keep = Math.min(this.prerollLength, this.preroll.length - n);
    this.preroll.copyWithin(0, this.prerollLength - keep, this.prerollLength);
    this.preroll.set(pcm, keep);
    this.prerollLength = keep + n;
  }

  private appendUtterance(pcm: Int16Array): void {
    if (this.utteranceLength + pcm.length > MAX_UTTERANCE_SAMPLES) return;
    if (this.utteranceLength + pcm.length > this.utterance.length) {
      const bigger = new Int16Array(Math.min(MAX_UTTERANCE_SAMPLES, this.utterance.length * 2));
      bigger.set(this.utterance.subarray(0, this.utteranceLength));
      this.utterance = bigger;
    }
    this.utterance.set(pcm, this.utteranceLength);
    this.utteranceLength += pcm.length;
  }

  /** True while the caller can hear us (or would, but for a barge-in pause). */
  private get agentAudible(): boolean { return this.o.audio.playedSamples < this.enqueued; }

  private onVad(p: number): void {
    if (this.closed) return;
    const windowMs = this.vad.windowMs;
    const tt = this.o.assistant.turnTaking;
    if (p >= SPEECH_ON || (this.inSpeech && p >= SPEECH_OFF)) {
      this.silenceMs = 0;
      if (!this.inSpeech) this.speechStarted();
      this.speechMs += windowMs;
      if (this.pausedAt !== null && !this.interrupting && this.speechMs >= tt.interruptionMinMs) this.interruptionConfirmedByDuration();
      return;
    }
    if (!this.inSpeech) return;
    this.silenceMs += windowMs;
    // A short sound during our speech: let the caller hear the rest.
    if (this.pausedAt !== null && !this.interrupting && this.silenceMs >= 2 * windowMs && this.speechMs < tt.interruptionMinMs) {
      this.resumePlayout();
    }
    // Preemptive generation: recognize and ask the model after a short pause; the reply stays silent until
    // the endpointing delay has passed, and is dropped if the caller goes on (docs/decisions.md).
    if (this.silenceMs >= Math.max(Math.min(PREEMPT_MS, tt.endpointingMinMs), tt.endpointingMinMs - PREEMPT_LEAD_MS)) this.speechEnded();
  }

  private speechStarted(): void {
    this.inSpeech = true;
    // The VAD reports a window after it was heard; the pre-roll covers the rest.
    this.speechStartAt = performance.now() - PREROLL_SAMPLES / 8;
    this.speechMs = 0;
    this.silenceAttempts = 0;
    if (this.continueTimer) { clearTimeout(this.continueTimer); this.continueTimer = null; }
    this.utteranceLength = 0;
    this.appendUtterance(this.preroll.subarray(0, this.prerollLength));
    // The recognizer hears only our speech segments (with their pre-roll): its adaptation is not
    // skewed by long silences, and it decodes while the caller is still talking.
    if (this.sttStream) for (let i = 0; i < this.prerollLength; i += 160) this.sttStream.write(this.upsampler.process(this.preroll.subarray(i, Math.min(i + 160, this.prerollLength))));
    this.prerollLength = 0;
    // Barge-in: hold our audio within this VAD window; whether it is a real interruption is decided below.
    if (this.agentAudible && this.pausedAt === null) {
      this.o.audio.pause();
      this.pausedAt = this.o.audio.playedSamples;
    }
    // A reply still being prepared (no audio yet) is dropped: the caller is still talking.
    if (this.current && this.current.source === "llm" && !this.current.committed) this.cancelReply();
  }

  private interruptionConfirmedByDuration(): void {
    const tt = this.o.assistant.turnTaking;
    this.interrupting = true;
    // With a word threshold, wait for the transcript; otherwise stop writing the reply now.
    if (tt.interruptionMinWords === 0) {
      this.current?.abort.abort();
      if (tt.falseInterruptionMs === null) this.commitInterruption();
    }
  }

  private speechEnded(): void {
    this.inSpeech = false;
    const speechEndAt = performance.now() - this.silenceMs;
    this.lastSpeechEndAt = speechEndAt;
    this.quietSince = performance.now();
    const audio = this.utterance.slice(0, this.utteranceLength);
    this.utteranceLength = 0;
    if (this.speechMs < MIN_UTTERANCE_MS) { if (this.pausedAt !== null && !this.interrupting) this.resumePlayout(); return; }
    const tt = this.o.assistant.turnTaking;
    if (this.pausedAt !== null && tt.falseInterruptionMs !== null) {
      if (this.falseInterruptionTimer) clearTimeout(this.falseInterruptionTimer);
      this.falseInterruptionTimer = setTimeout(() => { this.falseInterruptionTimer = null; if (this.pausedAt !== null) this.resumePlayout(); }, tt.falseInterruptionMs);
    }
    void this.transcribe(audio, this.speechStartAt, speechEndAt, performance.now());
  }

  private async recognize(audio: Int16Array, speechStartAt: number, speechEndAt: number): Promise<string> {
    if (this.sttStream) return (await this.sttStream.finish(speechStartAt, speechEndAt, STREAM_FINISH_MS)).text;
    const pcm = await resample(audio, RATE, this.o.stt.sampleRateHz);
    const r = await this.o.stt.transcribe({ audio: pcm, sampleRateHz: this.o.stt.sampleRateHz, language: this.o.assistant.language, keyterms: this.o.assistant.keyterms, signal: AbortSignal.timeout(30_000) });
    return r.text;
  }

  private async transcribe(audio: Int16Array, speechStartAt: number, speechEndAt: number, decidedAt: number): Promise<void> {
    const seq = ++this.turnSeq;
    let text = "";
    try {
      text = (await this.recognize(audio, speechStartAt, speechEndAt)).trim();
    } catch (err) {
      if (this.closed) return;
      this.o.host.problem(describe(err));
      if (this.pausedAt !== null) this.resumePlayout();
      if (seq === this.turnSeq && !this.inSpeech) await this.fault(FALLBACK.stt);
      return;
    }
    if (this.closed) return;
    const sttDoneAt = performance.now();
    const words = wordCount(text);
    const tt = this.o.assistant.turnTaking;
    if (this.pausedAt !== null || this.interrupting) {
      if (words >= Math.max(1, tt.interruptionMinWords)) this.commitInterruption();
      else { this.resumePlayout(); return; }
    } else if (words > 0 && this.agentAudible && words >= Math.max(1, tt.interruptionMinWords)) {
      // The false-interruption timer resumed us before the transcript came: it was real after all.
      this.o.audio.pause();
      this.pausedAt = this.o.audio.playedSamples;
      this.commitInterruption();
    }
    if (!words) return;
    this.pendingUserText = this.pendingUserText ? `${this.pendingUserText} ${text}` : text;
    if (seq !== this.turnSeq || this.inSpeech) return; // the caller went on talking: answer the whole thing later
    const go = () => void this.respond({ speechEndAt, decidedAt, sttDoneAt });
    // "…and" / "um": the caller is probably not done; give them up to the maximum endpointing delay.
    if (CONTINUES.test(text)) {
      const wait = Math.max(0, tt.endpointingMaxMs - (performance.now() - speechEndAt));
      this.continueTimer = setTimeout(() => { this.continueTimer = null; go(); }, wait);
    } else go();
  }

  // ── barge-in ───────────────────────────────────────────────────────────────────────────────

  /** A false interruption: the caller hears the rest of what was queued. */
  private resumePlayout(): void {
    if (this.falseInterruptionTimer) { clearTimeout(this.falseInterruptionTimer); this.falseInterruptionTimer = null; }
    this.pausedAt = null;
    this.interrupting = false;
    this.o.audio.resume();
    // Its generation was stopped at the interruption, but what was queued plays in full: store that.
    const r = this.current;
    if (r && r.abort.signal.aborted && !r.finished) {
      r.finished = true;
      this.current = null;
      this.recordAssistant(r.text);
      this.quietSince = performance.now();
    }
  }

  /** The caller took the turn: drop our queued audio and keep only what they heard of the reply. */
  private commitInterruption(): void {
    if (this.falseInterruptionTimer) { clearTimeout(this.falseInterruptionTimer); this.falseInterruptionTimer = null; }
    const at = this.pausedAt ?? this.o.audio.playedSamples;
    const reply = this.current;
    this.pausedAt = null;
    this.interrupting = false;
    this.o.audio.flush();
    this.enqueued = this.o.audio.playedSamples;
    if (reply && !reply.finished) {
      reply.abort.abort();
      reply.finished = true;
      const heard = reply.heardAt(at);
      this.o.host.interruption(heard);
      this.recordAssistant(heard);
      this.current = null;
    }
    this.lastInterrupted = true;
  }

  private lastInterrupted = false;

  private cancelReply(): void {
    const r = this.current;
    if (!r) return;
    r.abort.abort();
    r.finished = true;
    this.current = null;
    if (!r.committed && r.userMessage) {
      // The caller went on: their words so far join the rest of the turn, and the model never saw them.
      const i = this.history.indexOf(r.userMessage);
      if (i >= 0) this.history.splice(i, 1);
      this.pendingUserText = [r.userMessage.content, this.pendingUserText].filter(Boolean).join(" ");
    }
  }

  /** Waits until a preemptive reply's turn is final; false when it was dropped meanwhile. */
  private async committed(reply: Reply): Promise<boolean> {
    const wait = reply.notBefore - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    return !reply.abort.signal.aborted && !this.closed;
  }

  // ── replies ────────────────────────────────────────────────────────────────────────────────

  private recordAssistant(text: string): void {
    if (!text) return;
    this.history.push({ role: "assistant", content: text });
    this.o.host.message("assistant", text);
  }

  /** One assistant turn: after the caller's words (`t` set) or after injected context (`t` null). */
  private async respond(t: { speechEndAt: number; decidedAt: number; sttDoneAt: number } | null): Promise<void> {
    if (this.closed || this.ending) return;
    const userText = this.pendingUserText;
    if (t && !userText) return;
    this.cancelReply();
    const reply = new Reply("llm");
    this.current = reply;
    this.pendingUserText = "";
    if (userText) {
      reply.userMessage = { role: "user", content: userText };
      this.history.push(reply.userMessage);
      if (t) {
        reply.notBefore = t.speechEndAt + this.o.assistant.turnTaking.endpointingMinMs;
        reply.committed = false;
        void this.committed(reply).then((ok) => {
          if (!ok) return;
          reply.committed = true;
          this.o.host.message("user", userText);
        });
      } else this.o.host.message("user", userText);
    }
    const interrupted = this.lastInterrupted;
    this.lastInterrupted = false;
    const metrics: TurnMetrics = {
      turn: this.turnSeq, endpointing_ms: t ? round(Math.max(t.decidedAt, reply.notBefore) - t.speechEndAt) : 0,
      preempt_ms: t ? round(t.decidedAt - t.speechEndAt) : 0, stt_ms: t ? round(t.sttDoneAt - t.decidedAt) : 0,
      llm_first_token_ms: null, tts_first_audio_ms: null, voice_to_voice_ms: null, overhead_ms: null, interrupted,
    };
    let firstSample: number | null = null;
    const onFirstAudio = (sample: number, ttsMs: number) => {
      if (firstSample !== null || !t) return;
      firstSample = sample;
      metrics.tts_first_audio_ms = round(ttsMs);
      // The packet that carries the reply's first sample: playout has passed sample + 1.
      void this.o.audio.whenPlayed(sample + 1).then((at) => {
        metrics.voice_to_voice_ms = round(at - t.speechEndAt);
        const pipeline = metrics.preempt_ms + metrics.stt_ms + (metrics.llm_first_token_ms ?? 0) + metrics.tts_first_audio_ms!;
        metrics.overhead_ms = round(metrics.voice_to_voice_ms - Math.max(metrics.endpointing_ms, pipeline));
        this.o.host.turnMetrics(metrics);
      });
    };
    let hangup = false;
    let transferTo: string | null = null;
    try {
      for (let step = 0; step < MAX_TOOL_ROUNDS && !reply.abort.signal.aborted; step++) {
        const chunker = new SentenceChunker();
        const calls: ToolCall[] = [];
        let text = "";
        const llmStart = performance.now();
        for await (const chunk of this.o.llm.stream({
          messages: this.history, tools: this.o.assistant.tools.map((x) => x.llm), temperature: this.o.assistant.temperature,
          maxTokens: this.o.assistant.maxTokens, signal: reply.abort.signal,
        })) {
          if (metrics.llm_first_token_ms === null) metrics.llm_first_token_ms = round(performance.now() - llmStart);
          if (chunk.type === "tool_call") { calls.push(chunk.call); continue; }
          text += chunk.text;
          for (const s of chunker.push(chunk.text)) this.queueSentence(reply, s, onFirstAudio);
        }
        const rest = chunker.flush();
        if (rest) this.queueSentence(reply, rest, onFirstAudio);
        if (!calls.length) break;
        // Tools act on the world: never for a turn that may still be dropped.
        if (!(await this.committed(reply))) return;
        this.history.push({ role: "assistant", content: text || null, tool_calls: calls });
        for (const call of calls) {
          const tool = this.o.assistant.tools.find((x) => x.llm.name === call.function.name);
          const args = parseArgs(call.function.arguments);
          let result: string;
          if (!tool) result = JSON.stringify({ error: `Unknown tool '${call.function.name}'` });
          else if (tool.kind === "end_call") { hangup = true; result = "The call will end after your goodbye."; }
          else if (tool.kind === "dtmf") {
            const digits = typeof args.digits === "string" ? args.digits.replace(/[^0-9*#A-Da-d]/g, "").toUpperCase() : "";
            result = digits && this.o.host.sendDtmf(digits) ? `Pressed ${digits}.` : "The keys could not be sent on this line.";
          }
          else if (tool.kind === "transfer_call") {
            const target = transferTarget(tool, args.destination);
            if ("refused" in target) {
              this.o.host.problem(`The model asked for a transfer that was refused: ${target.refused}`);
              result = JSON.stringify({ error: `Transfer refused: ${target.refused}` });
            } else {
              transferTo = target.number;
              if (target.message) this.queueSentence(reply, target.message, onFirstAudio);
              result = `Transferring to ${transferTo}.`;
            }
          } else {
            if (tool.message) this.queueSentence(reply, tool.message, onFirstAudio);
            result = await this.o.host.toolCall({ id: call.id, name: call.function.name, arguments: args }, tool).catch((err: Error) => {
              this.o.host.problem(`Tool '${call.function.name}' failed: ${err.message}`);
              this.queueSentence(reply, FALLBACK.tool, onFirstAudio);
              return JSON.stringify({ error: err.message });
            });
          }
          this.history.push({ role: "tool", tool_call_id: call.id, content: result });
        }
        if (hangup || transferTo) break;
      }
      this.consecutiveFaults = 0;
    } catch (err) {
      if (reply.abort.signal.aborted || this.closed) return;
      this.o.host.problem(describe(err));
      this.current = null;
      reply.finished = true;
      await this.fault(FALLBACK.llm);
      return;
    }
    await this.finishReply(reply);
    if (reply.abort.signal.aborted || this.closed) return;
    if (hangup) await this.endCall(this.o.assistant.endCallMessage, "assistant_hangup");
    else if (transferTo) await this.transfer(transferTo, null);
  }

  /** Synthesizes sentences in order, each as soon as the previous is queued, while earlier ones play. */
  private queueSentence(reply: Reply, sentence: string, onFirstAudio?: (sample: number, ttsMs: number) => void, tts = this.o.tts): void {
    const spoken = this.pronounce(sentence);
    this.ttsChain = this.ttsChain.then(async () => {
      if (reply.abort.signal.aborted || this.closed) return;
      const started = performance.now();
      const start = this.enqueued;
      try {
        for await (const chunk of tts.synthesize({ text: spoken, signal: reply.abort.signal })) {
          if (reply.abort.signal.aborted || this.closed) return;
          const pcm = await resample(chunk, tts.sampleRateHz, RATE);
          if (reply.notBefore > performance.now() && !(await this.committed(reply))) return;
          if (reply.abort.signal.aborted || this.closed) return;
          if (this.enqueued === start) onFirstAudio?.(start, performance.now() - started);
          this.o.audio.play(pcm);
          this.enqueued += pcm.length;
          this.quietSince = Infinity;
        }
      } catch (err) {
        if (reply.abort.signal.aborted || this.closed) return;
        this.o.host.problem(describe(err));
        if (tts !== this.o.fallbackTts) {
          // The voice failed: say the sentence with the built-in voice instead of going silent.
          this.queueSentenceNow(reply, sentence, onFirstAudio);
          return;
        }
      }
      if (this.enqueued > start) reply.segments.push({ text: sentence, start, end: this.enqueued });
    });
  }

  private queueSentenceNow(reply: Reply, sentence: string, onFirstAudio?: (sample: number, ttsMs: number) => void): void {
    this.queueSentence(reply, sentence, onFirstAudio, this.o.fallbackTts);
  }

  /** Waits until the reply is synthesized and played, then stores what was said. */
  private async finishReply(reply: Reply): Promise<void> {
    await this.ttsChain;
    reply.generated = true;
    if (reply.abort.signal.aborted) return;
    const end = reply.segments.at(-1)?.end ?? 0;
    if (end) await this.o.audio.whenPlayed(end);
    if (reply.finished || reply.abort.signal.aborted) return;
    reply.finished = true;
    if (this.current === reply) this.current = null;
    this.recordAssistant(reply.text);
    this.quietSince = performance.now();
  }

  /** Speaks fixed text (greeting, `say`, fallback lines, silence checks), after whatever is playing. */
  say(text: string, voice: TextToSpeech = this.o.tts): Promise<void> {
    const run = async () => {
      if (this.closed) return;
      const reply = new Reply("scripted");
      if (!this.current) this.current = reply;
      this.queueSentence(reply, text, undefined, voice);
      await this.finishReply(reply);
      if (this.current === reply) this.current = null;
    };
    this.speakChain = this.speakChain.then(run, run);
    return this.speakChain;
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

  private pronounce(text: string): string {
    let out = text;
    for (const { from, to } of this.o.assistant.pronunciation) if (from) out = out.split(from).join(to);
    return out;
  }

  // ── endings, transfers, silence ────────────────────────────────────────────────────────────

  async endCall(message: string | null, reason: EndReason): Promise<void> {
    if (this.ending || this.closed) return;
    this.ending = true;
    if (message) await this.say(message);
    await this.drain();
    if (!this.closed) this.o.host.hangup(reason);
    this.close();
  }

  async transfer(destination: string, message: string | null): Promise<boolean> {
    if (message) await this.say(message);
    await this.drain();
    return this.o.host.transfer(destination);
  }

  private async drain(): Promise<void> {
    await this.ttsChain;
    await this.o.audio.whenPlayed(this.enqueued);
  }

  private checkSilence(): void {
    const plan = this.o.assistant.silence;
    if (!plan || this.closed || this.ending || this.inSpeech || this.agentAudible || this.current || this.pendingUserText) return;
    const quiet = performance.now() - this.quietSince;
    const due = this.silenceAttempts === 0 ? plan.firstCheckMs : plan.intervalMs;
    if (quiet < due) return;
    this.quietSince = Infinity; // until the prompt has been played
    if (this.silenceAttempts >= plan.maxAttempts) { void this.endCall(plan.finalMessage, "silence_timeout"); return; }
    const line = plan.messages[Math.min(this.silenceAttempts, plan.messages.length - 1)];
    this.silenceAttempts++;
    void this.say(line).then(() => { this.quietSince = performance.now(); });
  }

  // ── control API ────────────────────────────────────────────────────────────────────────────

  /** `inject-context`: silent context for the model; `trigger_response` makes it answer now. */
  injectContext(content: string, triggerResponse: boolean): void {
    this.history.push({ role: "system", content });
    this.o.host.message("system", content);
    if (triggerResponse) void this.respond(null);
  }

  /** `say`: spoken after whatever is playing; `end_after` hangs up once it has been heard. */
  async sayCommand(content: string, endAfter: boolean): Promise<void> {
    if (endAfter) await this.endCall(content, "assistant_hangup");
    else await this.say(content);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    this.vad.close();
    this.sttStream?.close();
    this.current?.abort.abort();
    for (const t of this.timers) clearTimeout(t);
    if (this.continueTimer) clearTimeout(this.continueTimer);
    if (this.falseInterruptionTimer) clearTimeout(this.falseInterruptionTimer);
  }
}

const round = (ms: number): number => Math.round(ms * 10) / 10;

function parseArgs(json: string): Record<string, unknown> {
  try {
    const v = JSON.parse(json || "{}");
    return v && typeof v === "object" && !Array.isArray(v) ? v : {};
  } catch { return {}; }
}

const describe = (err: unknown): string => (err instanceof ProviderError ? err.message : `Unexpected error: ${(err as Error)?.message ?? String(err)}`);
