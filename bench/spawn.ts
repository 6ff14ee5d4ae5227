// `npm run bench -- spawn [--mb 1536] [--seconds 5] [--every 100] [--rounds 1]`: does spawning child
// processes move our RTP packets? (issue #18, the spawner helper)
//
// The main thread holds `--mb` of Buffers (touched, so resident) while two RTP sessions in the media worker
// send PCMU to each other over loopback. Per phase, for `--seconds`, `true` is started every `--every` ms:
// not at all (idle), with plain `child_process.spawn` (a fork of this big process), or through the spawner
// helper (a fork of a small one); the phases alternate `--rounds` times in one run. Every packet is timed
// by tcpdump (test/support/wire-capture.ts). Columns: send-interval deviation from 20 ms over both
// streams, intervals ≥ 40 ms, and how many spawns finished in the phase.
import { spawn } from "node:child_process";
import { PCMU } from "../main/engine/media/codecs/g711.js";
import { RtpSession } from "../main/engine/media/rtp-session.js";
import { mediaWorker } from "../main/engine/media/worker/host.js";
import { spawner } from "../main/engine/spawner/spawner.js";
import { pacing, startCapture, type WirePacket } from "../test/support/wire-capture.js";
import { option, percentile, table } from "./lib-stats.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type Mode = "idle" | "child_process.spawn" | "spawner";

/** Starts `true` every `everyMs` until `untilMs` (performance.now); resolves with how many exited. */
async function spawnLoop(mode: Mode, everyMs: number, untilMs: number): Promise<number> {
  const exits: Promise<unknown>[] = [];
  while (performance.now() < untilMs) {
    if (mode === "child_process.spawn") {
      const c = spawn("true", [], { stdio: "ignore" });
      exits.push(new Promise((r) => c.once("close", r)));
    } else if (mode === "spawner") {
      exits.push(spawner.spawn("true", []).exited);
    }
    await sleep(everyMs);
  }
  await Promise.all(exits);
  return exits.length;
}

function summarize(packets: WirePacket[]): { packets: number; p50: number; p99: number; max: number; gaps: number } {
  const byPort = new Map<number, WirePacket[]>();
  for (const p of packets) {
    let a = byPort.get(p.srcPort);
    if (!a) byPort.set(p.srcPort, (a = []));
    a.push(p);
  }
  const dev: number[] = [];
  let gaps = 0;
  for (const s of byPort.values()) {
    for (let i = 1; i < s.length; i++) dev.push(Math.abs(s[i].atMs - s[i - 1].atMs - 20));
    gaps += pacing(s).holes40;
  }
  dev.sort((a, b) => a - b);
  return { packets: packets.length, p50: percentile(dev, 50), p99: percentile(dev, 99), max: dev.at(-1) ?? NaN, gaps };
}

export async function run(args: string[]): Promise<void> {
  const mb = option(args, "mb", 1536);
  const seconds = option(args, "seconds", 5);
  const every = option(args, "every", 100);
  const rounds = option(args, "rounds", 1);

  // As the engine does: the helper and the media worker start while the heap is small.
  await spawner.warm();
  await mediaWorker.settled();
  const a = new RtpSession();
  const b = new RtpSession();
  const portA = await a.open("127.0.0.1", { min: 30000, max: 39998 });
  const portB = await b.open("127.0.0.1", { min: 40000, max: 49998 });
  a.configure({ address: "127.0.0.1", port: portB }, PCMU, 0);
  b.configure({ address: "127.0.0.1", port: portA }, PCMU, 0);
  const tone = new Int16Array(8000 * (seconds + 3) * 3 * rounds + 8000 * 10).map((_, i) =>
    Math.round(8000 * Math.sin(i / 8)),
  );
  a.play(tone);
  b.play(tone);

  // Held until the end; Buffer.alloc writes every page, so all of it is resident.
  const held: Buffer[] = [];
  for (let i = 0; i < mb / 64; i++) held.push(Buffer.alloc(64 << 20, 1));
  await sleep(1000);

  const rows: (string | number)[][] = [];
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "–");
  for (let round = 1; round <= rounds; round++) {
    for (const mode of ["idle", "child_process.spawn", "spawner"] as Mode[]) {
      const capture = await startCapture(`udp and (src port ${portA} or src port ${portB})`);
      const spawned = await spawnLoop(mode, every, performance.now() + seconds * 1000);
      const s = summarize(await capture.stop());
      const rss = Math.round(process.memoryUsage().rss / 2 ** 20);
      rows.push([round, mode, spawned, s.packets, f(s.p50), f(s.p99), f(s.max), s.gaps, rss]);
      await sleep(500);
    }
  }
  console.log(
    table(
      [
        "round",
        "spawning with",
        "spawns",
        "packets",
        "dev p50 ms",
        "p99 ms",
        "max ms",
        "gaps ≥ 40 ms",
        "engine RSS MB",
      ],
      rows,
    ),
  );
  console.log(
    `held ${held.length * 64} MB on the main thread; media worker priority: ${(await mediaWorker.clockStats()).priority}; helper pid ${spawner.helperPid}`,
  );
  a.close();
  b.close();
  spawner.stop();
}
