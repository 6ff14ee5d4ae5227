// `npm run bench -- media [--calls 10,50,100,200] [--seconds 10] [--assistants 2] [--capacity 1,2,3,4]
// [--capacity-turns 6]`: N concurrent calls with PCMU RTP through the engine, beside a few assistant calls,
// timed at the receiver; then what one machine carries (issue #14 point 3).
//
// The engine places N outbound calls through a SIP trunk to one sipp UAS that echoes RTP (`-rtp_echo`);
// on every call it plays speech and receives the echo. Beside them, `--assistants` calls run the whole
// local assistant (Silero VAD, PocketSphinx, a 300 ms-to-first-token LLM double, Flite) against a caller
// that speaks every few seconds. Every packet we send is timestamped by tcpdump (a separate process; the
// kernel's time as the packet crosses loopback), not inside the engine. Per N: send-interval deviation
// from 20 ms (p50/p99/max over every packet of every call, and the worst call's p99), gaps ≥ 40 ms, the
// media worker's tick lateness, the main thread's event-loop delay, the engine's CPU per call and its
// memory growth per call.
//
// Capacity: the largest N above whose send-interval p99 is ≤ 2 ms; then K = 1, 2, 3… concurrent assistant
// calls alone (bench/lib-voice-call.ts: a caller process per call that talks and times each reply on
// arrival; tcpdump times our packets), and the largest K whose every call keeps pacing p99 ≤ 5 ms and
// whose turns keep voice-to-voice p95 ≤ 1.2 s on the wire, with CPU (the engine and its PocketSphinx
// processes) and memory per call.
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { createEngine } from "../main/engine/index.js";
import { mediaWorker } from "../main/engine/media/worker/host.js";
import { readWav, toTelephoneWav } from "../test/support/audio.js";
import { SHARED } from "../test/support/kamailio.js";
import { freeUdpPort } from "../test/support/ports.js";
import { startLlmServer } from "../test/support/llm-server.js";
import { rtpPair } from "../test/support/rtp-peer.js";
import { pacing, startCapture, type WirePacket } from "../test/support/wire-capture.js";
import { option, percentile, table } from "./lib-stats.js";
import {
  callerWavs,
  conversation,
  ENGINE_PORTS,
  replyLlm,
  startAssistantCall,
  wireP95,
  type Conversation,
} from "./lib-voice-call.js";
import { processUsage } from "./lib-proc.js";

/** Issue #14's capacity limits. */
const MEDIA_P99_MS = 2;
const ASSISTANT_P99_MS = 5;
const ASSISTANT_WIRE_P95_MS = 1200;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Pacing over many calls: every packet's deviation together, plus the worst single call. */
function summarize(streams: WirePacket[][]): {
  packets: number;
  p50: number;
  p99: number;
  max: number;
  holes: number;
  worstP99: number;
} {
  const dev: number[] = [];
  let holes = 0;
  let worstP99 = 0;
  for (const s of streams) {
    for (let i = 1; i < s.length; i++) dev.push(Math.abs(s[i].atMs - s[i - 1].atMs - 20));
    const p = pacing(s);
    holes += p.holes40;
    if (p.packets > 1) worstP99 = Math.max(worstP99, p.p99);
  }
  dev.sort((a, b) => a - b);
  return {
    packets: dev.length + streams.length,
    p50: percentile(dev, 50),
    p99: percentile(dev, 99),
    max: dev.at(-1) ?? NaN,
    holes,
    worstP99,
  };
}

const byPort = (packets: WirePacket[]): WirePacket[][] => {
  const m = new Map<number, WirePacket[]>();
  for (const p of packets) {
    let a = m.get(p.srcPort);
    if (!a) m.set(p.srcPort, (a = []));
    a.push(p);
  }
  return [...m.values()];
};

const list = (args: string[], name: string, fallback: string): number[] => {
  const at = args.indexOf(`--${name}`);
  return (at >= 0 ? args[at + 1] : fallback).split(",").filter(Boolean).map(Number);
};

export async function run(args: string[]): Promise<void> {
  const counts = list(args, "calls", "10,50,100,200");
  const capacity = list(args, "capacity", "1,2,3,4");
  const capacityTurns = option(args, "capacity-turns", 6);
  const seconds = option(args, "seconds", 10);
  const assistants = option(args, "assistants", 2);
  const dir = mkdtempSync(join(tmpdir(), "bench-media-"));
  const wav = join(dir, "speech.wav");
  toTelephoneWav(join(SHARED, "audio", "en-ljspeech-LJ001-0001.wav"), wav, 0, 0);
  const speech = readWav(wav).samples;
  const utteranceWav = join(dir, "utterance.wav");
  toTelephoneWav(join(SHARED, "audio", "en-ljspeech-LJ001-0002.wav"), utteranceWav, 0, 0);
  const utterance = readWav(utteranceWav).samples;

  const sipPort = await freeUdpPort();
  const mediaPort = await freeUdpPort(false);
  const total = counts.reduce((a, b) => a + b, 0);
  const sipp = spawn(
    "sipp",
    [
      "-sn",
      "uas",
      "-i",
      "127.0.0.1",
      "-p",
      String(sipPort),
      "-mp",
      String(mediaPort),
      "-rtp_echo",
      "-m",
      String(total),
      "-nostdin",
      "-timeout",
      "600s",
    ],
    { stdio: "ignore" },
  );
  await sleep(500);
  const llm = await startLlmServer(() => ({
    text: "Okay, noted. Is there anything else I can do for you?",
    firstTokenMs: 300,
  }));
  const engine = await createEngine({
    dataDir: dir,
    port: 0,
    sipPort: 0,
    logLevel: "silent",
    apiKey: "vd_bench_media_key_00000000000",
    rateLimitPerMinute: 1_000_000,
  });
  await engine.start();
  const api = (path: string, body: unknown) =>
    fetch(`${engine.url}/api/v1${path}`, {
      method: "POST",
      headers: { authorization: "Bearer vd_bench_media_key_00000000000", "content-type": "application/json" },
      body: JSON.stringify(body),
    }).then((r) => r.json() as Promise<any>);
  const trunk = (await api("/sip-trunks", { name: "sipp", host: "127.0.0.1", port: sipPort })).trunk;
  const assistant = (await api("/assistants", { name: "Echo" })).assistant;
  await api("/numbers", { phone_number: "+31850835037", assistant_id: assistant.id, sip_trunk_id: trunk.id });
  while (!engine.telephony!.stack.hasTrunk(trunk.id)) await sleep(50);

  // Assistant calls: a caller that says one sentence every 4 s, for the whole run.
  const talking: { ourPort: number; stop(): void }[] = [];
  for (let i = 0; i < assistants; i++) {
    const id = `call_bench_assistant_${i}`;
    startAssistantCall(engine, id, llm.url, "Hello, this is the benchmark line.");
    const pair = await rtpPair();
    engine.calls.liveCall(id)!.answer(pair.leg);
    const timer = setInterval(() => pair.caller.play(utterance), 4000 + 500 * i);
    talking.push({
      ourPort: pair.ourPort,
      stop: () => {
        clearInterval(timer);
        engine.calls.transition(id, "ended", { end_reason: "user_hangup" });
        pair.close();
      },
    });
  }

  const echoed = new Map<string, number>();
  engine.telephony!.onAnswered = (callId, _leg, rtp) => {
    echoed.set(callId, 0);
    rtp.on("frame", () => echoed.set(callId, (echoed.get(callId) ?? 0) + 1));
    for (let i = 0; i < 4; i++) rtp.play(speech);
  };

  const rows: (string | number)[][] = [];
  let mediaCapacity = 0;
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  // The histogram records whole sampling intervals: the delay is what exceeds the 10 ms resolution.
  const ms = (ns: number) => Math.max(0, ns / 1e6 - 10).toFixed(2);
  for (const n of counts) {
    echoed.clear();
    const ids: string[] = [];
    for (let i = 0; i < n; i++)
      ids.push((await api("/calls/outbound", { destination: "+31612345678", assistant_id: assistant.id })).call_id);
    const rss0 = process.memoryUsage().rss;
    const deadline = Date.now() + 30_000;
    while (echoed.size < n && Date.now() < deadline) await sleep(100);
    await sleep(1000);
    const ports = talking.map((c) => `src port ${c.ourPort}`);
    const capture = await startCapture(
      `udp and (dst port ${mediaPort}${ports.length ? " or " + ports.join(" or ") : ""})`,
    );
    await mediaWorker.clockStats(true);
    loop.reset();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await sleep(seconds * 1000);
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const tick = await mediaWorker.clockStats(true);
    const loopRow = [ms(loop.percentile(50)), ms(loop.percentile(99)), ms(loop.max)];
    const wire = await capture.stop();
    const assistantPorts = new Set(talking.map((c) => c.ourPort));
    const media = summarize(byPort(wire.filter((p) => p.dstPort === mediaPort)));
    const withAssistant = summarize(byPort(wire.filter((p) => assistantPorts.has(p.srcPort))));
    const cpuPerCall = ((cpu.user + cpu.system) / 1000 / wall / Math.max(1, echoed.size + assistants)) * 100;
    const mbPerCall = (process.memoryUsage().rss - rss0) / 2 ** 20 / Math.max(1, n);
    if (media.p99 <= MEDIA_P99_MS) mediaCapacity = Math.max(mediaCapacity, n);
    const withEcho = [...echoed.values()].filter((v) => v > 0).length;
    const f = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "–");
    rows.push([
      `${n} media`,
      `${echoed.size}/${withEcho}`,
      media.packets,
      f(media.p50),
      f(media.p99),
      f(media.max),
      f(media.worstP99),
      media.holes,
      f(tick.p99),
      ...loopRow,
      cpuPerCall.toFixed(2),
      mbPerCall.toFixed(2),
    ]);
    if (assistants)
      rows.push([
        `+${assistants} assistant`,
        "",
        withAssistant.packets,
        f(withAssistant.p50),
        f(withAssistant.p99),
        f(withAssistant.max),
        f(withAssistant.worstP99),
        withAssistant.holes,
        "",
        "",
        "",
        "",
        "",
        "",
      ]);
    await Promise.all(ids.map((id) => api(`/calls/${id}/control`, { type: "end-call" }).catch(() => undefined)));
    await sleep(2000);
  }
  loop.disable();
  console.log(
    table(
      [
        "calls",
        "answered/echo",
        "packets",
        "dev p50 ms",
        "p99 ms",
        "max ms",
        "worst call p99",
        "gaps ≥40 ms",
        "worker tick late p99",
        "main loop delay p50",
        "p99",
        "max",
        "engine CPU %/call",
        "RSS growth MB/call",
      ],
      rows,
    ),
  );
  console.log(`media worker priority: ${(await mediaWorker.clockStats()).priority}`);
  for (const c of talking) c.stop();

  // Capacity with assistants: K concurrent assistant calls and nothing else.
  const voiceLlm = await replyLlm();
  const wavs = callerWavs(dir);
  const capRows: (string | number)[][] = [];
  let assistantCapacity = 0;
  let perCall = { cpu: NaN, mb: NaN };
  if (capacity.length) await conversation(engine, voiceLlm.url, wavs, 1, 0); // warm-up
  for (const k of capacity) {
    await sleep(2000);
    const capture = await startCapture(`udp and src portrange ${ENGINE_PORTS.min}-${ENGINE_PORTS.max}`);
    const usage = processUsage();
    const t0 = performance.now();
    const runs: Conversation[] = await Promise.all(
      Array.from({ length: k }, () => conversation(engine, voiceLlm.url, wavs, capacityTurns, 0)),
    );
    const seconds = (performance.now() - t0) / 1000;
    const u = usage.stop();
    const wire = await capture.stop();
    const calls = runs.map((r) => pacing(wire.filter((p) => p.srcPort === r.enginePort)));
    const worst = calls.reduce((a, c) => (c.p99 > a.p99 ? c : a), calls[0]);
    const largest = Math.max(...calls.map((c) => c.max));
    const p95 = wireP95(runs);
    const turnsAll = runs.flatMap((r) => r.rows);
    const unanswered = turnsAll.filter((r) => r.wire === null).length;
    const within = calls.every((c) => c.p99 <= ASSISTANT_P99_MS) && p95 <= ASSISTANT_WIRE_P95_MS;
    if (within && k > assistantCapacity) {
      assistantCapacity = k;
      perCall = { cpu: u.cpuPct / k, mb: (u.engineRssGrowthMb + u.childRssMb) / k };
    }
    const v = turnsAll.map((r) => r.wire ?? Infinity).sort((a, b) => a - b);
    capRows.push([
      k,
      seconds.toFixed(0),
      `${turnsAll.length - unanswered}/${turnsAll.length}`,
      percentile(v, 50).toFixed(1),
      p95.toFixed(1),
      worst.p99.toFixed(2),
      largest.toFixed(2),
      calls.reduce((a, c) => a + c.holes40, 0),
      (u.cpuPct / k).toFixed(1),
      (u.engineRssGrowthMb / k).toFixed(1),
      (u.childRssMb / k).toFixed(1),
      within ? "yes" : "no",
    ]);
  }
  await voiceLlm.close();
  if (capacity.length)
    console.log(
      "\n" +
        table(
          [
            "assistant calls",
            "s",
            "answered",
            "wire v2v p50 ms",
            "p95 ms",
            "worst call pacing p99 ms",
            "largest ms",
            "gaps ≥40 ms",
            "CPU %/call (engine + recognizer)",
            "engine RSS growth MB/call",
            "recognizer RSS MB/call",
            "within limits",
          ],
          capRows,
        ),
    );
  const assistantLine = !capacity.length
    ? ""
    : `; ${assistantCapacity || "none"} of the assistant-call counts tried (${capacity.join(", ")}) kept every ` +
      `call's pacing p99 ≤ ${ASSISTANT_P99_MS} ms and voice-to-voice p95 ≤ ${ASSISTANT_WIRE_P95_MS} ms on the wire` +
      (assistantCapacity
        ? ` (at that load: ${perCall.cpu.toFixed(1)} % of a core and ${perCall.mb.toFixed(1)} MB per assistant call)`
        : "");
  console.log(
    `\ncapacity of this machine: ${mediaCapacity || "none"} of the media-only counts tried (${counts.join(", ")}) ` +
      `kept send-interval p99 ≤ ${MEDIA_P99_MS} ms${assistantLine}`,
  );
  await engine.stop();
  await llm.close();
  sipp.kill("SIGKILL");
}
