/**
 * The VAD thread: Silero inference for every call, off the main thread and off the media thread. Caller
 * frames come straight from the media worker through a ring per call (the main thread is not on that
 * path, so a busy main thread delays no window); each window's probability goes to the main thread as a
 * message. docs/decisions.md ("Media thread", VAD) says why this shape.
 */
import { parentPort, workerData } from "node:worker_threads";
import { callShared, ringDrain, type CallShared } from "../../media/worker/shared.js";
import { loadSilero, SileroVad } from "./silero.js";
import { OnsetHold } from "./onset-hold.js";
import { LineEnergy } from "../line-energy.js";
import type { FromVad, ToVad } from "./protocol.js";

const port = parentPort!;
const bell = new Int32Array(workerData.bell as SharedArrayBuffer);
const post = (m: FromVad) => port.postMessage(m);

interface Stream {
  vad: SileroVad;
  ring: CallShared | null;
  energy: LineEnergy;
}
const streams = new Map<number, Stream>();
/** Calls whose frames come through a ring: the listening loop runs while there are any. */
let tapped = 0;
const loaded = loadSilero().then(
  () => true,
  (err: Error) => {
    post({ op: "failed", message: err.message });
    return false;
  },
);

/** Hands every tapped call's waiting frames to its detector (inference queues on onnxruntime's thread). */
function drainAll(): void {
  for (const s of streams.values()) if (s.ring) ringDrain(s.ring, (pcm) => feed(s, pcm));
}

function feed(s: Stream, pcm: Int16Array): void {
  s.energy.push(pcm);
  s.vad.push(pcm);
}

let waiting = false;
async function listen(): Promise<void> {
  if (waiting) return;
  waiting = true;
  let seen = Atomics.load(bell, 0);
  try {
    while (tapped > 0) {
      const w = waitAsync(bell, 0, seen);
      if (w.async) await w.value;
      seen = Atomics.load(bell, 0);
      drainAll();
    }
  } finally {
    waiting = false;
  }
}

// Until the model is loaded, messages wait (in order) and frames wait in the rings (5 s), none dropped.
let ready = false;
void loaded.then(() => (ready = true));
port.on("message", (m: ToVad) => {
  if (ready) handle(m);
  else void loaded.then(() => handle(m));
});

function handle(m: ToVad): void {
  switch (m.op) {
    case "open": {
      const id = m.id;
      const ring = m.ring ? callShared(m.ring) : null;
      // Playout holds from the VAD thread at the onset, without waiting for the main thread (onset-hold.ts).
      const hold = ring ? new OnsetHold(ring) : null;
      const energy = new LineEnergy();
      const vad = new SileroVad((p, endSample) => {
        hold?.scored(p, endSample, energy.quiet(endSample - SileroVad.WINDOW, endSample));
        post({ op: "p", id, p, endSample });
      });
      streams.set(id, { vad, ring, energy });
      if (m.ring) {
        tapped++;
        void listen();
      }
      return;
    }
    case "push": {
      const s = streams.get(m.id);
      if (s) feed(s, m.pcm);
      return;
    }
    case "close": {
      const s = streams.get(m.id);
      streams.delete(m.id);
      s?.vad.close();
      if (s?.ring) tapped--;
      Atomics.add(bell, 0, 1); // lets the listening loop see whether any tapped call is left
      Atomics.notify(bell, 0);
      return;
    }
    case "ping":
      post({ op: "pong", token: m.token });
      return;
  }
}

/** Atomics.waitAsync (ES2024; in Node since 16, not yet in this project's `lib`). */
const waitAsync = (
  Atomics as unknown as {
    waitAsync(
      a: Int32Array,
      index: number,
      value: number,
    ): { async: false; value: string } | { async: true; value: Promise<string> };
  }
).waitAsync;
