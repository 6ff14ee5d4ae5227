import { SileroVad } from "../../main/engine/voice/vad-thread/silero.js";
import {
  AnsweringMachineDetector,
  type AmdDecision,
  type AmdResult,
  type MessageCue,
} from "../../main/engine/voice/amd/detector.js";
import { itemSamples, type AmdItem } from "./amd-corpus.js";

/**
 * Runs one labelled item through the detector in simulated time: 20 ms frames as fast as the real Silero
 * VAD scores them, every time in media time (ms since the answer). Shared by the accuracy test and the bench.
 */
export interface AmdRun {
  item: AmdItem;
  decision: AmdDecision;
  /** Decision time against the truth: for people from the end of their first words, for machines from the start of the greeting. */
  latencyMs: number;
  cue: MessageCue | null;
}

const FRAME = 160;

/**
 * A recognizer's transcript of the first utterance and how long after the end of that utterance it
 * arrives; null runs the detector on timing and beeps alone.
 */
export interface TranscriptSource {
  text(item: AmdItem): string | null;
  delayMs: number;
}

/**
 * The reference transcript (the text the synthesizer spoke) standing in for a recognizer that gets the
 * words right, 400 ms after the utterance ends (a streaming recognizer's final result). No local
 * recognizer here reads μ-law espeak (pocketsphinx returns other words) and none reads Dutch.
 */
export const REFERENCE_TRANSCRIPTS: TranscriptSource = { text: (item) => item.text, delayMs: 400 };

export async function runItem(item: AmdItem, transcripts: TranscriptSource | null = null): Promise<AmdRun> {
  const samples = itemSamples(item);
  let decision: AmdDecision | null = null;
  let cue: MessageCue | null = null;
  const detector = new AnsweringMachineDetector(
    {
      decided: (d) => {
        decision = d;
      },
      leaveMessage: (c) => {
        cue = c;
      },
    },
    { expectTranscript: transcripts !== null },
  );
  const vad = new SileroVad((p) => detector.probability(p, vad.windowMs));
  let transcribed = false;
  for (let off = 0; off + FRAME <= samples.length; off += FRAME) {
    const frame = samples.subarray(off, off + FRAME);
    detector.push(frame);
    vad.push(frame);
    // Let the VAD keep up frame by frame, as it does live (inference takes ~0.2 ms of each 20 ms).
    await vad.idle();
    const d = detector.decision as AmdDecision | null;
    // The recognizer hears the first utterance once it ends (the after-greeting silence).
    if (!transcribed && transcripts && !d && detector.nowMs >= item.speechEndMs + transcripts.delayMs) {
      transcribed = true;
      const text = transcripts.text(item);
      if (text !== null) detector.transcript(text);
    }
    if ((d && d.result !== "machine") || cue) break;
  }
  detector.close();
  vad.close();
  const d: AmdDecision = decision ?? {
    result: "unknown",
    reason: "timeout",
    atMs: (samples.length / 8000) * 1000,
    speechStartMs: null,
    greetingMs: 0,
    segments: 0,
  };
  return {
    item,
    decision: d,
    latencyMs: d.atMs - (item.label === "human" ? item.speechEndMs : item.speechStartMs),
    cue,
  };
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const pct = (xs: number[], p: number) => {
  const s = sorted(xs);
  return s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] : NaN;
};

export interface AmdSummary {
  items: number;
  correct: number;
  accuracy: number;
  /** confusion[truth][decision]; `unknown` is acted on as a person. */
  confusion: Record<"human" | "machine", Record<AmdResult, number>>;
  humanAsMachineRate: number;
  human: { p50: number; p95: number; max: number };
  machine: { p50: number; p95: number; max: number };
  /** People measured from the start of their first word rather than the end of their words. */
  humanFromFirstSound: { p50: number; p95: number; max: number };
  /** Machines measured from the answer rather than from the start of the greeting. */
  machineFromAnswer: { p50: number; p95: number; max: number };
  /** Beep end → first message sample on the line, for machines with a beep. */
  beepToMessage: { n: number; p50: number; p95: number; max: number };
}

/**
 * `synthMs`: how long the message's synthesis takes (measured by the caller with the real voice); it
 * starts at the machine decision, and the message starts at the cue or when it is ready, whichever is
 * later, plus one 20 ms frame of playout.
 */
export function summarize(runs: AmdRun[], synthMs: number): AmdSummary {
  const confusion = {
    human: { human: 0, machine: 0, screening: 0, unknown: 0 },
    machine: { human: 0, machine: 0, screening: 0, unknown: 0 },
  };
  for (const r of runs) confusion[r.item.label][r.decision.result]++;
  const correct = runs.filter((r) => (r.decision.result === "machine") === (r.item.label === "machine")).length;
  const stats = (xs: number[]) => ({ p50: pct(xs, 50), p95: pct(xs, 95), max: xs.length ? Math.max(...xs) : NaN });
  const humans = runs.filter((r) => r.item.label === "human");
  const machines = runs.filter((r) => r.item.label === "machine" && r.decision.result === "machine");
  const beeps = machines
    .filter((r) => r.item.beepEndMs !== null && r.cue?.after === "beep")
    .map((r) => Math.max(r.cue!.atMs, r.decision.atMs + synthMs) + 20 - r.item.beepEndMs!);
  return {
    items: runs.length,
    correct,
    accuracy: correct / runs.length,
    confusion,
    humanAsMachineRate: confusion.human.machine / Math.max(1, humans.length),
    human: stats(humans.map((r) => r.latencyMs)),
    humanFromFirstSound: stats(humans.map((r) => r.decision.atMs - r.item.speechStartMs)),
    machine: stats(machines.map((r) => r.latencyMs)),
    machineFromAnswer: stats(machines.map((r) => r.decision.atMs)),
    beepToMessage: { n: beeps.length, ...stats(beeps) },
  };
}
