import { vi } from "vitest";
import { VoiceSession } from "../../main/engine/voice/session.js";
import { voiceAssistant } from "../../main/engine/voice/assistant-config.js";
import type { AmdReport, EndReason, PipelineHost, TurnMetrics } from "../../main/engine/voice/session.js";
import {
  FakeLlm,
  FakeStreamingStt,
  FakeStt,
  FakeTts,
  FakeVad,
  type FakeLlmTurn,
  type FakeSttResult,
} from "../../main/engine/providers/fake/index.js";
import { FakeCallAudio } from "./voice-fake-leg.js";

/**
 * One voice session on fakes, in simulated time: vitest's fake timers drive the playout tick, the fakes'
 * delays and the session's own timers, and `Date.now` (also faked) is the session's clock. The caller
 * "talks" by pushing 20 ms frames with a scripted VAD probability.
 */
export interface HarnessOptions {
  /** The assistant as the API stores it (llm_config, speech_config, first_message…). */
  assistant?: Record<string, unknown>;
  stt?: FakeSttResult[];
  sttDelayMs?: number;
  /** Confidence the recognizer reports (none unless set, as PocketSphinx). */
  sttConfidence?: number;
  /** A recognizer that listens along (SttStream) and can say what it has so far (`stt.partial`). */
  streaming?: boolean;
  llm?: FakeLlmTurn[];
  transferOk?: boolean;
  toolResult?: (name: string, args: Record<string, unknown>) => Promise<string>;
  direction?: "inbound" | "outbound";
}

export function harness(o: HarnessOptions = {}) {
  const now = () => Date.now();
  const audio = new FakeCallAudio(now);
  const vad = new FakeVad();
  const sttOptions = { results: o.stt, delayMs: o.sttDelayMs ?? 60, confidence: o.sttConfidence };
  const stt = o.streaming ? new FakeStreamingStt(sttOptions) : new FakeStt(sttOptions);
  const llm = new FakeLlm(o.llm, now);
  const tts = new FakeTts({ voiceId: "main", msPerWord: 150, firstChunkMs: 30 });
  const fallbackTts = new FakeTts({ voiceId: "fallback", firstChunkMs: 5 });
  const log: string[] = [];
  const record = {
    messages: [] as { role: string; content: string; at: number }[],
    partials: [] as { text: string; at: number }[],
    hangups: [] as { reason: EndReason; at: number; played: number; queued: number }[],
    fails: [] as string[],
    transfers: [] as { destination: string; at: number; queued: number }[],
    toolCalls: [] as { name: string; arguments: Record<string, unknown> }[],
    metrics: [] as TurnMetrics[],
    problems: [] as string[],
    interruptions: [] as string[],
    dtmf: [] as string[],
    doNotCall: [] as (string | null)[],
    amd: [] as (AmdReport & { at: number })[],
  };
  const host: PipelineHost = {
    message: (role, content) => {
      record.messages.push({ role, content, at: now() });
      log.push(`${role}: ${content}`);
    },
    partial: (text) => {
      record.partials.push({ text, at: now() });
    },
    hangup: (reason) => {
      record.hangups.push({ reason, at: now(), played: audio.playedSamples, queued: audio.queuedSamples });
      log.push(`hangup ${reason}`);
    },
    fail: (error) => {
      record.fails.push(error);
    },
    transfer: async (destination) => {
      record.transfers.push({ destination, at: now(), queued: audio.queuedSamples });
      log.push(`transfer ${destination}`);
      return o.transferOk ?? true;
    },
    toolCall: async (call) => {
      record.toolCalls.push({ name: call.name, arguments: call.arguments });
      log.push(`tool ${call.name}`);
      return o.toolResult ? o.toolResult(call.name, call.arguments) : "done";
    },
    sendDtmf: (digits) => {
      record.dtmf.push(digits);
      return true;
    },
    doNotCall: (reason) => {
      record.doNotCall.push(reason);
      return "+31612340001";
    },
    turnMetrics: (m) => {
      record.metrics.push(m);
    },
    problem: (message) => {
      record.problems.push(message);
    },
    interruption: (heard) => {
      record.interruptions.push(heard);
      log.push(`interrupted after: ${heard}`);
    },
    amd: (report) => {
      record.amd.push({ ...report, at: now() });
      log.push(
        `amd ${report.result} (${report.reason})${report.message !== undefined ? ` message: ${report.message}` : ""}`,
      );
    },
  };
  const assistant = voiceAssistant({ first_message: null, ...o.assistant }, o.direction ?? "inbound");
  const session = new VoiceSession({ audio, stt, llm, tts, fallbackTts, assistant, host, vad: vad.factory, now });

  /** Caller frames for `ms`, each with VAD probability `p`; simulated time moves 20 ms per frame. */
  async function frames(ms: number, p: number): Promise<void> {
    for (let t = 0; t < ms; t += 20) {
      vad.script(p);
      audio.hear(p >= 0.5);
      await vi.advanceTimersByTimeAsync(20);
    }
  }

  return {
    session,
    audio,
    vad,
    stt,
    llm,
    tts,
    fallbackTts,
    host,
    record,
    log,
    now,
    assistant,
    /**
     * The caller talks for `ms`; resolves with the moment their speech ended as the session sees it (the
     * start of the first quiet frame after it, which is now).
     */
    speak: async (ms: number) => {
      await frames(ms, 0.9);
      return now() - 20;
    },
    /** A steady tone of `hz` for `ms` (a voicemail beep): loud, but not speech to the VAD. */
    tone: async (ms: number, hz: number) => {
      for (let t = 0; t < ms; t += 20) {
        vad.script(0.02);
        audio.hear(true, hz);
        await vi.advanceTimersByTimeAsync(20);
      }
      return now();
    },
    /** The line is quiet for `ms` (silent caller frames keep flowing, as on a real call). */
    quiet: (ms: number) => frames(ms, 0.02),
    /** Quiet frames until `done()` holds, at most `maxMs`; returns the simulated time it took. */
    async until(done: () => boolean, maxMs = 30_000): Promise<number> {
      const start = now();
      while (!done()) {
        if (now() - start > maxMs)
          throw new Error(`not reached within ${maxMs} ms of simulated time; log:\n${log.join("\n")}`);
        await frames(20, 0.02);
      }
      return now() - start;
    },
    said: (role: string) => record.messages.filter((m) => m.role === role).map((m) => m.content),
    close: () => {
      session.close();
      audio.close();
    },
  };
}

export type Harness = ReturnType<typeof harness>;
