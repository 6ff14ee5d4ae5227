// `npm run bench -- voice [--turns 20] [--concurrent 4]`: voice-to-voice latency of the local pipeline.
// Each turn: the caller (a real RTP session over loopback) says "in being comparatively modern" (LJ Speech,
// 1.9 s); Silero VAD + turn-taking end the turn, PocketSphinx transcribes, a local OpenAI-compatible
// server answers with a fixed 300 ms to first token, Flite (kal) speaks, and the reply's first RTP packet
// ends the measurement. Runs alone, then with N calls at once; RTP pacing is the media worker's clock lateness (reset per phase).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEngine } from "../main/engine/index.js";
import { mediaWorker } from "../main/engine/media/worker/host.js";
import { startLlmServer } from "../test/support/llm-server.js";
import { rtpPair } from "../test/support/rtp-peer.js";
import { readWav, toTelephoneWav } from "../test/support/audio.js";
import { SHARED } from "../test/support/kamailio.js";
import { option, percentile, table } from "./lib-stats.js";

const STAGES = [
  "endpointing_ms",
  "preempt_ms",
  "stt_ms",
  "llm_first_token_ms",
  "tts_first_audio_ms",
  "voice_to_voice_ms",
  "overhead_ms",
] as const;
type Turn = Record<(typeof STAGES)[number], number>;

export async function run(args: string[]): Promise<void> {
  const turns = option(args, "turns", 20);
  const concurrent = option(args, "concurrent", 4);
  const dir = mkdtempSync(join(tmpdir(), "bench-voice-"));
  const speechWav = join(dir, "speech.wav");
  toTelephoneWav(join(SHARED, "audio", "en-ljspeech-LJ001-0002.wav"), speechWav, 0, 0);
  const speech = readWav(speechWav).samples;
  const llm = await startLlmServer(() => ({ text: "Okay, noted.", firstTokenMs: 300 }));
  const engine = await createEngine({
    dataDir: dir,
    port: 0,
    sipPort: null,
    logLevel: "silent",
    apiKey: "vd_bench_voice_key_0000000000",
  });
  await engine.start();
  let seq = 0;

  async function conversation(n: number): Promise<Turn[]> {
    const id = `call_bench_${++seq}`;
    engine.calls.create({
      id,
      status: "connecting",
      direction: "inbound",
      assistant_config: {
        name: "Bench",
        stt_config: { provider: "pocketsphinx", language: "en" },
        llm_config: { provider: "openai_compatible", model: "bench", base_url: llm.url },
        tts_config: { provider: "local", voice_id: "flite-kal" },
      },
    });
    engine.calls.transition(id, "in-progress");
    const pair = await rtpPair();
    engine.calls.liveCall(id)!.answer(pair.leg);
    const replies = () => engine.store.calls.get(id)!.messages.filter((m) => m.role === "assistant").length;
    for (let i = 0; i < n; i++) {
      const before = replies();
      pair.caller.play(speech);
      const deadline = Date.now() + 30_000;
      while (replies() === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 300));
    }
    engine.calls.transition(id, "ended", { end_reason: "user_hangup" });
    pair.close();
    return engine.store.calls
      .events(id)
      .filter((e) => e.type === "turn")
      .map((e) => e.data as unknown as Turn);
  }

  const rows: (string | number)[][] = [];
  const summarize = (label: string, ts: Turn[], pacing: { p50: number; p99: number }) => {
    for (const s of STAGES) {
      const v = ts
        .map((t) => t[s])
        .filter((x): x is number => typeof x === "number")
        .sort((a, b) => a - b);
      rows.push([label, s.replace(/_ms$/, ""), v.length, percentile(v, 50).toFixed(1), percentile(v, 95).toFixed(1)]);
    }
    rows.push([label, "rtp pacing lateness", "", pacing.p50.toFixed(2), `p99 ${pacing.p99.toFixed(2)}`]);
  };

  await conversation(1); // warm-up: model load, worker start
  await mediaWorker.clockStats(true);
  const alone = await conversation(turns);
  summarize("1 call", alone, await mediaWorker.clockStats(true));
  const together = (
    await Promise.all(Array.from({ length: concurrent }, () => conversation(Math.ceil(turns / concurrent))))
  ).flat();
  summarize(`${concurrent} calls`, together, await mediaWorker.clockStats(true));
  console.log(table(["load", "stage", "turns", "p50 ms", "p95 ms"], rows));
  await engine.stop();
  await llm.close();
}
