// CPU and memory of the engine with the processes it starts (PocketSphinx per call, through the spawner
// helper), for "per call" figures: process.cpuUsage() alone misses the recognizers, which live in other
// processes and may exit before the phase ends, so their /proc figures are sampled while they run.
import { readFileSync } from "node:fs";
import { spawner } from "../main/engine/spawner/spawner.js";

const TICK_MS = 10; // USER_HZ is 100 on Linux
const read = (path: string): string | null => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
};

/** The helper's children (and theirs): their CPU ms so far and resident MB. */
function children(): Map<number, { cpuMs: number; rssMb: number }> {
  const out = new Map<number, { cpuMs: number; rssMb: number }>();
  const walk = (pid: number) => {
    for (const c of (read(`/proc/${pid}/task/${pid}/children`) ?? "").split(" ").filter(Boolean).map(Number)) {
      const stat = read(`/proc/${c}/stat`);
      const status = read(`/proc/${c}/status`);
      if (stat && status) {
        const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        const cpuMs = (Number(f[11]) + Number(f[12])) * TICK_MS; // utime, stime
        const rssMb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
        out.set(c, { cpuMs, rssMb });
      }
      walk(c);
    }
  };
  const helper = spawner.helperPid;
  if (helper) walk(helper);
  return out;
}

/** Samples the engine and its children every 250 ms until `stop()`: CPU (% of one core) and peak memory. */
export function processUsage(): { stop(): { cpuPct: number; engineRssGrowthMb: number; childRssMb: number } } {
  const rss0 = process.memoryUsage().rss;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const before = children();
  const seen = new Map<number, { cpuMs: number; rssMb: number }>();
  let rssMax = rss0;
  const sample = () => {
    rssMax = Math.max(rssMax, process.memoryUsage().rss);
    for (const [pid, u] of children()) {
      const s = seen.get(pid);
      seen.set(pid, { cpuMs: Math.max(s?.cpuMs ?? 0, u.cpuMs), rssMb: Math.max(s?.rssMb ?? 0, u.rssMb) });
    }
  };
  const timer = setInterval(sample, 250);
  return {
    stop() {
      sample();
      clearInterval(timer);
      const cpu = process.cpuUsage(cpu0);
      const wall = performance.now() - t0;
      let childCpu = 0;
      let childRss = 0;
      for (const [pid, u] of seen) {
        childCpu += u.cpuMs - (before.get(pid)?.cpuMs ?? 0);
        if (!before.has(pid)) childRss += u.rssMb;
      }
      return {
        cpuPct: (((cpu.user + cpu.system) / 1000 + childCpu) / wall) * 100,
        engineRssGrowthMb: (rssMax - rss0) / 2 ** 20,
        childRssMb: childRss,
      };
    },
  };
}
