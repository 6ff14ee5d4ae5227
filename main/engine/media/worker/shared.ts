/**
 * What the main thread and the media worker share per call, in one SharedArrayBuffer:
 *
 * - a single-producer/single-consumer ring of caller frames (worker writes, main reads), so audio that
 *   arrives while the main thread is busy waits here and is handed over afterwards, not lost;
 * - counters the main thread reads synchronously (played samples, media report numbers), written only
 *   by the worker;
 * - control words written only by the main thread and read by the worker on every tick (pause, flush
 *   generation), so barge-in does not wait behind queued messages.
 *
 * Wait-free in the manner of ringbuf.js: each index has one writer, published with Atomics.store after
 * the data it covers; 20 ms slots of 160 samples (larger packets are cut into slots).
 */

/** 160 samples: one 20 ms frame at 8 kHz. */
export const SLOT_SAMPLES = 160;
/** 5.12 s of 20 ms frames: a main thread stalled that long still loses nothing. */
export const RING_SLOTS = 256;

/** Int32 words. */
export const I = {
  /** Frames written (monotonic, worker). */
  write: 0,
  /** Frames read (monotonic, main). */
  read: 1,
  /** Frames dropped because the ring was full (worker). */
  overrun: 2,
  /** 1 while playout is held (main). */
  paused: 3,
  /** Incremented by every flush (main): the worker drops queued audio and any play posted before it. */
  flushGen: 4,
  sent: 5,
  received: 6,
  malformed: 7,
  ignored: 8,
  octetsSent: 9,
  rtcpSent: 10,
  rtcpReceived: 11,
  inReceived: 12,
  inLost: 13,
  inLate: 14,
  inDuplicates: 15,
  inReordered: 16,
  /** Samples waiting in the worker's playout queue. */
  queued: 17,
  /** 1 once the peer reported on our stream (RTCP). */
  peerReported: 18,
  /** Recorder: chunks dropped because the disk did not keep up (bounded queue). */
  recordDropped: 19,
  /**
   * In a tap's ring (the VAD thread's): 1 from the window in which that thread heard speech begin until
   * the main thread has judged the same window, so playout holds without waiting for the main thread
   * (barge-in). Set by the VAD thread, cleared by the main thread.
   */
  onsetHold: 20,
  /** The end sample of the window the onset hold was set for (VAD thread). */
  onsetHoldEnd: 21,
} as const;
const I_WORDS = 24;

/** Float64 words. */
export const F = {
  /** Queued samples sent so far (monotonic). */
  played: 0,
  /** Samples taken off the message port by the worker (queued or dropped): the rest are still in flight. */
  consumed: 1,
  jitterMs: 2,
  peerFractionLost: 3,
  peerPacketsLost: 4,
  peerJitterMs: 5,
  /** NaN: no round trip known. */
  peerRttMs: 6,
} as const;
const F_WORDS = 8;

export interface CallShared {
  buffer: SharedArrayBuffer;
  i32: Int32Array;
  f64: Float64Array;
  /** Per slot: its sample count. */
  lengths: Int32Array;
  /** Per slot: the RTP timestamp of its first sample. */
  timestamps: Float64Array;
  samples: Int16Array;
}

export function callShared(
  buffer = new SharedArrayBuffer(I_WORDS * 4 + F_WORDS * 8 + RING_SLOTS * (4 + 8) + RING_SLOTS * SLOT_SAMPLES * 2),
): CallShared {
  let off = 0;
  const i32 = new Int32Array(buffer, off, I_WORDS);
  off += I_WORDS * 4;
  const f64 = new Float64Array(buffer, off, F_WORDS);
  off += F_WORDS * 8;
  const timestamps = new Float64Array(buffer, off, RING_SLOTS);
  off += RING_SLOTS * 8;
  const lengths = new Int32Array(buffer, off, RING_SLOTS);
  off += RING_SLOTS * 4;
  const samples = new Int16Array(buffer, off, RING_SLOTS * SLOT_SAMPLES);
  return { buffer, i32, f64, lengths, timestamps, samples };
}

/** Worker side: appends one frame (cut into 20 ms slots); false when the ring is full (counted). */
export function ringPush(s: CallShared, pcm: Int16Array, n: number, rtpTimestamp: number): boolean {
  let written = Atomics.load(s.i32, I.write);
  const read = Atomics.load(s.i32, I.read);
  for (let off = 0; off < n; off += SLOT_SAMPLES) {
    if (written - read >= RING_SLOTS) {
      s.i32[I.overrun]++;
      Atomics.store(s.i32, I.write, written);
      return false;
    }
    const slot = written % RING_SLOTS;
    const len = Math.min(SLOT_SAMPLES, n - off);
    s.samples.set(pcm.subarray(off, off + len), slot * SLOT_SAMPLES);
    s.lengths[slot] = len;
    s.timestamps[slot] = (rtpTimestamp + off) >>> 0;
    written++;
  }
  Atomics.store(s.i32, I.write, written);
  return true;
}

/** Main side: hands each waiting frame to `take` (a view valid during the call only), oldest first. */
export function ringDrain(s: CallShared, take: (pcm: Int16Array, rtpTimestamp: number) => void): number {
  const written = Atomics.load(s.i32, I.write);
  let read = Atomics.load(s.i32, I.read);
  let n = 0;
  while (read !== written) {
    const slot = read % RING_SLOTS;
    const start = slot * SLOT_SAMPLES;
    take(s.samples.subarray(start, start + s.lengths[slot]), s.timestamps[slot]);
    read++;
    // Published per frame: the worker may reuse the slot as soon as it has been handed on.
    Atomics.store(s.i32, I.read, read);
    n++;
  }
  return n;
}

/**
 * Worker side: copies the frames of `src` from frame index `from` up to what has been written into `dst`,
 * so a tap opened now starts at the same sample as the main thread's reader (their sample counts agree).
 * Frames the main thread has not read are still in `src`; older ones may have been overwritten and are skipped.
 */
export function ringCopy(src: CallShared, from: number, dst: CallShared): void {
  const written = Atomics.load(src.i32, I.write);
  for (let i = Math.max(from, written - RING_SLOTS); i < written; i++) {
    const slot = i % RING_SLOTS;
    const start = slot * SLOT_SAMPLES;
    ringPush(dst, src.samples.subarray(start, start + src.lengths[slot]), src.lengths[slot], src.timestamps[slot]);
  }
}

/** The worker rings this after delivering frames or playout progress; the main thread waits on it. */
export const BELL_WORDS = 2;
