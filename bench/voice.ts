// `npm run bench -- voice [--turns 20] [--concurrent 4] [--barge-ins 3]`: voice-to-voice latency as the
// caller hears it (issue #14), with 1 call and with `--concurrent` calls at once. The call, the caller
// process and the stages are bench/lib-voice-call.ts; the assistant is the local one: Silero VAD,
// PocketSphinx, Flite kal, an LLM double with 300 ms to first token that answers with one or two sentences.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEngine } from "../main/engine/index.js";
import { mediaWorker } from "../main/engine/media/worker/host.js";
import { option, table } from "./lib-stats.js";
import { callerWavs, conversation, replyLlm, stageRows } from "./lib-voice-call.js";

export async function run(args: string[]): Promise<void> {
  const turns = option(args, "turns", 20);
  const concurrent = option(args, "concurrent", 4);
  const bargeIns = option(args, "barge-ins", 3);
  const dir = mkdtempSync(join(tmpdir(), "bench-voice-"));
  const wavs = callerWavs(dir);
  const llm = await replyLlm();
  const engine = await createEngine({
    dataDir: dir,
    port: 0,
    sipPort: null,
    logLevel: "silent",
    apiKey: "vd_bench_voice_key_0000000000",
  });
  await engine.start();
  const call = (n: number, barge: number) => conversation(engine, llm.url, wavs, n, barge);

  const out: (string | number)[][] = [];
  const pacingRow = (label: string, p: { p50: number; p99: number }) =>
    out.push([label, "rtp pacing lateness (worker)", "", p.p50.toFixed(2), `p99 ${p.p99.toFixed(2)}`, ""]);
  await call(1, 0); // warm-up: models, workers, PocketSphinx
  await mediaWorker.clockStats(true);
  out.push(...stageRows("1 call", [await call(turns, bargeIns)]));
  pacingRow("1 call", await mediaWorker.clockStats(true));
  const together = await Promise.all(Array.from({ length: concurrent }, () => call(Math.ceil(turns / concurrent), 1)));
  out.push(...stageRows(`${concurrent} calls`, together));
  pacingRow(`${concurrent} calls`, await mediaWorker.clockStats(true));
  console.log(table(["load", "stage (ms)", "turns", "p50", "p95", "max"], out));
  await engine.stop();
  await llm.close();
}
