// One assistant call timed where the caller is (issue #14), shared by `voice` (latency) and `media`
// (capacity): the caller is a separate process (bench/lib-voice-caller.ts: dgram + PCMU) that says LJ
// Speech sentences to the engine's call leg and times every packet on arrival; a turn is the caller's
// last audible sample → the first audible sample of the reply that comes back. Per-stage figures come
// from the engine's TurnMetrics of the same turn (all measured, none configured).
import { fork } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Engine } from "../main/engine/index.js";
import { RtpSession } from "../main/engine/media/rtp-session.js";
import { PCMU } from "../main/engine/media/codecs/g711.js";
import { rtpCallAudio } from "../main/engine/media/call-audio.js";
import type { CallLeg } from "../main/engine/calls/control.js";
import type { TurnMetrics } from "../main/engine/voice/session.js";
import { startLlmServer } from "../test/support/llm-server.js";
import { toTelephoneWav } from "../test/support/audio.js";
import { SHARED } from "../test/support/kamailio.js";
import { percentile } from "./lib-stats.js";
import type { CallerResult, CallerScript } from "./lib-voice-caller.js";

/** Audible = a 5 ms window above −40 dBFS RMS, on both sides of the wire. */
const THRESHOLD_DBFS = -40;
const UTTERANCES = ["en-ljspeech-LJ001-0002.wav", "en-ljspeech-LJ001-0008.wav", "en-ljspeech-LJ001-0001.wav"];
const REPLIES = [
  "Sure, I can help with that. What day would suit you best?",
  "Our office is open from nine to five on weekdays.",
  "Okay, noted. Is there anything else I can do for you today?",
  "That sounds right to me, and I have written it down.",
  "Thanks for waiting. The next free appointment is on Tuesday morning.",
];
/**
 * Our legs' RTP ports: below the kernel's ephemeral range (32768–60999), where the callers' sockets
 * are, so a capture filter on the source port sees only what the engine sends.
 */
export const ENGINE_PORTS = { min: 30000, max: 32766 };

export const STAGES = [
  "wire",
  "vad_tail",
  "endpointing",
  "preempt",
  "stt",
  "recognizer",
  "llm_first_token",
  "tts_first_audio",
  "hold",
  "playout",
  "overhead",
  "overhead_after_decision",
  "engine_v2v",
  "old_internal",
] as const;
export type Row = Record<(typeof STAGES)[number], number | null> & { wav: string };
export interface Conversation {
  rows: Row[];
  caller: CallerResult;
  unmatched: number;
  enginePort: number;
}

/** The LLM double: a fixed 300 ms to the first token, then one or two realistic sentences. */
export async function replyLlm(): Promise<{ url: string; close(): Promise<void> }> {
  let replyNo = 0;
  return startLlmServer(() => ({ text: REPLIES[replyNo++ % REPLIES.length], firstTokenMs: 300, chunkMs: 15 }));
}

/** The caller's sentences as 8 kHz telephone WAVs in `dir`. */
export const callerWavs = (dir: string): string[] =>
  UTTERANCES.map((f) => {
    const out = join(dir, f);
    toTelephoneWav(join(SHARED, "audio", f), out, 0, 0);
    return out;
  });

let seq = 0;

/** An inbound call in progress with the local assistant (PocketSphinx, `llmUrl`, Flite kal), waiting for its leg. */
export function startAssistantCall(engine: Engine, id: string, llmUrl: string, firstMessage?: string): void {
  engine.calls.create({
    id,
    status: "connecting",
    direction: "inbound",
    assistant_config: {
      name: "Bench",
      first_message: firstMessage,
      stt_config: { provider: "pocketsphinx", language: "en" },
      llm_config: { provider: "openai_compatible", model: "bench", base_url: llmUrl },
      tts_config: { provider: "local", voice_id: "flite-kal" },
    },
  });
  engine.calls.transition(id, "in-progress");
}

/** One call to a local assistant (Silero VAD, PocketSphinx, Flite kal, `llmUrl`): `turns` turns, then `bargeIns` barge-ins. */
export async function conversation(
  engine: Engine,
  llmUrl: string,
  wavs: string[],
  turns: number,
  bargeIns: number,
): Promise<Conversation> {
  const id = `call_bench_voice_${++seq}`;
  startAssistantCall(engine, id, llmUrl);
  const child = fork(fileURLToPath(new URL("./lib-voice-caller.ts", import.meta.url)), [], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const callerPort = await new Promise<number>((r) => child.once("message", (m: { port: number }) => r(m.port)));
  const ours = new RtpSession();
  const enginePort = await ours.open("127.0.0.1", ENGINE_PORTS);
  ours.configure({ address: "127.0.0.1", port: callerPort }, PCMU, 0, 101);
  const leg: CallLeg = {
    audio: rtpCallAudio(ours),
    hangup: async () => {},
    transfer: async () => ({ method: "refer" as const, ok: false }),
    tap: () => rtpCallAudio(ours),
    sendDtmf: () => false,
  };
  engine.calls.liveCall(id)!.answer(leg);
  const script: CallerScript = { enginePort, wavs, turns, bargeIns, thresholdDbfs: THRESHOLD_DBFS };
  const done = new Promise<CallerResult>((resolve, reject) =>
    child.once("message", (m: { result?: CallerResult; error?: string }) =>
      m.result ? resolve(m.result) : reject(new Error(m.error)),
    ),
  );
  child.send(script);
  const caller = await done;
  engine.calls.transition(id, "ended", { end_reason: "user_hangup" });
  ours.close();
  child.kill();
  const metrics = engine.store.calls
    .events(id)
    .filter((e) => e.type === "turn")
    .map((e) => e.data as unknown as TurnMetrics);
  // Engine times are this process's performance.now(); the caller's are epoch ms.
  const epoch = (t: number) => performance.timeOrigin + t;
  let unmatched = 0;
  const rows: Row[] = caller.turns.map((t) => {
    const wire = t.replyAt === null ? null : t.replyAt - t.lastAudibleAt;
    // The engine's reply to this turn: the last one whose VAD release came after the caller began these words
    // and before the reply arrived. The release can precede the caller's last audible sample: a trailing
    // fricative ("surpassed") is loud but not voiced speech to the VAD.
    const m =
      t.replyAt === null
        ? undefined
        : metrics.filter((x) => epoch(x.vad_end_at) > t.firstAudibleAt && epoch(x.vad_end_at) < t.replyAt!).at(-1);
    if (!m) unmatched++;
    const stt = m?.stt_ms ?? null,
      recognizer = m?.recognizer_ms ?? null,
      llmMs = m?.llm_first_token_ms ?? null,
      tts = m?.tts_first_audio_ms ?? null;
    return {
      wav: t.wav,
      wire,
      vad_tail: m ? epoch(m.vad_end_at) - t.lastAudibleAt : null,
      endpointing: m && m.vad_end_at !== undefined ? m.endpointing_ms - m.vad_tail_ms : null,
      preempt: m ? m.preempt_ms - m.vad_tail_ms : null,
      stt,
      recognizer,
      llm_first_token: llmMs,
      tts_first_audio: tts,
      hold: m?.hold_ms ?? null,
      playout: m?.sent_at != null && t.replyAt !== null ? t.replyAt - epoch(m.sent_at) + (m.playout_ms ?? 0) : null,
      // Issue #14's engine overhead: wire − the recognizer's own time (end of speech → its text) − model − voice.
      overhead: wire !== null && m ? wire - (recognizer ?? 0) - (llmMs ?? 0) - (tts ?? 0) : null,
      // Stricter: recognition counted only from our decision, so the turn-taking wait is overhead too.
      overhead_after_decision: wire !== null && m ? wire - (stt ?? 0) - (llmMs ?? 0) - (tts ?? 0) : null,
      // The engine's own figure (its estimate of speech end → the tick that sent the first audible sample).
      engine_v2v: m?.voice_to_voice_ms ?? null,
      // What the bench reported before issue #14: the VAD's release → the tick that sent the reply's first sample.
      old_internal: m?.sent_at != null ? m.sent_at - m.vad_end_at : null,
    };
  });
  return { rows, caller, unmatched, enginePort };
}

const sorted = (v: (number | null)[]): number[] =>
  v.filter((x): x is number => typeof x === "number").sort((a, b) => a - b);
const cells = (v: number[]): (string | number)[] => [
  v.length,
  percentile(v, 50).toFixed(1),
  percentile(v, 95).toFixed(1),
  v.length ? v.at(-1)!.toFixed(1) : "NaN",
];

/** Table rows (label, stage, turns, p50, p95, max) for every stage, each utterance's wire time, barge-ins and unanswered turns. */
export function stageRows(label: string, runs: Conversation[]): (string | number)[][] {
  const rows = runs.flatMap((r) => r.rows);
  const out: (string | number)[][] = STAGES.map((s) => [label, s, ...cells(sorted(rows.map((r) => r[s])))]);
  // The long utterance (LJ001-0001, 9.7 s) is where a recognizer falls behind: show each apart.
  for (const wav of [...new Set(rows.map((r) => r.wav))].sort())
    out.push([
      label,
      `wire, ${wav.replace(/^en-ljspeech-/, "").replace(/\.wav$/, "")}`,
      ...cells(sorted(rows.filter((r) => r.wav === wav).map((r) => r.wire))),
    ]);
  const b = runs.flatMap((r) => r.caller.bargeIns).map((x) => (x.stoppedAt === null ? null : x.stoppedAt - x.startAt));
  const bv = sorted(b);
  out.push([label, "barge-in (wire)", `${bv.length}/${b.length}`, ...cells(bv).slice(1)]);
  const unanswered = runs.flatMap((r) => r.caller.turns).filter((t) => t.replyAt === null).length;
  out.push([label, "unanswered / unmatched", rows.length, unanswered, runs.reduce((a, r) => a + r.unmatched, 0), ""]);
  return out;
}

/** p95 of the on-the-wire voice-to-voice time over every turn of `runs`; an unanswered turn counts as infinite. */
export function wireP95(runs: Conversation[]): number {
  const v = runs.flatMap((r) => r.rows).map((r) => r.wire ?? Infinity);
  return percentile(
    v.sort((a, b) => a - b),
    95,
  );
}
