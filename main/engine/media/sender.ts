import { randomInt } from "node:crypto";
import { writeRtpHeader } from "./rtp/packet.js";
import type { Codec } from "./codecs/g711.js";
import { dtmfPayloads } from "./dtmf.js";
import { F, I, type CallShared } from "./worker/shared.js";

const SAMPLES = 160; // 20 ms at 8 kHz
const MAX_QUEUE_SAMPLES = 8000 * 120; // two minutes of queued speech at most

/**
 * Our side of a call's RTP: a playout queue sent one 20 ms packet per clock tick, RFC 4733 digits in
 * place of audio, and the counters the main thread reads (played samples, packets sent) in shared
 * memory. Pause and flush are words in that memory, read on every tick, so barge-in never waits behind
 * queued messages. Buffers are allocated once per call, never per packet.
 */
export class RtpSender {
  readonly ssrc = randomInt(1, 0xffffffff);
  private seq = randomInt(0, 0xffff);
  /** RTP timestamp of the last packet sent. */
  ts = randomInt(0, 0xffffffff);
  codec: Codec | null = null;
  pt = 0;
  tePt: number | null = null;
  sending = true;
  private readonly packet = Buffer.alloc(12 + SAMPLES);
  /** This tick's agent audio (silence when nothing was queued): also what the recorder keeps. */
  readonly pcmOut = new Int16Array(SAMPLES);
  private queue = new Int16Array(8000 * 10);
  private queueStart = 0;
  private queueEnd = 0;
  private gen = 0;
  /** Telephone-event packets waiting to go out, one per tick, instead of audio (RFC 4733 §2.5). */
  private readonly dtmfOut: { payload: Uint8Array; first: boolean; last: boolean }[] = [];
  private dtmfTimestamp = 0;
  private readonly dtmfPacket = Buffer.alloc(16);

  constructor(private readonly shared: CallShared, private readonly out: (packet: Buffer) => void) {}

  get sent(): number { return this.shared.i32[I.sent]; }
  get octetsSent(): number { return this.shared.i32[I.octetsSent]; }

  /** Queues 8 kHz PCM; `gen` is the flush generation it was posted in (older ones were flushed). */
  play(pcm: Int16Array, gen: number): void {
    this.shared.f64[F.consumed] += pcm.length;
    this.checkFlush();
    if (gen !== this.gen) return;
    const queued = this.queueEnd - this.queueStart;
    if (queued + pcm.length > MAX_QUEUE_SAMPLES) return;
    if (this.queueEnd + pcm.length > this.queue.length) {
      const bigger = new Int16Array(Math.max(this.queue.length, (queued + pcm.length) * 2));
      bigger.set(this.queue.subarray(this.queueStart, this.queueEnd));
      this.queue = bigger;
      this.queueEnd = queued;
      this.queueStart = 0;
    }
    this.queue.set(pcm, this.queueEnd);
    this.queueEnd += pcm.length;
    this.shared.i32[I.queued] = this.queueEnd - this.queueStart;
  }

  private checkFlush(): void {
    const gen = Atomics.load(this.shared.i32, I.flushGen);
    if (gen === this.gen) return;
    this.gen = gen;
    this.queueStart = this.queueEnd = 0;
    this.shared.i32[I.queued] = 0;
  }

  /** Sends digits as RFC 4733 events (false when the peer did not offer telephone-event). */
  sendDtmf(digits: string): boolean {
    if (this.tePt === null) return false;
    for (const d of digits) {
      const packets = dtmfPayloads(d);
      packets.forEach((payload, i) => this.dtmfOut.push({ payload, first: i === 0, last: i === packets.length - 1 }));
      // 40 ms of silence between digits, as the events of one digit share a timestamp.
      for (let i = 0; i < 2; i++) this.dtmfOut.push({ payload: new Uint8Array(0), first: false, last: false });
    }
    return true;
  }

  /** One clock tick: takes 20 ms off the queue (silence when paused or empty) and sends it. */
  tick(): void {
    if (!this.codec) return;
    this.checkFlush();
    const paused = Atomics.load(this.shared.i32, I.paused) === 1;
    const available = paused ? 0 : this.queueEnd - this.queueStart;
    const n = Math.min(SAMPLES, available);
    this.pcmOut.set(this.queue.subarray(this.queueStart, this.queueStart + n));
    if (n < SAMPLES) this.pcmOut.fill(0, n);
    this.queueStart += n;
    if (this.queueStart === this.queueEnd) this.queueStart = this.queueEnd = 0;
    this.shared.i32[I.queued] = this.queueEnd - this.queueStart;
    this.shared.f64[F.played] += n;
    this.ts = (this.ts + SAMPLES) >>> 0;
    this.seq = (this.seq + 1) & 0xffff;
    if (!this.sending) return;
    const event = this.dtmfOut.shift();
    if (event && this.tePt !== null) {
      if (event.first) this.dtmfTimestamp = this.ts;
      if (event.payload.length === 0) return; // gap between digits
      writeRtpHeader(this.dtmfPacket, { marker: event.first, payloadType: this.tePt, sequence: this.seq, timestamp: this.dtmfTimestamp, ssrc: this.ssrc });
      this.dtmfPacket.set(event.payload, 12);
      this.out(this.dtmfPacket);
      this.shared.i32[I.sent]++;
      this.shared.i32[I.octetsSent] += event.payload.length;
      return;
    }
    writeRtpHeader(this.packet, { marker: this.shared.i32[I.sent] === 0, payloadType: this.pt, sequence: this.seq, timestamp: this.ts, ssrc: this.ssrc });
    this.codec.encode(this.pcmOut, this.packet.subarray(12));
    this.out(this.packet);
    this.shared.i32[I.sent]++;
    this.shared.i32[I.octetsSent] += SAMPLES;
  }
}
