import { parseRtp } from "./rtp/packet.js";
import type { Codec } from "./codecs/codec.js";
import { DtmfReceiver } from "./dtmf.js";
import { ReorderBuffer } from "./jitter-buffer.js";
import type { Endpoint } from "./media-types.js";
import { I, F, type CallShared } from "./worker/shared.js";

const SAMPLES = 160;
/** The longest packet a codec decodes to: 120 ms (Opus's limit; G.711 peers send at most 80 ms). */
const MAX_PACKET_SAMPLES = SAMPLES * 6;

export interface ReceiverSink {
  /**
   * Decoded caller audio in order, one call per packet or concealed gap (`pcm` is reused: copy to keep);
   * `timestamp` counts 8 kHz samples (the RTP timestamp, rescaled from the codec's clock).
   */
  frame(pcm: Int16Array, samples: number, timestamp: number): void;
  latched(remote: Endpoint): void;
  dtmf(digit: string): void;
  /** RTCP that arrived on the RTP port (RFC 5761 muxing); true when it was RTCP. */
  rtcp(buf: Buffer): boolean;
}

/**
 * The caller's side of a call's RTP: parses packets, latches to where they come from (symmetric RTP,
 * which gets through NAT), picks out RFC 4733 digits, puts audio back in order through the reorder
 * buffer, conceals losses (the codec's own concealment where it has one, else a short fade), and decodes.
 * Counters go to shared memory.
 */
export class RtpReceiver {
  private codecNow: Codec | null = null;
  /** RTP clock units per 8 kHz sample: 1 for G.711, 6 for Opus. */
  private clockPerSample = 1;
  pt = 0;
  tePt: number | null = null;
  /** Latched: the peer's packets come from `remote`, which answers go back to. */
  latched = false;
  private readonly dtmfIn = new DtmfReceiver();
  private readonly pcmIn = new Int16Array(MAX_PACKET_SAMPLES);
  private readonly pcmLast = new Int16Array(MAX_PACKET_SAMPLES);
  private lastFrameSamples = SAMPLES;
  private concealedInRow = 0;
  /** The peer's stream as RTCP reports it: its SSRC and sequence range (extended). */
  readonly peer = { ssrc: -1, baseSeq: -1, maxSeq: 0, cycles: 0 };
  /** Incoming audio in sequence order, duplicates and late packets dropped, losses concealed. */
  readonly incoming = new ReorderBuffer({
    packet: (payload, timestamp) => this.deliver(this.codecNow!.decode(payload, this.pcmIn), timestamp, 0),
    lost: (timestamp) => this.conceal(timestamp),
  });

  constructor(
    private readonly shared: CallShared,
    private readonly sink: ReceiverSink,
  ) {}

  get codec(): Codec | null {
    return this.codecNow;
  }
  /** The reorder buffer's jitter and packet-duration arithmetic is in the codec's RTP clock. */
  set codec(codec: Codec | null) {
    this.codecNow = codec;
    if (!codec) return;
    this.incoming.clockRateHz = codec.clockRateHz;
    this.clockPerSample = codec.clockRateHz / 8000;
  }

  receive(buf: Buffer, address: string, port: number, now: number): void {
    const i32 = this.shared.i32;
    const p = parseRtp(buf);
    if (!p) {
      if (!(buf.length >= 8 && buf[1] >= 200 && buf[1] <= 204 && this.sink.rtcp(buf))) i32[I.malformed]++;
      return;
    }
    // telephone-event on the negotiated type, or on any other dynamic type with a 4-byte event payload:
    // some peers (sipp's play_dtmf among them) send events on a type they never offered.
    const isEvent =
      p.payloadType === this.tePt || (p.payloadType >= 96 && p.payloadType !== this.pt && p.payload.length === 4);
    if (this.codec && isEvent) {
      const digit = this.dtmfIn.push(p.payload, p.timestamp);
      if (digit) this.sink.dtmf(digit);
      return;
    }
    if (!this.codec || p.payloadType !== this.pt) {
      i32[I.ignored]++;
      return;
    }
    if (!this.latched) {
      this.latched = true;
      this.sink.latched({ address, port });
    }
    i32[I.received]++;
    this.trackPeerSequence(p.ssrc, p.sequence);
    this.incoming.push(p.sequence, p.timestamp, p.payload, now);
    this.publish();
  }

  /** Every clock tick: a gap held open too long is declared lost and concealed. */
  tick(now: number): void {
    this.incoming.tick(now);
    this.publish();
  }

  private publish(): void {
    const s = this.incoming.stats;
    const i32 = this.shared.i32;
    i32[I.inReceived] = s.received;
    i32[I.inLost] = s.lost;
    i32[I.inLate] = s.late;
    i32[I.inDuplicates] = s.duplicates;
    i32[I.inReordered] = s.reordered;
    this.shared.f64[F.jitterMs] = s.jitterMs;
  }

  /** Extended highest sequence number of the peer's stream (RFC 3550 A.1, without probation). */
  private trackPeerSequence(ssrc: number, seq: number): void {
    const peer = this.peer;
    if (peer.ssrc !== ssrc) Object.assign(peer, { ssrc, baseSeq: seq, maxSeq: seq, cycles: 0 });
    const ahead = (seq - peer.maxSeq) & 0xffff;
    if (ahead > 0 && ahead < 0x8000) {
      if (seq < peer.maxSeq) peer.cycles += 0x10000;
      peer.maxSeq = seq;
    }
  }

  /**
   * A lost packet's place. With a codec that conceals (Opus), its decoder's own concealment, which carries
   * the voice on and fades it out by itself. Otherwise the last frame again, at half the level each time,
   * then silence from the fourth on (60 ms of fade-out, in the spirit of G.711 Appendix I, without its pitch
   * search). Either way the listener keeps an unbroken 20 ms stream, so its VAD and timing do not jump.
   */
  private conceal(timestamp: number): void {
    this.concealedInRow++;
    if (this.codecNow?.conceal) {
      this.deliver(this.codecNow.conceal(this.pcmIn), timestamp, this.concealedInRow);
      return;
    }
    const n = this.lastFrameSamples;
    const gain = this.concealedInRow <= 3 ? 0.5 ** this.concealedInRow : 0;
    for (let i = 0; i < n; i++) this.pcmIn[i] = Math.round(this.pcmLast[i] * gain);
    this.deliver(n, timestamp, this.concealedInRow);
  }

  private deliver(n: number, timestamp: number, concealed: number): void {
    if (concealed === 0) {
      this.concealedInRow = 0;
      this.lastFrameSamples = n;
      this.pcmLast.set(this.pcmIn.subarray(0, n));
    }
    const at = this.clockPerSample === 1 ? timestamp : Math.floor(timestamp / this.clockPerSample);
    this.sink.frame(this.pcmIn, n, at);
  }
}
