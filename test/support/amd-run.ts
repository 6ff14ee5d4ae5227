import { SileroVad } from "../../main/engine/voice/vad.js";
import { AnsweringMachineDetector, type AmdDecision, type MessageCue } from "../../main/engine/voice/amd/detector.js";
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
  let vad: SileroVad | null = null;
  const detector = new AnsweringMachineDetector(
    (onP) => (vad = new SileroVad((p) => onP(p))),
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
  let transcribed = false;
  for (let off = 0; off + FRAME <= samples.length; off += FRAME) {
    detector.push(samples.subarray(off, off + FRAME));
    // Let the VAD keep up frame by frame, as it does live (inference takes ~0.2 ms of each 20 ms).
    await (vad as unknown as { chain: Promise<void> } | null)?.chain;
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
