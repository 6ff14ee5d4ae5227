import { Worker } from "node:worker_threads";
import { workerEntry } from "../../media/worker/entry.js";
import { callShared, type CallShared } from "../../media/worker/shared.js";
import { OnsetHold } from "./onset-hold.js";
import type { CallerAudioTap, VadFactory, VoiceActivityDetector } from "../../providers/vad/types.js";
import type { FromVad, ToVad } from "./protocol.js";

/** Probabilities held for frames the main thread has not drained yet: more means the counts diverged. */
const MAX_HELD = 64;

/**
 * The main thread's end of the VAD thread: starts it on first use (one thread serves every call), and
 * routes each window's probability to its call's detector. The idle thread keeps no process alive.
 */
class VadThread {
  private worker: Worker | null = null;
  private readonly bell = new SharedArrayBuffer(8);
  private readonly detectors = new Map<number, WorkerVad>();
  private nextId = 1;
  private tokens = 0;
  private readonly pongs = new Map<number, () => void>();
  failure: string | null = null;

  get bellBuffer(): SharedArrayBuffer {
    return this.bell;
  }

  open(d: WorkerVad, ring: SharedArrayBuffer | null): number {
    const id = this.nextId++;
    this.detectors.set(id, d);
    this.start().ref();
    this.post({ op: "open", id, ring });
    return id;
  }

  close(id: number): void {
    if (!this.detectors.delete(id)) return;
    this.post({ op: "close", id });
    if (this.detectors.size === 0) this.worker?.unref();
  }

  post(m: ToVad, transfer?: ArrayBuffer[]): void {
    this.start().postMessage(m, transfer);
  }

  /** Resolves once the thread is up and its model loaded. */
  ready(): Promise<void> {
    const token = ++this.tokens;
    const w = this.start();
    w.ref();
    return new Promise((resolve) => {
      this.pongs.set(token, () => {
        if (this.detectors.size === 0) w.unref();
        resolve();
      });
      w.postMessage({ op: "ping", token } satisfies ToVad);
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const entry = workerEntry(new URL(import.meta.url), "vad-worker");
    const w = new Worker(entry.code ?? entry.url, {
      eval: Boolean(entry.code),
      workerData: { bell: this.bell },
      stdout: false,
      stderr: false,
    });
    w.on("message", (m: FromVad) => {
      if (m.op === "p") this.detectors.get(m.id)?.probability(m.p, m.endSample);
      else if (m.op === "pong") {
        this.pongs.get(m.token)?.();
        this.pongs.delete(m.token);
      } else {
        this.failure = m.message;
        console.error(`the voice activity model could not be loaded: ${m.message}`);
      }
    });
    w.on("error", (err) => console.error(`VAD thread failed: ${err.stack ?? err.message}`));
    w.on("exit", () => {
      if (this.worker === w) this.worker = null;
    });
    w.unref();
    this.worker = w;
    return w;
  }
}

const vadThread = new VadThread();

/**
 * A call's Silero detector as the turn detector sees it. Inference runs in the VAD thread, which reads
 * the caller's frames straight from the media worker when the leg offers a tap (`tapCallerAudio`), or
 * from `push` messages otherwise. A probability reaches the listener only once this thread has itself
 * been pushed the samples up to the window's end, so the turn detector never hears of speech before the
 * utterance buffer holds it (the order of the single-thread version).
 */
class WorkerVad implements VoiceActivityDetector {
  readonly windowMs = 32;
  private readonly id: number;
  private readonly untap: (() => void) | null = null;
  /** The tap ring (caller frames to the VAD thread, and its onset hold of our playout). */
  private readonly ring: CallShared | null;
  /** Samples pushed on this thread. */
  private pushed = 0;
  /** Held probabilities and their end samples, oldest first (a small ring). */
  private readonly heldP = new Float64Array(MAX_HELD);
  private readonly heldEnd = new Float64Array(MAX_HELD);
  private heldStart = 0;
  private heldCount = 0;
  private closed = false;

  constructor(
    private readonly onProbability: (p: number, endSample: number) => void,
    audio: CallerAudioTap | undefined,
  ) {
    this.ring = audio?.tapCallerAudio ? callShared() : null;
    this.id = vadThread.open(this, this.ring?.buffer ?? null);
    if (this.ring) this.untap = audio!.tapCallerAudio!(this.ring.buffer, vadThread.bellBuffer);
  }

  push(pcm: Int16Array): void {
    if (this.closed) return;
    this.pushed += pcm.length;
    if (!this.untap) {
      const copy = pcm.slice();
      vadThread.post({ op: "push", id: this.id, pcm: copy }, [copy.buffer as ArrayBuffer]);
    }
    this.release();
  }

  probability(p: number, endSample: number): void {
    if (this.closed) return;
    if (this.heldCount === MAX_HELD) {
      // This thread lost frames the VAD thread heard (its ring overran during a stall of over 5 s): go on.
      this.shift();
    }
    const at = (this.heldStart + this.heldCount) % MAX_HELD;
    this.heldP[at] = p;
    this.heldEnd[at] = endSample;
    this.heldCount++;
    this.release();
  }

  private release(): void {
    while (this.heldCount > 0 && this.heldEnd[this.heldStart] <= this.pushed && !this.closed) this.shift();
  }

  private shift(): void {
    const p = this.heldP[this.heldStart]!;
    const end = this.heldEnd[this.heldStart]!;
    this.heldStart = (this.heldStart + 1) % MAX_HELD;
    this.heldCount--;
    this.onProbability(p, end);
    // The turn logic has judged this window (and held playout itself if it is a barge-in).
    if (this.ring) OnsetHold.judged(this.ring, end);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.untap?.();
    if (this.ring) OnsetHold.lift(this.ring);
    vadThread.close(this.id);
  }
}

/** Silero VAD in the VAD thread; `audio` is the call's leg, tapped when it can be. */
export const sileroVad: VadFactory = (onProbability, audio) => new WorkerVad(onProbability, audio);

/** Starts the VAD thread and loads the model ahead of the first call. */
export const warmVad = (): Promise<void> => vadThread.ready();
