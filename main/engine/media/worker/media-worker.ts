/**
 * The media worker: a thread that owns every call's RTP/RTCP sockets and the shared 20 ms clock, and
 * runs nothing else, so no work on the main thread (SQLite, inference, JSON, garbage collection of the
 * main heap) can delay a packet. docs/decisions.md ("Media thread") says why this shape.
 */
import { parentPort, workerData } from "node:worker_threads";
import { readlinkSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { setPriority } from "node:os";
import { MediaClock } from "../clock.js";
import { codecByName } from "../codecs/g711.js";
import { opusLoad } from "../codecs/opus.js";
import { MediaLeg } from "./media-leg.js";
import { callShared } from "./shared.js";
import type { FromWorker, ToWorker } from "./protocol.js";

const port = parentPort!;
const bell = new Int32Array(workerData.bell as SharedArrayBuffer);
const clock = new MediaClock(true);
const legs = new Map<number, MediaLeg>();
const post = (m: FromWorker) => port.postMessage(m);
const epochNow = () => performance.timeOrigin + performance.now();

/**
 * A higher scheduling priority for this thread where the OS allows it. Linux: real-time round-robin
 * (SCHED_RR 10, through util-linux's chrt; root or CAP_SYS_NICE) — the tick then preempts ordinary work
 * the way audio servers' threads do, and the kernel still keeps 5 % of each core for others; else a nice
 * value of −10 for the thread; else nothing. VOICEDOCK_MEDIA_REALTIME=0 turns the real-time class off.
 */
const priority = (() => {
  let tid: number;
  try {
    tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
  } catch {
    return "default (no per-thread priority here)";
  }
  if (process.env.VOICEDOCK_MEDIA_REALTIME !== "0") {
    const rr = spawnSync("chrt", ["-r", "-p", "10", String(tid)], { stdio: "ignore", timeout: 2000 });
    if (rr.status === 0) return `SCHED_RR 10 (thread ${tid})`;
  }
  try {
    setPriority(tid, -10);
    return `nice -10 (thread ${tid})`;
  } catch (err) {
    return `default (${(err as NodeJS.ErrnoException).code ?? "unsupported"})`;
  }
})();

/** Wakes the main thread once per turn of this loop, however many frames arrived in it. */
let bellPending = false;
function ringBell(): void {
  if (bellPending) return;
  bellPending = true;
  setImmediate(() => {
    bellPending = false;
    Atomics.add(bell, 0, 1);
    Atomics.notify(bell, 0);
  });
}

/**
 * Taps' bells (other threads reading caller frames) to ring at the end of this loop turn. A bell shared
 * by several calls arrives as one view per tap, so it may be rung more than once: harmless.
 */
const tapBells = new Set<Int32Array>();
function ringTapBell(b: Int32Array): void {
  if (tapBells.size === 0)
    setImmediate(() => {
      for (const bell of tapBells) {
        Atomics.add(bell, 0, 1);
        Atomics.notify(bell, 0);
      }
      tapBells.clear();
    });
  tapBells.add(b);
}

let removeTick: (() => void) | null = null;
function updateClock(): void {
  const active = [...legs.values()].some((l) => l.configured);
  if (active && !removeTick)
    removeTick = clock.add(() => {
      const now = performance.now();
      for (const l of legs.values()) l.tick(now);
    });
  else if (!active && removeTick) {
    removeTick();
    removeTick = null;
  }
}

function newLeg(id: number, shared: SharedArrayBuffer): MediaLeg {
  const leg = new MediaLeg(callShared(shared), {
    latched: (remote) => post({ op: "latched", id, remote }),
    dtmf: (digit) => post({ op: "dtmf", id, digit }),
    frames: ringBell,
    tapped: ringTapBell,
    played: (played) => post({ op: "played", id, played, atEpochMs: epochNow() }),
    recorded: (path) => post({ op: "recorded", path }),
    recordFailed: (reason) => post({ op: "recordFailed", id, reason }),
    webrtcGone: (state) => post({ op: "webrtcGone", id, state }),
  });
  legs.set(id, leg);
  return leg;
}

port.on("message", (m: ToWorker) => {
  switch (m.op) {
    case "open": {
      const leg = newLeg(m.id, m.shared);
      leg.open(m.host, m.range).then(
        (p) => {
          if (legs.get(m.id) === leg) post({ op: "opened", id: m.id, port: p });
          else void leg.close();
        },
        (err: Error) => {
          legs.delete(m.id);
          post({ op: "openFailed", id: m.id, message: err.message });
        },
      );
      return;
    }
    case "openWebRtc": {
      const leg = newLeg(m.id, m.shared);
      leg.openWebRtc(m.offer, m.host, m.range).then(
        (sdp) => {
          if (legs.get(m.id) !== leg) return void leg.close();
          updateClock();
          post({ op: "webrtcAnswer", id: m.id, sdp });
        },
        (err: Error) => {
          legs.delete(m.id);
          void leg.close();
          post({ op: "openFailed", id: m.id, message: err.message });
        },
      );
      return;
    }
    case "configure":
      legs.get(m.id)?.configure(m.remote, codecByName(m.codec)!, m.pt, m.tePt, m.rtcpIntervalMs);
      updateClock();
      return;
    case "retarget":
      legs.get(m.id)?.retarget(m.remote);
      return;
    case "sending": {
      const l = legs.get(m.id);
      if (l) l.sender.sending = m.on;
      return;
    }
    case "play":
      legs.get(m.id)?.sender.play(m.pcm, m.gen);
      return;
    case "dtmf":
      legs.get(m.id)?.sender.sendDtmf(m.digits);
      return;
    case "record": {
      const l = legs.get(m.id);
      if (m.path) l?.startRecording(m.path);
      else void l?.stopRecording();
      return;
    }
    case "rtcpInterval": {
      const l = legs.get(m.id);
      if (l) l.rtcp.intervalMs = m.ms;
      return;
    }
    case "watch":
      legs.get(m.id)?.watch(m.sample);
      return;
    case "close": {
      const leg = legs.get(m.id);
      legs.delete(m.id);
      const peer = leg?.relayTo;
      if (peer && peer.relayTo === leg) peer.relayTo = null;
      if (leg)
        for (const other of legs.values()) {
          other.unmonitor(leg);
          if (other.relayTo === leg) other.relayTo = null;
          if (other.whisperTo === leg) other.whisperTo = null;
        }
      updateClock();
      void (leg?.close() ?? Promise.resolve()).then(() => post({ op: "closed", id: m.id }));
      return;
    }
    case "tap":
      legs.get(m.id)?.tap(m.tap, callShared(m.ring), new Int32Array(m.bell), m.from);
      return;
    case "untap":
      legs.get(m.id)?.untap(m.tap);
      return;
    case "relay": {
      const a = legs.get(m.a);
      const b = legs.get(m.b);
      if (a && b) {
        a.relayTo = b;
        b.relayTo = a;
      }
      return;
    }
    case "unrelay": {
      const a = legs.get(m.a);
      const b = legs.get(m.b);
      if (a?.relayTo === b && a) a.relayTo = null;
      if (b?.relayTo === a && b) b.relayTo = null;
      return;
    }
    case "monitor": {
      const call = legs.get(m.call);
      const leg = legs.get(m.leg);
      if (call && leg) {
        if (m.on) call.monitor(leg, m.withSent);
        else call.unmonitor(leg);
      }
      return;
    }
    case "feed": {
      const from = legs.get(m.from);
      if (from) from.relayTo = m.to === null ? null : (legs.get(m.to) ?? null);
      return;
    }
    case "whisper": {
      const from = legs.get(m.from);
      if (from) from.whisperTo = m.to === null ? null : (legs.get(m.to) ?? null);
      return;
    }
    case "iceCandidates":
      legs.get(m.id)?.addIceCandidates(m.candidates);
      return;
    case "clockStats": {
      const opus = opusLoad.compileMs > 0 ? { ...opusLoad } : null;
      post({ op: "clockStats", token: m.token, stats: { ...clock.stats(), priority, opusLoad: opus } });
      if (m.reset) clock.resetStats();
      return;
    }
    case "ping":
      post({ op: "pong", token: m.token });
      return;
  }
});
