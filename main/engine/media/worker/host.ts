import { Worker } from "node:worker_threads";
import { workerEntry } from "./entry.js";
import { BELL_WORDS } from "./shared.js";
import type { ClockStats, FromWorker, ToWorker } from "./protocol.js";

/** What the host hands a session's messages to. */
export interface WorkerClient {
  onWorkerMessage(m: FromWorker): void;
  drain(): void;
}

/**
 * The main thread's end of the media worker: starts it on first use, routes its messages to sessions,
 * and hands caller frames over from the shared rings whenever the worker rings the bell (Atomics.waitAsync:
 * no timer, no polling; a main thread that was busy finds every frame waiting when it comes back).
 */
class MediaWorkerHost {
  private worker: Worker | null = null;
  private readonly bell = new Int32Array(new SharedArrayBuffer(BELL_WORDS * 4));
  private readonly clients = new Map<number, WorkerClient>();
  private nextId = 1;
  private listening = false;
  private tokens = 0;
  private readonly replies = new Map<number, (m: FromWorker) => void>();

  private readonly recordings = new Map<string, { done(): void; finished: Promise<void> }>();

  /** A recording the worker is writing to `path`. */
  recordingStarted(path: string): void {
    if (this.recordings.has(path)) return;
    let done = () => {};
    const finished = new Promise<void>((r) => {
      done = r;
    });
    this.recordings.set(path, { done, finished });
  }

  /**
   * Resolves once the recording at `path` is complete on disk (at once when none is being written):
   * the worker writes asynchronously, so a recording asked for right after hang-up may still be closing.
   */
  recordingComplete(path: string, timeoutMs = 5000): Promise<void> {
    const r = this.recordings.get(path);
    if (!r) return Promise.resolve();
    return Promise.race([r.finished, new Promise<void>((res) => setTimeout(res, timeoutMs).unref())]);
  }

  /** An id for a session; it costs nothing until `register` (a session that never opens never starts the worker). */
  newId(): number {
    return this.nextId++;
  }

  register(id: number, client: WorkerClient): void {
    this.clients.set(id, client);
    this.start().ref();
    if (!this.listening) void this.listen();
  }

  unregister(id: number): void {
    if (!this.clients.delete(id)) return;
    if (this.clients.size === 0) {
      this.worker?.unref();
      Atomics.notify(this.bell, 0); // lets the listening loop end
    }
  }

  post(m: ToWorker, transfer?: ArrayBuffer[]): void {
    this.start().postMessage(m, transfer);
  }

  /** The media clock's tick lateness inside the worker (ms); `reset` starts a new measurement after. */
  clockStats(reset = false): Promise<ClockStats> {
    return this.request((token) => ({ op: "clockStats", token, reset })).then(
      (m) => (m as Extract<FromWorker, { op: "clockStats" }>).stats,
    );
  }

  /** Resolves once the worker has handled every message posted before. */
  settled(): Promise<void> {
    return this.request((token) => ({ op: "ping", token })).then(() => undefined);
  }

  private request(make: (token: number) => ToWorker): Promise<FromWorker> {
    const token = ++this.tokens;
    const w = this.start();
    const idle = this.clients.size === 0;
    if (idle) w.ref();
    return new Promise((resolve) => {
      this.replies.set(token, (m) => {
        if (idle && this.clients.size === 0) w.unref();
        resolve(m);
      });
      w.postMessage(make(token));
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const entry = workerEntry(new URL(import.meta.url), "media-worker");
    const w = new Worker(entry.code ?? entry.url, {
      eval: Boolean(entry.code),
      workerData: { bell: this.bell.buffer },
      stdout: false,
      stderr: false,
    });
    w.on("message", (m: FromWorker) => {
      if (m.op === "clockStats" || m.op === "pong") {
        const r = this.replies.get(m.token);
        this.replies.delete(m.token);
        r?.(m);
        return;
      }
      if (m.op === "recorded") {
        this.recordings.get(m.path)?.done();
        this.recordings.delete(m.path);
        return;
      }
      this.clients.get(m.id)?.onWorkerMessage(m);
    });
    w.on("error", (err) => {
      console.error(`media worker failed: ${err.stack ?? err.message}`);
    });
    w.on("exit", () => {
      if (this.worker === w) this.worker = null;
    });
    w.unref();
    this.worker = w;
    return w;
  }

  private async listen(): Promise<void> {
    this.listening = true;
    let seen = Atomics.load(this.bell, 0);
    try {
      while (this.clients.size > 0) {
        const wait = waitAsync(this.bell, 0, seen);
        if (wait.async) await wait.value;
        seen = Atomics.load(this.bell, 0);
        for (const c of this.clients.values()) c.drain();
      }
    } finally {
      this.listening = false;
    }
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

export const mediaWorker = new MediaWorkerHost();
