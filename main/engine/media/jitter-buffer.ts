/**
 * Puts a call's incoming RTP back in order, drops duplicates and late packets, and stands in for lost
 * ones. Our listener is the voice pipeline, not a loudspeaker: it needs every frame in order, not an
 * even pace, so in-order packets go through at once (no added delay) and only a gap holds later
 * packets back, for as long as reordering on this call has been seen to last (20–120 ms, adaptive).
 * A gap still open after that is lost: it is concealed (the last frame repeated, fading out) and the
 * held packets follow. docs/decisions.md ("Jitter buffer") says why this shape.
 *
 * Payloads are copied into slots allocated once per call; nothing is allocated per packet (a slot grows
 * once if a packet is larger than G.711's: Opus at a high bitrate).
 */

const SLOTS = 16;
const SLOT_BYTES = 640; // 80 ms of G.711: more than G.711 peers put in a packet
/** No RTP payload is larger than a UDP datagram on an Ethernet path. */
const MAX_PAYLOAD = 1500;
const MIN_WAIT_MS = 20;
const MAX_WAIT_MS = 120;
/** More than this many frames ahead is not reordering but a new stream (or a long outage): start over. */
const MAX_AHEAD = SLOTS - 1;

export interface ReorderStats {
  /** Packets taken in (in order or reordered). */
  received: number;
  duplicates: number;
  /** Arrived after their place had been concealed (a duplicate of a played one counts as a duplicate). */
  late: number;
  /** Arrived after a later packet, in time to be played in order. */
  reordered: number;
  /** Sequence numbers never received in time (each concealed). */
  lost: number;
  /** RFC 3550 interarrival jitter, in ms. */
  jitterMs: number;
  /** How long a gap is currently held open before it counts as lost. */
  waitMs: number;
}

export interface ReorderSink {
  /** A packet's payload, in sequence order. */
  packet(payload: Uint8Array, timestamp: number): void;
  /** One lost packet, in its place. */
  lost(timestamp: number): void;
}

export class ReorderBuffer {
  private readonly payloads = Array.from({ length: SLOTS }, () => new Uint8Array(SLOT_BYTES));
  private readonly lengths = new Int32Array(SLOTS);
  private readonly seqs = new Int32Array(SLOTS).fill(-1);
  private readonly timestamps = new Float64Array(SLOTS);
  private held = 0;
  /** The next sequence number to hand on; -1 before the first packet. */
  private next = -1;
  private gapSince = -1;
  /** RTP timestamp step of one packet, learnt from consecutive packets (for concealed ones). */
  private step = 160;
  private lastTimestamp = 0;
  private transit = NaN;
  /** The last 64 sequence numbers handed on, and whether each was concealed: tells a duplicate from a late packet. */
  private readonly recent = new Int32Array(64).fill(-1);
  private readonly recentConcealed = new Uint8Array(64);
  readonly stats: ReorderStats = {
    received: 0,
    duplicates: 0,
    late: 0,
    reordered: 0,
    lost: 0,
    jitterMs: 0,
    waitMs: 40,
  };

  private clock = 8000;

  constructor(
    private readonly sink: ReorderSink,
    clockRateHz = 8000,
  ) {
    this.clockRateHz = clockRateHz;
  }

  get clockRateHz(): number {
    return this.clock;
  }
  /** The stream's RTP clock (the receiver sets it from the negotiated codec); a packet is taken as 20 ms until learnt. */
  set clockRateHz(hz: number) {
    this.clock = hz;
    this.step = hz / 50;
  }

  /** A packet as it arrives; `now` in ms (performance.now()). */
  push(seq: number, timestamp: number, payload: Uint8Array, now: number): void {
    if (payload.length > MAX_PAYLOAD) return;
    this.updateJitter(timestamp, now);
    if (this.next < 0) this.next = seq;
    const ahead = ((seq - this.next + 0x8000) & 0xffff) - 0x8000;
    if (ahead < 0) {
      if (ahead <= -this.recent.length) {
        // Long behind: the peer restarted its sequence. Play it from here on.
        this.restart(seq);
        this.store(seq, timestamp, payload, now);
      } else if (this.recent[seq % this.recent.length] === seq && !this.recentConcealed[seq % this.recent.length]) {
        this.stats.duplicates++;
      } else {
        // Its place was concealed: we gave up on it too soon, so the next gap is waited for longer.
        this.stats.late++;
        this.stats.waitMs = Math.min(MAX_WAIT_MS, this.stats.waitMs + 20);
      }
      return;
    }
    if (ahead > MAX_AHEAD) {
      // Far ahead: a long outage or a new stream. What is held goes out, the rest of the outage counts
      // as lost (not concealed: seconds of made-up audio would be worse than none), then on from here.
      this.drainAll();
      this.stats.lost += (seq - this.next) & 0xffff;
      this.next = seq;
    }
    this.store(seq, timestamp, payload, now);
  }

  private store(seq: number, timestamp: number, payload: Uint8Array, now: number): void {
    const slot = seq % SLOTS;
    if (this.seqs[slot] === seq) {
      this.stats.duplicates++;
      return;
    }
    this.stats.received++;
    if (seq === this.next && this.held > 0) {
      this.stats.reordered++;
      // The gap closed after this long: aim a little above the longest recent one, decaying slowly.
      const took = now - this.gapSince;
      this.stats.waitMs = Math.max(MIN_WAIT_MS, Math.min(MAX_WAIT_MS, Math.max(this.stats.waitMs * 0.95, took * 1.5)));
    }
    if (payload.length > this.payloads[slot].length) this.payloads[slot] = new Uint8Array(MAX_PAYLOAD);
    this.payloads[slot].set(payload);
    this.lengths[slot] = payload.length;
    this.seqs[slot] = seq;
    this.timestamps[slot] = timestamp;
    this.held++;
    this.drain(now);
  }

  /** Called every media tick: a gap open longer than the wait is lost. */
  tick(now: number): void {
    if (this.held === 0 || this.gapSince < 0 || now - this.gapSince < this.stats.waitMs) return;
    // Everything missing before the first held packet is overdue: conceal it, then play on.
    while (this.held > 0 && this.seqs[this.next % SLOTS] !== this.next) this.conceal();
    this.drain(now);
  }

  private conceal(): void {
    this.stats.lost++;
    this.recent[this.next % this.recent.length] = this.next;
    this.recentConcealed[this.next % this.recent.length] = 1;
    this.lastTimestamp = (this.lastTimestamp + this.step) >>> 0;
    this.sink.lost(this.lastTimestamp);
    this.next = (this.next + 1) & 0xffff;
  }

  private drain(now: number): void {
    let moved = false;
    for (let slot = this.next % SLOTS; this.seqs[slot] === this.next; slot = this.next % SLOTS) {
      this.emit(slot);
      moved = true;
    }
    // A gap opens when a packet is held; it restarts when play moved on to the next hole.
    if (this.held === 0) this.gapSince = -1;
    else if (moved || this.gapSince < 0) this.gapSince = now;
  }

  private drainAll(): void {
    while (this.held > 0) {
      if (this.seqs[this.next % SLOTS] === this.next) this.emit(this.next % SLOTS);
      else this.conceal();
    }
    this.gapSince = -1;
  }

  private emit(slot: number): void {
    const ts = this.timestamps[slot];
    const step = (ts - this.lastTimestamp) >>> 0;
    if (step > 0 && step <= this.clockRateHz / 5) this.step = step;
    this.lastTimestamp = ts;
    this.seqs[slot] = -1;
    this.held--;
    this.recent[this.next % this.recent.length] = this.next;
    this.recentConcealed[this.next % this.recent.length] = 0;
    this.next = (this.next + 1) & 0xffff;
    this.sink.packet(this.payloads[slot].subarray(0, this.lengths[slot]), ts);
  }

  private restart(seq: number): void {
    this.seqs.fill(-1);
    this.held = 0;
    this.gapSince = -1;
    this.next = seq;
  }

  /** RFC 3550 §6.4.1: J += (|D| − J) / 16, D the change in transit time between consecutive arrivals. */
  private updateJitter(timestamp: number, now: number): void {
    const transit = now - (timestamp * 1000) / this.clockRateHz;
    if (!Number.isNaN(this.transit)) {
      let d = Math.abs(transit - this.transit);
      // A timestamp wrap (every ~6 days at 8 kHz) or a new stream is not jitter.
      if (d > 10_000) d = 0;
      this.stats.jitterMs += (d - this.stats.jitterMs) / 16;
    }
    this.transit = transit;
  }
}
