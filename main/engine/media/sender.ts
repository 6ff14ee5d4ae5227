import { randomInt } from "node:crypto";
import { writeRtpHeader } from "./rtp/packet.js";
import type { Codec } from "./codecs/codec.js";
import { dtmfPayloads } from "./dtmf.js";
import { F, I, type CallShared } from "./worker/shared.js";

const SAMPLES = 160; // 20 ms at 8 kHz
const MAX_QUEUE_SAMPLES = 8000 * 120; // two minutes of queued speech at most
/** More than the ticks a catch-up can send at once before the sends of the first have left (320 ms). */
const PACKET_BUFFERS = 16;
/** The side source's backlog cap (200 ms): past it, what waits is dropped rather than delayed. */
const SIDE_SAMPLES = 1600;
/**
 * Relayed audio that never drains below a whole packet for this many ticks (500 ms) is standing delay, not
 * jitter absorption: that much is dropped from the queue's head (see `trimRelay`).
 */
const RELAY_TRIM_TICKS = 25;

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
  private codecNow: Codec | null = null;
  /** RTP clock units per 20 ms packet: 160 for G.711, 960 for Opus (48 kHz clock). */
  private tsStep = SAMPLES;
  pt = 0;
  tePt: number | null = null;
  sending = true;
  /**
   * Packet buffers used in turn: dgram sends after a nextTick (its address lookup), so when the clock
   * catches up several ticks in one go, one reused buffer would go out several times with the last
   * tick's content (a duplicate and a lost packet at the far end).
   */
  private packets = Array.from({ length: PACKET_BUFFERS }, () => Buffer.alloc(12 + SAMPLES));
  private payloads = this.packets.map((p) => p.subarray(12));
  private readonly dtmfPackets = Array.from({ length: PACKET_BUFFERS }, () => Buffer.alloc(16));
  private nextBuffer = 0;
  /** This tick's agent audio (silence when nothing was queued): also what the recorder keeps. */
  readonly pcmOut = new Int16Array(SAMPLES);
  private queue = new Int16Array(8000 * 10);
  private queueStart = 0;
  private queueEnd = 0;
  private gen = 0;
  /** Telephone-event packets waiting to go out, one per tick, instead of audio (RFC 4733 §2.5). */
  private readonly dtmfOut: { payload: Uint8Array; first: boolean; last: boolean }[] = [];
  private dtmfTimestamp = 0;
  /** Other threads' rings whose onset-hold word holds playout too (the VAD thread's taps). */
  readonly holds: Int32Array[] = [];
  /** Samples of this tick's `pcmOut` that came from the queue (the rest is silence). */
  lastQueued = 0;
  /**
   * A second source summed into what is sent: a console listening to a call hears the caller through the
   * queue and the call's own outgoing audio (its assistant, or a person) through this ring.
   */
  private readonly side = new Int16Array(SIDE_SAMPLES);
  private sideHead = 0;
  private sideCount = 0;
  /** The queue holds audio relayed from another leg (not speech played from the main thread). */
  private relaying = false;
  /** Lowest queue level after a tick's send, over the ticks counted since the last trim check. */
  private relayLowest = Infinity;
  private relayTicks = 0;
  /** Samples of relayed audio dropped as standing delay (for tests and benchmarks). */
  relayTrimmed = 0;

  constructor(
    private readonly shared: CallShared,
    /** Sends the first `length` bytes of `packet` (the buffer is reused: copy it to keep it). */
    private readonly out: (packet: Buffer, length: number) => void,
  ) {}

  get codec(): Codec | null {
    return this.codecNow;
  }
  /** Packet buffers grow once here when a codec's packets can be larger than G.711's (Opus). */
  set codec(codec: Codec | null) {
    this.codecNow = codec;
    if (!codec) return;
    this.tsStep = (codec.clockRateHz * 20) / 1000;
    if (this.packets[0].length < 12 + codec.maxPayloadBytes) {
      this.packets = Array.from({ length: PACKET_BUFFERS }, () => Buffer.alloc(12 + codec.maxPayloadBytes));
      this.payloads = this.packets.map((p) => p.subarray(12));
    }
  }

  get sent(): number {
    return this.shared.i32[I.sent];
  }
  get octetsSent(): number {
    return this.shared.i32[I.octetsSent];
  }

  /** Queues 8 kHz PCM; `gen` is the flush generation it was posted in (older ones were flushed). */
  play(pcm: Int16Array, gen: number): void {
    this.relaying = false;
    this.enqueue(pcm, gen);
  }

  private enqueue(pcm: Int16Array, gen: number): void {
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

  /**
   * Queues audio relayed from another leg of this worker (a bridged transfer). Past `maxBacklog` samples
   * waiting, the queue is dropped first: a burst after a stall must not delay the rest of the call.
   */
  relay(pcm: Int16Array, maxBacklog: number): void {
    this.checkFlush();
    if (this.queueEnd - this.queueStart > maxBacklog) {
      this.queueStart = this.queueEnd = 0;
      this.shared.i32[I.queued] = 0;
    }
    this.relaying = true;
    this.enqueue(pcm, this.gen);
  }

  /**
   * Relayed audio arrives at the far leg's pace and leaves at ours, one packet per tick: a backlog built
   * once (a stall of this thread and the burst of packets after it, the moment the relay began) would stay
   * for the rest of the call, adding its length to every word (measured with `npm run bench -- webrtc`:
   * 20–40 ms after a console joins, up to 100 ms after stalls on a loaded machine). When the queue has not
   * gone below a whole packet after any tick for RELAY_TRIM_TICKS (500 ms), those whole packets are dropped
   * from its head. Jitter keeps the lowest level near zero, so nothing is dropped from a stream that needs
   * its queue.
   */
  private trimRelay(): void {
    const level = this.queueEnd - this.queueStart;
    if (level < this.relayLowest) this.relayLowest = level;
    if (++this.relayTicks < RELAY_TRIM_TICKS) return;
    const drop = Math.floor(this.relayLowest / SAMPLES) * SAMPLES;
    if (drop > 0) {
      this.queueStart += drop;
      this.relayTrimmed += drop;
      this.shared.i32[I.queued] = this.queueEnd - this.queueStart;
    }
    this.relayLowest = Infinity;
    this.relayTicks = 0;
  }

  /** Queues audio to be summed into what goes out (see `side`); a backlog past 200 ms is dropped first. */
  mix(pcm: Int16Array): void {
    if (this.sideCount + pcm.length > SIDE_SAMPLES) this.sideCount = 0;
    let at = (this.sideHead + this.sideCount) % SIDE_SAMPLES;
    for (let i = 0; i < pcm.length; i++) {
      this.side[at] = pcm[i];
      at = at + 1 === SIDE_SAMPLES ? 0 : at + 1;
    }
    this.sideCount += pcm.length;
  }

  private mixSide(): void {
    const m = Math.min(SAMPLES, this.sideCount);
    let at = this.sideHead;
    for (let i = 0; i < m; i++) {
      const v = this.pcmOut[i] + this.side[at];
      this.pcmOut[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
      at = at + 1 === SIDE_SAMPLES ? 0 : at + 1;
    }
    this.sideHead = at;
    this.sideCount -= m;
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

  private heldByTap(): boolean {
    for (let i = 0; i < this.holds.length; i++) if (Atomics.load(this.holds[i], I.onsetHold) === 1) return true;
    return false;
  }

  /** One clock tick: takes 20 ms off the queue (silence when paused or empty) and sends it. */
  tick(): void {
    const codec = this.codecNow;
    if (!codec) return;
    this.checkFlush();
    const paused = Atomics.load(this.shared.i32, I.paused) === 1 || this.heldByTap();
    const available = paused ? 0 : this.queueEnd - this.queueStart;
    const n = Math.min(SAMPLES, available);
    this.pcmOut.set(this.queue.subarray(this.queueStart, this.queueStart + n));
    if (n < SAMPLES) this.pcmOut.fill(0, n);
    this.lastQueued = n;
    if (this.sideCount > 0) this.mixSide();
    this.queueStart += n;
    if (this.queueStart === this.queueEnd) this.queueStart = this.queueEnd = 0;
    if (this.relaying && !paused) this.trimRelay();
    this.shared.i32[I.queued] = this.queueEnd - this.queueStart;
    this.shared.f64[F.played] += n;
    this.ts = (this.ts + this.tsStep) >>> 0;
    this.seq = (this.seq + 1) & 0xffff;
    if (!this.sending) return;
    const buffer = this.nextBuffer;
    this.nextBuffer = (this.nextBuffer + 1) % PACKET_BUFFERS;
    const event = this.dtmfOut.shift();
    if (event && this.tePt !== null) {
      if (event.first) this.dtmfTimestamp = this.ts;
      if (event.payload.length === 0) return; // gap between digits
      const packet = this.dtmfPackets[buffer];
      writeRtpHeader(packet, {
        marker: event.first,
        payloadType: this.tePt,
        sequence: this.seq,
        timestamp: this.dtmfTimestamp,
        ssrc: this.ssrc,
      });
      packet.set(event.payload, 12);
      this.out(packet, 12 + event.payload.length);
      this.shared.i32[I.sent]++;
      this.shared.i32[I.octetsSent] += event.payload.length;
      return;
    }
    const packet = this.packets[buffer];
    writeRtpHeader(packet, {
      marker: this.shared.i32[I.sent] === 0,
      payloadType: this.pt,
      sequence: this.seq,
      timestamp: this.ts,
      ssrc: this.ssrc,
    });
    const bytes = codec.encode(this.pcmOut, this.payloads[buffer]);
    // A frame the codec could not code is not sent: the peer conceals it as a lost packet.
    if (bytes === 0) return;
    this.out(packet, 12 + bytes);
    this.shared.i32[I.sent]++;
    this.shared.i32[I.octetsSent] += bytes;
  }
}
