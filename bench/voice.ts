// `npm run bench -- voice [--turns 20] [--concurrent 4] [--barge-ins 3]`: voice-to-voice latency as the
// caller hears it (issue #14). The caller is a separate process (bench/lib-voice-caller.ts: dgram + PCMU)
// that says LJ Speech sentences over RTP to the engine's call leg and times every packet on arrival; a
// turn is the caller's last audible sample → the first audible sample of the reply that comes back.
// Per-stage figures come from the engine's TurnMetrics of the same turn (all measured, none configured);
// the assistant is the local one: Silero VAD, PocketSphinx, Flite kal, an LLM double with 300 ms to first
// token that answers with one or two sentences.
import { fork } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createEngine } from "../main/engine/index.js";
import { RtpSession } from "../main/engine/media/rtp-session.js";
import { PCMU } from "../main/engine/media/codecs/g711.js";
import { rtpCallAudio } from "../main/engine/media/call-audio.js";
import { mediaWorker } from "../main/engine/media/worker/host.js";
import type { CallLeg } from "../main/engine/calls/control.js";
import type { TurnMetrics } from "../main/engine/voice/session.js";
import { startLlmServer } from "../test/support/llm-server.js";
import { toTelephoneWav } from "../test/support/audio.js";
import { SHARED } from "../test/support/kamailio.js";
import { option, percentile, table } from "./lib-stats.js";
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
const STAGES = [
  "wire",
  "vad_tail",
  "endpointing",
  "preempt",
  "stt",
  "llm_first_token",
  "tts_first_audio",
  "hold",
  "playout",
  "overhead",
] as const;
type Row = Record<(typeof STAGES)[number], number | null> & { wav: string };

export async function run(args: string[]): Promise<void> {
  const turns = option(args, "turns", 20);
  const concurrent = option(args, "concurrent", 4);
  const bargeIns = option(args, "barge-ins", 3);
  const dir = mkdtempSync(join(tmpdir(), "bench-voice-"));
  const wavs = UTTERANCES.map((f) => {
    const out = join(dir, f);
    toTelephoneWav(join(SHARED, "audio", f), out, 0, 0);
    return out;
  });
  let replyNo = 0;
  const llm = await startLlmServer(() => ({
    text: REPLIES[replyNo++ % REPLIES.length],
    firstTokenMs: 300,
    chunkMs: 15,
  }));
  const engine = await createEngine({
    dataDir: dir,
    port: 0,
    sipPort: null,
    logLevel: "silent",
    apiKey: "vd_bench_voice_key_0000000000",
  });
  await engine.start();
  let seq = 0;

  async function conversation(
    n: number,
    barge: number,
  ): Promise<{ rows: Row[]; caller: CallerResult; unmatched: number }> {
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
    const child = fork(fileURLToPath(new URL("./lib-voice-caller.ts", import.meta.url)), [], {
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const callerPort = await new Promise<number>((r) => child.once("message", (m: { port: number }) => r(m.port)));
    const ours = new RtpSession();
    const ourPort = await ours.open("127.0.0.1", { min: 30000, max: 39998 });
    ours.configure({ address: "127.0.0.1", port: callerPort }, PCMU, 0, 101);
    const leg: CallLeg = {
      audio: rtpCallAudio(ours),
      hangup: async () => {},
      transfer: async () => ({ method: "refer" as const, ok: false }),
      tap: () => rtpCallAudio(ours),
      sendDtmf: () => false,
    };
    engine.calls.liveCall(id)!.answer(leg);
    const script: CallerScript = {
      enginePort: ourPort,
      wavs,
      turns: n,
      bargeIns: barge,
      thresholdDbfs: THRESHOLD_DBFS,
    };
    const done = new Promise<CallerResult>((resolve, reject) =>
      child.once("message", (m: { result?: CallerResult; error?: string }) =>
        m.result ? resolve(m.result) : reject(new Error(m.error)),
      ),
    );
    child.send(script);
    const caller = await done;
    engine.calls.transition(id, "ended", { end_reason: "user_hangup" });
    ours.close();
    const metrics = engine.store.calls
      .events(id)
      .filter((e) => e.type === "turn")
      .map((e) => e.data as unknown as TurnMetrics);
    // Engine times are this process's performance.now(); the caller's are epoch ms.
    const epoch = (t: number) => performance.timeOrigin + t;
    let unmatched = 0;
    const rows: Row[] = caller.turns.map((t) => {
      const wire = t.replyAt === null ? null : t.replyAt - t.lastAudibleAt;
      // The engine's reply to this turn: the last one whose speech ended after the caller's words and before the reply arrived.
      const m =
        t.replyAt === null
          ? undefined
          : metrics.filter((x) => epoch(x.vad_end_at) > t.lastAudibleAt && epoch(x.vad_end_at) < t.replyAt!).at(-1);
      if (!m) unmatched++;
      const stt = m?.stt_ms ?? null,
        llmMs = m?.llm_first_token_ms ?? null,
        tts = m?.tts_first_audio_ms ?? null;
      return {
        wav: t.wav,
        wire,
        vad_tail: m ? epoch(m.vad_end_at) - t.lastAudibleAt : null,
        endpointing: m && m.vad_end_at !== undefined ? m.endpointing_ms - m.vad_tail_ms : null,
        preempt: m ? m.preempt_ms - m.vad_tail_ms : null,
        stt,
        llm_first_token: llmMs,
        tts_first_audio: tts,
        hold: m?.hold_ms ?? null,
        playout: m?.sent_at != null && t.replyAt !== null ? t.replyAt - epoch(m.sent_at) + (m.playout_ms ?? 0) : null,
        overhead: wire !== null && m ? wire - (stt ?? 0) - (llmMs ?? 0) - (tts ?? 0) : null,
      };
    });
    child.kill();
    return { rows, caller, unmatched };
  }

  const out: (string | number)[][] = [];
  const summarize = (
    label: string,
    runs: Awaited<ReturnType<typeof conversation>>[],
    pacing: { p50: number; p99: number },
  ) => {
    const rows = runs.flatMap((r) => r.rows);
    for (const s of STAGES) {
      const v = rows
        .map((r) => r[s])
        .filter((x): x is number => typeof x === "number")
        .sort((a, b) => a - b);
      out.push([
        label,
        s,
        v.length,
        percentile(v, 50).toFixed(1),
        percentile(v, 95).toFixed(1),
        v.length ? v.at(-1)!.toFixed(1) : "NaN",
      ]);
    }
    // The long utterance (LJ001-0001, 9.7 s) is where a recognizer falls behind: show each apart.
    for (const wav of [...new Set(rows.map((r) => r.wav))].sort()) {
      const v = rows
        .filter((r) => r.wav === wav)
        .map((r) => r.wire)
        .filter((x): x is number => x !== null)
        .sort((a, b) => a - b);
      out.push([
        label,
        `wire, ${wav.replace(/^en-ljspeech-/, "").replace(/\.wav$/, "")}`,
        v.length,
        percentile(v, 50).toFixed(1),
        percentile(v, 95).toFixed(1),
        v.length ? v.at(-1)!.toFixed(1) : "NaN",
      ]);
    }
    const b = runs
      .flatMap((r) => r.caller.bargeIns)
      .map((x) => (x.stoppedAt === null ? null : x.stoppedAt - x.startAt));
    const bv = b.filter((x): x is number => x !== null).sort((x, y) => x - y);
    out.push([
      label,
      "barge-in (wire)",
      `${bv.length}/${b.length}`,
      percentile(bv, 50).toFixed(1),
      percentile(bv, 95).toFixed(1),
      bv.length ? bv.at(-1)!.toFixed(1) : "NaN",
    ]);
    const unanswered = runs.flatMap((r) => r.caller.turns).filter((t) => t.replyAt === null).length;
    out.push([label, "unanswered / unmatched", rows.length, unanswered, runs.reduce((a, r) => a + r.unmatched, 0), ""]);
    out.push([label, "rtp pacing lateness (worker)", "", pacing.p50.toFixed(2), `p99 ${pacing.p99.toFixed(2)}`, ""]);
  };

  await conversation(1, 0); // warm-up: models, workers, PocketSphinx
  await mediaWorker.clockStats(true);
  const alone = await conversation(turns, bargeIns);
  summarize("1 call", [alone], await mediaWorker.clockStats(true));
  const together = await Promise.all(
    Array.from({ length: concurrent }, () => conversation(Math.ceil(turns / concurrent), 1)),
  );
  summarize(`${concurrent} calls`, together, await mediaWorker.clockStats(true));
  console.log(table(["load", "stage (ms)", "turns", "p50", "p95", "max"], out));
  await engine.stop();
  await llm.close();
}
