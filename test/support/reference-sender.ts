// A reference sender outside the engine: a small separate process at the media thread's priority (SCHED_RR
// 10 through chrt, as root) that sends one RTP-sized UDP packet every 20 ms with the media worker's own
// timing method (a timer 2 ms early, then a blocking Atomics.wait to the deadline). When it and the engine
// are late at the same moments, the machine held both back; when only the engine is, the engine did.
import { spawn } from "node:child_process";

const SENDER = `
const dgram = require("node:dgram");
const port = Number(process.argv[1]);
const s = dgram.createSocket("udp4");
const pkt = Buffer.alloc(172);
pkt[0] = 0x80;
const sleeper = new Int32Array(new SharedArrayBuffer(4));
const start = performance.now();
let n = 0;
function run() {
  const due = start + (n + 1) * 20;
  const early = due - performance.now();
  if (early > 0) Atomics.wait(sleeper, 0, 0, early);
  const now = performance.now();
  while (start + (n + 1) * 20 <= now + 0.5) { n++; s.send(pkt, port, "127.0.0.1"); }
  setTimeout(run, Math.max(0, start + (n + 1) * 20 - performance.now() - 2));
}
run();
process.stdin.on("data", () => process.exit(0));
`;

/** Starts the reference sender towards `port` on loopback; `stop()` ends it. */
export function startReferenceSender(port: number): { stop(): void } {
  const child = spawn("chrt", ["-r", "10", process.execPath, "-e", SENDER, String(port)], {
    stdio: ["pipe", "ignore", "ignore"],
  });
  return { stop: () => child.stdin.write("stop\n") };
}

/** Of the engine's late send intervals (> lateMs), how many had a late reference interval within ±20 ms. */
export function coincident(engineLate: number[], reference: number[], lateMs: number): number {
  const refLate: number[] = [];
  for (let i = 1; i < reference.length; i++)
    if (reference[i] - reference[i - 1] - 20 > lateMs) refLate.push(reference[i]);
  return engineLate.filter((t) => refLate.some((r) => Math.abs(r - t) <= 20)).length;
}

/**
 * A test for one of our late intervals (ending at `atMs`): true when the reference's own interval ending
 * within ±`withinMs` of it was more than `lateMs` late — a stall of the whole machine (a virtual machine's
 * CPU not running, the kernel), which delays every process at once.
 */
export function stalledAt(reference: number[], lateMs = 10, withinMs = 20): (atMs: number) => boolean {
  const late: number[] = [];
  for (let i = 1; i < reference.length; i++) if (reference[i] - reference[i - 1] - 20 > lateMs) late.push(reference[i]);
  return (atMs) => late.some((r) => Math.abs(r - atMs) <= withinMs);
}
