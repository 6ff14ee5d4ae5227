import { open, type FileHandle } from "node:fs/promises";
import { wavHeader } from "./wav-writer.js";

const SAMPLES = 160;
/** Chunks of one second waiting for the disk at most; beyond that a chunk is dropped (and counted). */
const MAX_PENDING_CHUNKS = 8;

/**
 * A call recording: stereo WAV, caller left, agent right, one 20 ms frame of each per tick so they stay
 * aligned. Samples are gathered in one-second chunks written asynchronously, one write at a time, with
 * at most a few seconds queued: a slow disk costs recording, never a late packet. The header's sizes are
 * patched on close.
 */
export class CallRecorder {
  private file: Promise<FileHandle>;
  private chunk: Buffer;
  private used = 0;
  private dataBytes = 0;
  private pending = 0;
  private writing: Promise<unknown> = Promise.resolve();
  private closed = false;
  dropped = 0;
  /** Why the disk refused the recording (e.g. ENOSPC); from then on nothing more is written. */
  failure: string | null = null;
  /** Caller audio waiting for its tick: up to 1 s, so a burst after a network stall is kept. */
  private readonly heard = new Int16Array(SAMPLES * 50);
  private heardLength = 0;

  constructor(
    readonly path: string,
    private readonly onFailure: (reason: string) => void = () => undefined,
  ) {
    this.chunk = Buffer.alloc(8000 * 2 * 2);
    this.file = open(path, "w", 0o600);
    this.file.catch((err: NodeJS.ErrnoException) => this.fail(err));
    this.enqueue(wavHeader(0, 8000, 2), false);
  }

  /** Caller audio as it is decoded. */
  hear(pcm: Int16Array, n: number): void {
    const room = Math.min(n, this.heard.length - this.heardLength);
    this.heard.set(pcm.subarray(0, room), this.heardLength);
    this.heardLength += room;
  }

  /** One tick: a frame of the caller (what arrived since, up to 20 ms) beside what we sent. */
  tick(agent: Int16Array): void {
    if (this.closed || this.failure) return;
    const n = Math.min(SAMPLES, this.heardLength);
    for (let i = 0; i < SAMPLES; i++) {
      this.chunk.writeInt16LE(i < n ? this.heard[i] : 0, this.used + 4 * i);
      this.chunk.writeInt16LE(agent[i], this.used + 4 * i + 2);
    }
    this.used += SAMPLES * 4;
    this.heard.copyWithin(0, n, this.heardLength);
    this.heardLength -= n;
    if (this.used === this.chunk.length) this.flushChunk();
  }

  private flushChunk(): void {
    if (!this.used) return;
    const full = this.chunk.subarray(0, this.used);
    this.chunk = Buffer.alloc(this.chunk.length);
    this.used = 0;
    if (this.pending >= MAX_PENDING_CHUNKS) {
      this.dropped++;
      return;
    }
    this.dataBytes += full.length;
    this.enqueue(full, true);
  }

  private enqueue(data: Buffer, counts: boolean, position?: number): void {
    if (counts) this.pending++;
    this.writing = this.writing.then(async () => {
      // A failing disk loses the recording, never the call: the first error stops recording and is reported.
      if (!this.failure) {
        try {
          const f = await this.file;
          await f.write(data, 0, data.length, position ?? null);
        } catch (err) {
          this.fail(err as NodeJS.ErrnoException);
        }
      }
      if (counts) this.pending--;
    });
  }

  private fail(err: NodeJS.ErrnoException): void {
    if (this.failure) return;
    this.failure =
      err.code === "ENOSPC"
        ? "the disk is full (ENOSPC)"
        : `the file could not be written (${err.code ?? err.message})`;
    this.onFailure(this.failure);
  }

  /** Writes what is left, patches the header; resolves when the file is complete. */
  async close(): Promise<void> {
    if (this.closed) return this.writing.then(() => undefined);
    this.flushChunk();
    this.closed = true;
    this.enqueue(wavHeader(this.dataBytes, 8000, 2), false, 0);
    await this.writing;
    try {
      await (await this.file).close();
    } catch {
      /* nothing left to save */
    }
  }
}
