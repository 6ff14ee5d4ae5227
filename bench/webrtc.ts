// `npm run bench -- webrtc [--codecs pcmu,opus] [--calls 1,4] [--bursts 25] [--period 500] [--idle 3000]`:
// mouth-to-ear latency of a person's call over WebRTC, browser → engine → baresip and back, on loopback, and
// the engine's CPU per WebRTC call (issue #16), per codec of the browser's leg: PCMU, or Opus (the browser
// offers Opus and PCMU, as Chromium does; the engine answers Opus). The SIP leg to baresip is PCMU either way.
//
// Per phase of N calls: N scripted baresips (answermode=auto, each on its own SIP port, trunk, number and
// RTP port range) and N werift "browsers" (test/support/webrtc-browser.ts, in a child process so the
// engine's CPU is its own: bench/lib-webrtc-browsers.ts). The engine places N person's calls
// (POST /calls/outbound, handled_by "person"), each browser joins its call (POST /calls/{id}/webrtc: talk),
// then both ends send 40 ms 1 kHz bursts every `--period` ms, silence between: the browser from its
// microphone (bursts aligned to packets), baresip from its aufile WAV. tcpdump (a separate process, kernel
// timestamps) captures every packet on loopback. A burst's onset is the first sample above LOUD after
// ≥ 100 ms quiet, timed as its packet's time + its index in the packet (1/8 ms a sample):
// - browser → baresip: the browser's send of the onset packet (performance.now() in its process, epoch ms
//   by performance.timeOrigin) → that packet's arrival at baresip's RTP port (tcpdump, decoded PCMU);
// - baresip → browser: baresip's packet leaving its RTP port (tcpdump) → the browser's werift handing the
//   decrypted packet to the page (performance.now() in its process).
// The same packets are found in the capture by RTP SSRC + sequence number (SRTP keeps the header in clear),
// which splits each direction into the browser's own werift (send: app → wire; receive: wire → app) and
// wire to wire (kernel clock at both ends: the engine's share plus loopback).
// Engine CPU: process.cpuUsage() of this process (the engine and its media worker thread; the browsers,
// baresip and tcpdump are other processes), per call, with the SIP leg alone (`--idle` ms, before the
// browser joins) and with the WebRTC leg talking.
import { fork } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createEngine } from "../main/engine/index.js";
import { PCMU } from "../main/engine/media/codecs/g711.js";
import { RtpSession } from "../main/engine/media/rtp-session.js";
import { mediaWorker } from "../main/engine/media/worker/host.js";
import { runBaresip, type Baresip } from "../test/support/baresip.js";
import { freeUdpPort } from "../test/support/ports.js";
import { startCapture, type WirePacket } from "../test/support/wire-capture.js";
import { option, percentile, table } from "./lib-stats.js";
import { processUsage } from "./lib-proc.js";
import {
  burstTrain,
  type FromBrowsers,
  type HeardPacket,
  type SentPacket,
  type ToBrowsers,
} from "./lib-webrtc-browsers.js";

const API_KEY = "vd_bench_webrtc_key_0000000000";
/** The engine's RTP and ICE ports; baresip's are below them (call i: BARESIP_BASE + 100 i …+99). */
const ENGINE_PORTS = { min: 30000, max: 32766 };
const BARESIP_BASE = 20000;
const RATE = 8000;
/** A sample louder than this is the burst (the tone's peak is 16000; silence is 0). */
const LOUD = 2000;
/** An onset needs this much quiet before it. */
const QUIET_MS = 100;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const list = (args: string[], name: string, fallback: string): number[] => {
  const at = args.indexOf(`--${name}`);
  return (at >= 0 ? args[at + 1] : fallback).split(",").filter(Boolean).map(Number);
};

function writeWav(path: string, pcm: Int16Array): void {
  const h = Buffer.alloc(44);
  h.write("RIFF", 0);
  h.writeUInt32LE(36 + pcm.length * 2, 4);
  h.write("WAVEfmt ", 8);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(RATE, 24);
  h.writeUInt32LE(RATE * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write("data", 36);
  h.writeUInt32LE(pcm.length * 2, 40);
  writeFileSync(path, Buffer.concat([h, Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength)]));
}

/** An RTP packet's header fields and PCMU payload (plain RTP or SRTP: the header is in clear either way). */
function rtp(p: WirePacket): { pt: number; seq: number; ssrc: number; payload: Buffer } | null {
  const b = p.payload;
  if (b.length < 12 || b[0] >> 6 !== 2) return null;
  const pt = b[1] & 0x7f;
  if (pt >= 72 && pt <= 76) return null; // RTCP
  let off = 12 + 4 * (b[0] & 0x0f);
  if (b[0] & 0x10) off += 4 + 4 * b.readUInt16BE(off + 2);
  return { pt, seq: b.readUInt16BE(2), ssrc: b.readUInt32BE(8), payload: b.subarray(off) };
}

/** Onsets in a stream of packets (in arrival order): the first loud sample after QUIET_MS of quiet, and its packet. */
function onsets<T extends { at: number; loudIdx: number }>(packets: T[]): { t: number; p: T }[] {
  const out: { t: number; p: T }[] = [];
  let lastLoud = -Infinity;
  for (const p of packets) {
    if (p.loudIdx < 0) continue;
    const t = p.at + p.loudIdx / (RATE / 1000);
    if (t - lastLoud >= QUIET_MS) out.push({ t, p });
    lastLoud = p.at + 20;
  }
  return out;
}

/** The first onset within `windowMs` after `t`. */
const after = <T>(t: number, ears: { t: number; p: T }[], windowMs: number) =>
  ears.find((x) => x.t >= t && x.t < t + windowMs);

const stats = (v: number[]): (string | number)[] => {
  const s = [...v].sort((a, b) => a - b);
  return s.length
    ? [percentile(s, 50).toFixed(1), percentile(s, 95).toFixed(1), s.at(-1)!.toFixed(1)]
    : ["NaN", "NaN", "NaN"];
};

/**
 * The consoles' RTP sessions, as the engine opens them (the engine does not hand them out): the bench reads
 * their relay queue (`queuedMs`, shared memory the media worker writes) to show where the delay sits.
 */
const consoleSessions: RtpSession[] = [];
const openWebRtc = RtpSession.prototype.openWebRtc;
RtpSession.prototype.openWebRtc = function (this: RtpSession, ...a: Parameters<typeof openWebRtc>) {
  consoleSessions.push(this);
  return openWebRtc.apply(this, a);
};

export async function run(args: string[]): Promise<void> {
  const counts = list(args, "calls", "1,4");
  const codecsAt = args.indexOf("--codecs");
  const codecs = (codecsAt >= 0 ? args[codecsAt + 1] : "pcmu,opus")
    .split(",")
    .filter((c) => c === "pcmu" || c === "opus");
  const bursts = option(args, "bursts", 25);
  const period = option(args, "period", 500);
  const idleMs = option(args, "idle", 3000);
  const dir = mkdtempSync(join(tmpdir(), "bench-webrtc-"));
  const load = () =>
    loadavg()
      .map((l) => l.toFixed(2))
      .join(" ");
  const loadAtStart = load();
  const engine = await createEngine({
    dataDir: dir,
    port: 0,
    sipPort: 0,
    logLevel: "silent",
    apiKey: API_KEY,
    rateLimitPerMinute: 1_000_000,
    rtpPorts: ENGINE_PORTS,
  });
  await engine.start();
  const api = async (path: string, body: unknown, init: RequestInit = {}) => {
    const res = await fetch(`${engine.url}/api/v1${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify(body),
      ...init,
    });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return res;
  };
  const json = async (path: string, body: unknown) => (await api(path, body)).json() as Promise<any>;

  const latency: (string | number)[][] = [];
  const cpu: (string | number)[][] = [];
  /** The WebRTC leg's CPU share per call, by codec and call count, for the Opus / PCMU ratio. */
  const shares = new Map<string, number>();
  const joins: (string | number)[][] = [];
  // The engine with no call (its timers, the API): subtracted from the phases' figures.
  await sleep(1000);
  const idle = processUsage();
  await sleep(idleMs);
  const baseCpu = idle.stop().cpuPct;
  let phase = 0;
  for (const { codec, n } of codecs.flatMap((codec) => counts.map((n) => ({ codec, n })))) {
    phase++;
    // baresip plays its bursts after a lead long enough for the idle phase and the browsers to join.
    const leadMs = idleMs + 4000 + 300 * n;
    const baresipWav = join(dir, `baresip-${phase}.wav`);
    writeWav(baresipWav, burstTrain(bursts, period, leadMs, 3000));
    const phones: Baresip[] = [];
    const callIds: string[] = [];
    let child: ReturnType<typeof fork> | null = null;
    try {
      for (let i = 0; i < n; i++) {
        const port = await freeUdpPort();
        phones.push(
          await runBaresip({
            account: `<sip:+31612345678@127.0.0.1:${port};transport=udp>;regint=0;answermode=auto`,
            wav: baresipWav,
            port,
            seconds: Math.ceil((leadMs + bursts * period) / 1000) + 15,
            extraConfig: `rtp_ports ${BARESIP_BASE + 100 * i}-${BARESIP_BASE + 100 * i + 99}`,
          }),
        );
        const trunk = (await json("/sip-trunks", { name: `baresip ${phase}.${i}`, host: "127.0.0.1", port })).trunk;
        while (!engine.telephony!.stack.hasTrunk(trunk.id)) await sleep(50);
        const number = (
          await json("/numbers", {
            phone_number: `+3185083${String(phase * 100 + i).padStart(4, "0")}`,
            sip_trunk_id: trunk.id,
          })
        ).number;
        callIds.push(
          (await json("/calls/outbound", { destination: "+31612345678", handled_by: "person", number_id: number.id }))
            .call_id,
        );
      }
      const deadline = Date.now() + 15_000;
      while (callIds.some((id) => engine.store.calls.get(id)!.status !== "in-progress")) {
        if (Date.now() > deadline)
          throw new Error(`calls not answered: ${callIds.map((id) => engine.store.calls.get(id)!.status).join(", ")}`);
        await sleep(50);
      }
      // The SIP legs alone, once the answer's own work (rows, events) is done.
      await sleep(1000);
      const sipOnly = processUsage();
      await sleep(idleMs);
      const sipCpu = sipOnly.stop().cpuPct;

      const capture = await startCapture(
        `udp and (portrange ${BARESIP_BASE}-${BARESIP_BASE + 100 * n - 1} or portrange ${ENGINE_PORTS.min}-${ENGINE_PORTS.max})`,
      );
      child = fork(fileURLToPath(new URL("./lib-webrtc-browsers.ts", import.meta.url)), [], {
        execArgv: ["--import", "tsx"],
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      });
      const inbox: FromBrowsers[] = [];
      const waiters: (() => void)[] = [];
      child.on("message", (m: FromBrowsers) => {
        inbox.push(m);
        waiters.splice(0).forEach((w) => w());
      });
      const ask = async <T extends FromBrowsers["type"]>(msg: ToBrowsers, type: T) => {
        child!.send(msg);
        for (;;) {
          const i = inbox.findIndex((m) => m.type === type || m.type === "error");
          if (i >= 0) {
            const m = inbox.splice(i, 1)[0];
            if (m.type === "error") throw new Error(`browsers: ${m.error}`);
            return m as Extract<FromBrowsers, { type: T }>;
          }
          await new Promise<void>((r) => waiters.push(r));
        }
      };
      const { offers } = await ask({ type: "open", n, opus: codec === "opus" }, "offers");
      // The media clock while the browsers join (DTLS handshakes; libopus's load at the first Opus offer).
      await mediaWorker.clockStats(true);
      const sdps: string[] = [];
      for (let i = 0; i < n; i++) {
        const res = await api(`/calls/${callIds[i]}/webrtc`, offers[i], {
          headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/sdp" },
          body: offers[i],
        });
        if (res.headers.get("x-console-mode") !== "talk")
          throw new Error(`console mode ${res.headers.get("x-console-mode")}, not talk`);
        sdps.push(await res.text());
      }
      const { at: connectedAt, codecs: agreed } = await ask({ type: "answers", sdps }, "connected");
      if (agreed.some((c) => c?.toLowerCase() !== codec))
        throw new Error(`the browsers' legs use ${agreed.join(", ")}, not ${codec}`);
      const clock = await mediaWorker.clockStats(true);
      const load = clock.opusLoad;
      joins.push([
        codec,
        `${n}`,
        clock.p99.toFixed(1),
        clock.max.toFixed(1),
        load
          ? `libopus: compile ${load.compileMs.toFixed(1)} ms (off the thread), glue ${load.glueMs.toFixed(1)} ms, instantiate ${load.instantiateMs.toFixed(1)} ms`
          : "",
      ]);
      await sleep(300);
      // The relay queues, sampled every 7 ms: the call's leg (browser → baresip), the console's (baresip → browser).
      const toBaresipQueue: number[] = [];
      const toBrowserQueue: number[] = [];
      const calls = callIds.map((id) => engine.calls.liveCall(id)!.media!);
      const consoles = consoleSessions.slice(-n);
      const sampler = setInterval(() => {
        for (const c of calls) toBaresipQueue.push(c.queuedMs);
        for (const c of consoles) toBrowserQueue.push(c.queuedMs);
      }, 7);
      const talking = processUsage();
      const t0 = Date.now();
      await ask({ type: "speak", bursts, periodMs: period }, "spoken");
      // baresip's bursts (they began `leadMs` after its answer) end by now + its remaining lead.
      const baresipEnd =
        Math.max(...callIds.map((id) => Date.parse(engine.store.calls.get(id)!.started_at!))) +
        leadMs +
        bursts * period +
        500;
      await sleep(Math.max(0, baresipEnd - Date.now()));
      const webrtcCpu = talking.stop().cpuPct;
      clearInterval(sampler);
      const talkS = (Date.now() - t0) / 1000;
      const wire = await capture.stop();
      const { browsers } = await ask({ type: "report", loud: LOUD }, "report");

      // Every RTP packet in the capture by SSRC + seq (first sighting: loopback has one).
      const seen = new Map<string, number>();
      for (const p of wire) {
        const r = rtp(p);
        if (r && !seen.has(`${r.ssrc}:${r.seq}`)) seen.set(`${r.ssrc}:${r.seq}`, p.atMs);
      }
      const decoded = (packets: WirePacket[]) =>
        packets.flatMap((p) => {
          const r = rtp(p);
          if (!r || r.pt !== 0) return [];
          const pcm = new Int16Array(r.payload.length);
          PCMU.decode(r.payload, pcm);
          return [{ at: p.atMs, loudIdx: pcm.findIndex((v) => Math.abs(v) > LOUD) }];
        });
      const toRow = (dir: string, values: number[], of: number, note: string) =>
        latency.push([codec, `${n}`, dir, `${values.length}/${of}`, ...stats(values), note]);
      const up = { total: [] as number[], app: [] as number[], wire: [] as number[], sent: 0 };
      const down = { total: [] as number[], app: [] as number[], wire: [] as number[], sent: 0 };
      for (let i = 0; i < n; i++) {
        const b = browsers[i];
        const inRange = (port: number) => port >= BARESIP_BASE + 100 * i && port < BARESIP_BASE + 100 * i + 100;
        // browser → baresip
        const sentOnsets: SentPacket[] = b.sent.filter((s, k) => s.peak > LOUD && !(b.sent[k - 1]?.peak > LOUD));
        const atBaresip = onsets(decoded(wire.filter((p) => inRange(p.dstPort) && p.dstPort % 2 === 0)));
        for (const s of sentOnsets) {
          up.sent++;
          const ear = after(s.at, atBaresip, period * 0.8);
          if (!ear) continue;
          up.total.push(ear.t - s.at);
          const onWire = seen.get(`${s.ssrc}:${s.seq}`);
          if (onWire !== undefined) {
            up.app.push(onWire - s.at);
            up.wire.push(ear.t - onWire);
          }
        }
        // baresip → browser, from the first burst after the browser was connected
        const fromBaresip = onsets(decoded(wire.filter((p) => inRange(p.srcPort) && p.srcPort % 2 === 0))).filter(
          (o) => o.t > connectedAt[i] + 200,
        );
        const heardOnsets = onsets<HeardPacket>(b.heard);
        for (const { t } of fromBaresip) {
          down.sent++;
          const ear = after(t, heardOnsets, period * 0.8);
          if (!ear) continue;
          down.total.push(ear.t - t);
          const onWire = seen.get(`${ear.p.ssrc}:${ear.p.seq}`);
          if (onWire !== undefined) {
            down.wire.push(onWire + ear.p.loudIdx / (RATE / 1000) - t);
            down.app.push(ear.p.at - onWire);
          }
        }
      }
      toRow("browser → baresip", up.total, up.sent, "browser app send → baresip's socket");
      toRow("  of which browser werift send", up.app, up.total.length, "app → SRTP on the wire");
      toRow("  of which wire to wire", up.wire, up.total.length, "browser's SRTP → baresip's socket (engine)");
      toRow(
        "  relay queue, call's leg (sampled)",
        toBaresipQueue,
        toBaresipQueue.length,
        `engine: waiting to go to baresip (min ${Math.min(...toBaresipQueue)})`,
      );
      toRow("baresip → browser", down.total, down.sent, "baresip's socket → browser app receive");
      toRow("  of which wire to wire", down.wire, down.total.length, "baresip's RTP → browser's socket (engine)");
      toRow("  of which browser werift receive", down.app, down.total.length, "SRTP on the wire → app");
      toRow(
        "  relay queue, console's leg (sampled)",
        toBrowserQueue,
        toBrowserQueue.length,
        `engine: waiting to go to the browser (min ${Math.min(...toBrowserQueue)})`,
      );
      shares.set(`${codec}:${n}`, (webrtcCpu - sipCpu) / n);
      cpu.push([
        codec,
        `${n}`,
        ((sipCpu - baseCpu) / n).toFixed(2),
        ((webrtcCpu - baseCpu) / n).toFixed(2),
        ((webrtcCpu - sipCpu) / n).toFixed(2),
        talkS.toFixed(1),
      ]);
    } finally {
      for (const id of callIds) await api(`/calls/${id}/control`, { type: "end-call" }).catch(() => undefined);
      child?.send({ type: "close" } satisfies ToBrowsers);
      for (const p of phones) {
        p.proc.kill("SIGTERM");
        await p.exited;
      }
      await sleep(500);
    }
  }
  console.log(table(["codec", "calls", "direction", "bursts", "p50 ms", "p95 ms", "max ms", "span"], latency));
  console.log();
  console.log(
    table(
      ["codec", "calls", "engine CPU %/call, SIP leg only", "with WebRTC leg talking", "WebRTC leg's share", "talk s"],
      cpu,
    ),
  );
  for (const n of counts) {
    const pcmu = shares.get(`pcmu:${n}`);
    const opus = shares.get(`opus:${n}`);
    if (pcmu !== undefined && opus !== undefined)
      console.log(
        `${n} call(s): the WebRTC leg's share with Opus is ${(opus / pcmu).toFixed(2)} × PCMU's (${opus.toFixed(2)} vs ${pcmu.toFixed(2)} % of a core per call).`,
      );
  }
  console.log();
  console.log(table(["codec", "calls", "media clock p99 ms late", "max ms late", "while the browsers joined"], joins));
  console.log(`\nEngine with no call: ${baseCpu.toFixed(2)} % of a core (subtracted above).`);
  console.log(
    `${new Date().toISOString()}, ${availableParallelism()} cores, load average ${loadAtStart} at the start, ${load()} at the end.`,
  );
  await engine.stop();
}
