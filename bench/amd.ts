// `npm run bench -- amd`: voicemail (answering-machine) detection on the generated labelled set
// (test/support/amd-corpus.ts), through the real Silero VAD in simulated time: accuracy, the confusion
// matrix, decision times and beep-to-message, once on timing and beeps alone and once with the first
// utterance's transcript (the reference text standing in for a recognizer; see test/support/amd-run.ts).
import { cpus } from "node:os";
import { amdCorpus } from "../test/support/amd-corpus.js";
import { REFERENCE_TRANSCRIPTS, runItem, summarize, type AmdRun } from "../test/support/amd-run.js";
import { prepareMessage } from "../main/engine/voice/amd/message.js";
import { FliteTts } from "../main/engine/providers/tts/flite.js";
import { table } from "./lib-stats.js";

const MESSAGE = "Hi, this is the dental practice calling about your appointment tomorrow. Please call us back.";

export async function run(): Promise<void> {
  let started = performance.now();
  const items = await amdCorpus();
  const corpusMs = performance.now() - started;
  const tts = new FliteTts("flite-kal");
  await prepareMessage(tts, "Warm up.", 8000, AbortSignal.timeout(10_000));
  started = performance.now();
  await prepareMessage(tts, MESSAGE, 8000, AbortSignal.timeout(10_000));
  const synthMs = performance.now() - started;
  const machines = items.filter((i) => i.label === "machine").length;
  console.log(
    `${items.length} items (${machines} machines, ${items.length - machines} people; ` +
      `${items.filter((i) => i.beep).length} with a beep), corpus ready in ${(corpusMs / 1000).toFixed(1)} s; ` +
      `${cpus().length} cores; message synthesis (Flite kal) ${synthMs.toFixed(0)} ms`,
  );
  const rows: (string | number)[][] = [];
  const confusion: (string | number)[][] = [];
  for (const [name, transcripts] of [
    ["timing + beep", null],
    ["timing + beep + transcript", REFERENCE_TRANSCRIPTS],
  ] as const) {
    started = performance.now();
    const runs: AmdRun[] = [];
    for (const item of items) runs.push(await runItem(item, transcripts));
    const wallMs = performance.now() - started;
    const s = summarize(runs, synthMs);
    rows.push([
      name,
      `${(s.accuracy * 100).toFixed(1)} %`,
      `${(s.humanAsMachineRate * 100).toFixed(1)} %`,
      `${s.human.p50.toFixed(0)} / ${s.human.p95.toFixed(0)}`,
      `${s.humanFromFirstSound.p50.toFixed(0)} / ${s.humanFromFirstSound.p95.toFixed(0)}`,
      `${s.machine.p50.toFixed(0)} / ${s.machine.p95.toFixed(0)}`,
      `${s.machineFromAnswer.p50.toFixed(0)} / ${s.machineFromAnswer.p95.toFixed(0)}`,
      `${s.beepToMessage.p50.toFixed(0)} / ${s.beepToMessage.p95.toFixed(0)} (n=${s.beepToMessage.n})`,
      `${((wallMs / runs.length) | 0).toString()} ms`,
    ]);
    for (const truth of ["human", "machine"] as const)
      confusion.push([
        name,
        truth,
        s.confusion[truth].human,
        s.confusion[truth].machine,
        s.confusion[truth].screening,
        s.confusion[truth].unknown,
      ]);
  }
  console.log(
    table(
      [
        "detector",
        "accuracy",
        "human→machine",
        "human decision p50/p95 ms (after last word)",
        "human p50/p95 ms (after first sound)",
        "machine decision p50/p95 ms (after greeting start)",
        "machine p50/p95 ms (after answer)",
        "beep→message p50/p95 ms",
        "wall per item",
      ],
      rows,
    ),
  );
  console.log();
  console.log(
    table(["detector", "truth", "→ human", "→ machine", "→ screening", "→ unknown (acted on as human)"], confusion),
  );
}
