// The media thread's scheduling, watched from a separate process (the engine's own threads may be the
// ones delayed): every 5 ms it reads /proc/<pid>/task/<tid>/schedstat (time on CPU, time waiting on a run
// queue) and the thread's state, so a late packet can be told apart as "waiting for a CPU" or "blocked".
import { spawn } from "node:child_process";

export interface SchedSample {
  atMs: number;
  cpuMs: number;
  waitMs: number;
  state: string;
  /** Minor page faults so far. */
  minflt: number;
  /** Where in the kernel the thread sleeps ("-" when running). */
  wchan: string;
}

const WATCHER = `
const { readFileSync } = require("node:fs");
const [pid, tid] = process.argv.slice(1);
const base = "/proc/" + pid + "/task/" + tid + "/";
const out = [];
const t = setInterval(() => {
  try {
    const s = readFileSync(base + "schedstat", "utf8").split(" ");
    const st = readFileSync(base + "stat", "utf8");
    const f = st.slice(st.lastIndexOf(")") + 2).split(" ");
    const wchan = readFileSync(base + "wchan", "utf8") || "-";
    out.push((performance.timeOrigin + performance.now()).toFixed(2) + " " + s[0] + " " + s[1] + " " + f[0] + " " + f[7] + " " + wchan);
  } catch { clearInterval(t); }
}, 2);
process.stdin.on("data", () => { clearInterval(t); process.stdout.write(out.join("\\n"), () => process.exit(0)); });
`;

/** Starts watching thread `tid` of this process; `stop()` returns the samples. */
export function watchThread(tid: number): { stop(): Promise<SchedSample[]> } {
  // At a real-time priority above the media thread's (chrt, as root), so a loaded machine does not starve the watcher.
  const child = spawn("chrt", ["-f", "20", process.execPath, "-e", WATCHER, String(process.pid), String(tid)], {
    stdio: ["pipe", "pipe", "ignore"],
  });
  let text = "";
  child.stdout.on("data", (d: Buffer) => (text += d.toString()));
  return {
    stop: () =>
      new Promise((resolve) => {
        child.on("exit", () =>
          resolve(
            text
              .split("\n")
              .filter(Boolean)
              .map((l) => {
                const [at, cpu, wait, state, minflt, wchan] = l.split(" ");
                return {
                  atMs: Number(at),
                  cpuMs: Number(cpu) / 1e6,
                  waitMs: Number(wait) / 1e6,
                  state,
                  minflt: Number(minflt),
                  wchan,
                };
              }),
          ),
        );
        child.stdin.write("stop\n");
      }),
  };
}

/**
 * For each send interval late by more than `lateMs`: how much of the lateness the thread spent waiting on
 * a run queue (schedstat) and whether it was seen blocked (state D). Sums over all such intervals.
 */
export function explainLate(
  sends: number[],
  samples: SchedSample[],
  lateMs: number,
): {
  late: number;
  lateMs: number;
  runQueueMs: number;
  blockedSeen: number;
  faults: number;
  where: Map<string, number>;
} {
  let late = 0;
  let total = 0;
  let runQueue = 0;
  let blocked = 0;
  let faults = 0;
  const where = new Map<string, number>();
  for (let i = 1; i < sends.length; i++) {
    const over = sends[i] - sends[i - 1] - 20;
    if (over <= lateMs) continue;
    late++;
    total += over;
    const inside = samples.filter((s) => s.atMs >= sends[i - 1] && s.atMs <= sends[i] + 5);
    if (inside.length >= 2) runQueue += Math.min(over, inside.at(-1)!.waitMs - inside[0].waitMs);
    if (inside.some((s) => s.state === "D")) blocked++;
    if (inside.length >= 2) faults += inside.at(-1)!.minflt - inside[0].minflt;
    for (const w of new Set(inside.filter((s) => s.state !== "R").map((s) => s.wchan)))
      where.set(w, (where.get(w) ?? 0) + 1);
  }
  return { late, lateMs: total, runQueueMs: runQueue, blockedSeen: blocked, faults, where };
}

/** Run-queue wait over the whole window: ms per second, and the largest rise between two samples. */
export function runQueueSummary(samples: SchedSample[]): { waitMsPerS: number; maxStepMs: number; cpuPct: number } {
  if (samples.length < 2) return { waitMsPerS: NaN, maxStepMs: NaN, cpuPct: NaN };
  let maxStep = 0;
  for (let i = 1; i < samples.length; i++) maxStep = Math.max(maxStep, samples[i].waitMs - samples[i - 1].waitMs);
  const span = (samples.at(-1)!.atMs - samples[0].atMs) / 1000;
  return {
    waitMsPerS: (samples.at(-1)!.waitMs - samples[0].waitMs) / span,
    maxStepMs: maxStep,
    cpuPct: ((samples.at(-1)!.cpuMs - samples[0].cpuMs) / span / 1000) * 100,
  };
}
