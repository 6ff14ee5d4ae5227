import { createSocket, type Socket } from "node:dgram";
import { EventEmitter } from "node:events";
import { randomInt } from "node:crypto";
import { parseRtp, writeRtpHeader } from "./rtp/packet.js";
import type { Codec } from "./codecs/g711.js";
import { mediaClock, type MediaClock } from "./clock.js";
import type { AudioFrame } from "./frame.js";
import { DtmfReceiver, dtmfPayloads } from "./dtmf.js";
import { WavWriter } from "./wav-writer.js";
import { ReorderBuffer } from "./jitter-buffer.js";
import { buildReport, parseRtcp, roundTripMs, type ReportBlock } from "./rtcp.js";

export interface RtpPortRange { min: number; max: number }
export interface MediaReport {
  packets_sent: number; packets_received: number; packets_lost: number; packets_late: number; packets_duplicate: number;
  packets_reordered: number; packets_malformed: number; jitter_ms: number;
  rtcp_sent: number; rtcp_received: number;
  /** How our audio reached the peer, from its last RTCP report about it (null: it sent none). */
  peer_reported: { fraction_lost: number; packets_lost: number; jitter_ms: number; rtt_ms: number | null } | null;
}

/** RTCP report interval (RFC 3550 suggests 5 s for a two-party session), randomized ±50 % per report. */
export const RTCP_INTERVAL_MS = 5000;
export interface Endpoint { address: string; port: number }

const SAMPLES = 160; // 20 ms at 8 kHz
const MAX_QUEUE_SAMPLES = 8000 * 120; // two minutes of queued speech at most

/**
 * One call's audio over RTP: a UDP socket, symmetric RTP (answers go where the peer's packets come
 * from, which gets through NAT), a playout queue sent on the shared 20 ms clock, and decoded frames out.
 * Buffers are allocated once per session, never per frame.
 */
export class RtpSession extends EventEmitter<{ frame: [AudioFrame]; latched: [Endpoint]; dtmf: [string] }> {
  private socket: Socket | null = null;
  private remote: Endpoint | null = null;
  private latched = false;
  private codec: Codec | null = null;
  private pt = 0;
  private readonly ssrc = randomInt(1, 0xffffffff);
  private seq = randomInt(0, 0xffff);
  private ts = randomInt(0, 0xffffffff);
  private readonly packet = Buffer.alloc(12 + SAMPLES);
  private readonly pcmOut = new Int16Array(SAMPLES);
  private readonly pcmIn = new Int16Array(SAMPLES * 4);
  private queue = new Int16Array(8000 * 10);
  private queueStart = 0;
  private queueEnd = 0;
  private removeTick: (() => void) | null = null;
  private tePt: number | null = null;
  private readonly dtmfIn = new DtmfReceiver();
  /** Telephone-event packets waiting to go out, one per tick, instead of audio (RFC 4733 §2.5). */
  private readonly dtmfOut: { payload: Uint8Array; first: boolean; last: boolean }[] = [];
  private dtmfTimestamp = 0;
  private readonly dtmfPacket = Buffer.alloc(16);
  /** Call recording: stereo, caller left, agent right, one frame of each per tick so they stay aligned. */
  private recorder: WavWriter | null = null;
  private readonly recordFrame = new Int16Array(SAMPLES * 2);
  /** Caller audio waiting for the recorder: up to 1 s, so a burst after a network or loop stall is kept. */
  private readonly heard = new Int16Array(SAMPLES * 50);
  private heardLength = 0;
  private sending = true;
  /** Playout held (barge-in onset): the queue is kept, silence goes out until resume() or flush(). */
  private paused = false;
  /** Queued samples sent so far (monotonic): lets the voice pipeline know how much of a reply was heard. */
  private played = 0;
  readonly stats = { sent: 0, received: 0, malformed: 0, ignored: 0, octetsSent: 0, rtcpSent: 0, rtcpReceived: 0 };
  /** RTCP on port + 1: our reports every interval, the peer's kept for the call's media report. */
  private rtcpSocket: Socket | null = null;
  rtcpIntervalMs = RTCP_INTERVAL_MS;
  private rtcpTimer: NodeJS.Timeout | null = null;
  private readonly cname = `voicedock@${randomInt(1, 0xffffffff).toString(16)}`;
  /** The peer's stream as RTCP reports it: its SSRC, sequence range (extended), and our last report's counts. */
  private readonly peer = { ssrc: -1, baseSeq: -1, maxSeq: 0, cycles: 0, expectedPrior: 0, receivedPrior: 0, lastSrMiddle: 0, lastSrAt: 0 };
  private peerReport: MediaReport["peer_reported"] = null;
  /** Where the peer's RTCP comes from (symmetric RTCP, as for RTP behind NAT); until then RTP port + 1. */
  private rtcpRemote: Endpoint | null = null;
  /** Incoming audio in sequence order, duplicates and late packets dropped, losses concealed. */
  readonly incoming = new ReorderBuffer({
    packet: (payload, timestamp) => this.deliver(this.codec!.decode(payload, this.pcmIn), timestamp, 0),
    lost: (timestamp) => this.concealFrame(timestamp),
  });
  /** Length of the last frame heard and how many in a row were concealed (for the fade). */
  private lastFrameSamples = SAMPLES;
  private concealedInRow = 0;
  private readonly pcmLast = new Int16Array(SAMPLES * 4);

  constructor(private readonly clock: MediaClock = mediaClock) { super(); }

  /** Binds an even port in the range for RTP and the one above it for RTCP (RFC 3550 §11). */
  async open(host: string, range: RtpPortRange): Promise<number> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const port = range.min + 2 * randomInt(0, Math.max(1, Math.floor((range.max - range.min) / 2)));
      const socket = createSocket(host.includes(":") ? "udp6" : "udp4");
      const ok = await new Promise<boolean>((resolve) => {
        socket.once("error", () => resolve(false));
        socket.bind(port, host, () => resolve(true));
      });
      if (!ok) { socket.close(); continue; }
      const rtcp = createSocket(host.includes(":") ? "udp6" : "udp4");
      const rtcpOk = await new Promise<boolean>((resolve) => {
        rtcp.once("error", () => resolve(false));
        rtcp.bind(port + 1, host, () => resolve(true));
      });
      if (!rtcpOk) { socket.close(); rtcp.close(); continue; }
      socket.on("error", () => undefined);
      socket.on("message", (buf, rinfo) => this.receive(buf, rinfo.address, rinfo.port));
      rtcp.on("error", () => undefined);
      rtcp.on("message", (buf, rinfo) => { if (this.receiveRtcp(buf)) this.rtcpRemote = { address: rinfo.address, port: rinfo.port }; });
      this.socket = socket;
      this.rtcpSocket = rtcp;
      return port;
    }
    throw new Error(`no free RTP port between ${range.min} and ${range.max}`);
  }

  get localPort(): number { return this.socket?.address().port ?? 0; }

  /** Where to send and what to send with (from the SDP exchange). */
  configure(remote: Endpoint, codec: Codec, pt: number, telephoneEventPt: number | null = null): void {
    if (!this.latched) this.remote = remote;
    this.codec = codec;
    this.pt = pt;
    this.tePt = telephoneEventPt;
    if (!this.removeTick) {
      // The first packet goes now, not on the next tick: it opens our NAT router's mapping for this port
      // before the 200 OK reaches the peer, whose packets would otherwise arrive first, find no mapping,
      // and make the router map our port to another one than the SDP names.
      this.sendFrame();
      this.removeTick = this.clock.add(() => { this.sendFrame(); this.incoming.tick(performance.now()); });
    }
    if (!this.rtcpTimer) this.scheduleRtcp();
  }

  setSending(on: boolean): void { this.sending = on; }

  /** The peer moved its media (re-INVITE): send to the new address and latch afresh from its next packet. */
  retarget(remote: Endpoint): void { this.remote = remote; this.latched = false; }

  /** Queues 8 kHz PCM for playout. */
  play(pcm: Int16Array): void {
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
  }

  startRecording(path: string): void { this.recorder ??= new WavWriter(path, 8000, 2); }

  stopRecording(): void { this.recorder?.close(); this.recorder = null; }

  private record(): void {
    const rec = this.recorder;
    if (!rec) return;
    const n = Math.min(SAMPLES, this.heardLength);
    for (let i = 0; i < SAMPLES; i++) {
      this.recordFrame[2 * i] = i < n ? this.heard[i] : 0;
      this.recordFrame[2 * i + 1] = this.pcmOut[i];
    }
    this.heard.copyWithin(0, n, this.heardLength);
    this.heardLength -= n;
    rec.write(this.recordFrame);
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

  /** Drops everything queued at once (barge-in). */
  flush(): void { this.queueStart = this.queueEnd = 0; this.paused = false; }

  /** Holds playout from the next tick on, keeping what is queued (a caller may only be coughing). */
  pause(): void { this.paused = true; }

  resume(): void { this.paused = false; }

  get isPaused(): boolean { return this.paused; }

  /** Samples of queued audio that have gone out since the session began. */
  get playedSamples(): number { return this.played; }

  get queuedMs(): number { return (this.queueEnd - this.queueStart) / 8; }

  private sendFrame(): void {
    if (!this.socket || !this.remote || !this.codec) return;
    const available = this.paused ? 0 : this.queueEnd - this.queueStart;
    const n = Math.min(SAMPLES, available);
    this.played += n;
    this.pcmOut.set(this.queue.subarray(this.queueStart, this.queueStart + n));
    if (n < SAMPLES) this.pcmOut.fill(0, n);
    this.queueStart += n;
    if (this.queueStart === this.queueEnd) this.queueStart = this.queueEnd = 0;
    this.ts = (this.ts + SAMPLES) >>> 0;
    this.seq = (this.seq + 1) & 0xffff;
    this.record();
    if (!this.sending) return;
    const event = this.dtmfOut.shift();
    if (event && this.tePt !== null) {
      if (event.first) this.dtmfTimestamp = this.ts;
      if (event.payload.length === 0) return; // gap between digits
      writeRtpHeader(this.dtmfPacket, { marker: event.first, payloadType: this.tePt, sequence: this.seq, timestamp: this.dtmfTimestamp, ssrc: this.ssrc });
      this.dtmfPacket.set(event.payload, 12);
      this.socket.send(this.dtmfPacket, this.remote.port, this.remote.address);
      this.stats.sent++;
      this.stats.octetsSent += event.payload.length;
      return;
    }
    writeRtpHeader(this.packet, { marker: this.stats.sent === 0, payloadType: this.pt, sequence: this.seq, timestamp: this.ts, ssrc: this.ssrc });
    this.codec.encode(this.pcmOut, this.packet.subarray(12));
    this.socket.send(this.packet, this.remote.port, this.remote.address);
    this.stats.sent++;
    this.stats.octetsSent += SAMPLES;
  }

  private receive(buf: Buffer, address: string, port: number): void {
    const p = parseRtp(buf);
    if (!p) {
      // RTCP on the RTP port (RFC 5761 muxing), from peers that do that.
      if (buf.length >= 8 && buf[1] >= 200 && buf[1] <= 204) this.receiveRtcp(buf);
      else this.stats.malformed++;
      return;
    }
    // telephone-event on the negotiated type, or on any other dynamic type with a 4-byte event payload:
    // some peers (sipp's play_dtmf among them) send events on a type they never offered.
    const isEvent = p.payloadType === this.tePt || (p.payloadType >= 96 && p.payloadType !== this.pt && p.payload.length === 4);
    if (this.codec && isEvent) {
      const digit = this.dtmfIn.push(p.payload, p.timestamp);
      if (digit) this.emit("dtmf", digit);
      return;
    }
    if (!this.codec || p.payloadType !== this.pt) { this.stats.ignored++; return; }
    // Symmetric RTP: send back to where the peer's audio really comes from (NAT rewrites it).
    if (!this.latched || !this.remote || this.remote.address !== address || this.remote.port !== port) {
      if (!this.latched) {
        this.latched = true;
        this.remote = { address, port };
        this.emit("latched", this.remote);
      }
    }
    this.stats.received++;
    this.trackPeerSequence(p.ssrc, p.sequence);
    this.incoming.push(p.sequence, p.timestamp, p.payload, performance.now());
  }

  /** Extended highest sequence number of the peer's stream (RFC 3550 A.1, without probation). */
  private trackPeerSequence(ssrc: number, seq: number): void {
    const peer = this.peer;
    if (peer.ssrc !== ssrc) Object.assign(peer, { ssrc, baseSeq: seq, maxSeq: seq, cycles: 0, expectedPrior: 0, receivedPrior: 0 });
    const ahead = (seq - peer.maxSeq) & 0xffff;
    if (ahead > 0 && ahead < 0x8000) {
      if (seq < peer.maxSeq) peer.cycles += 0x10000;
      peer.maxSeq = seq;
    }
  }

  private scheduleRtcp(): void {
    const delay = this.rtcpIntervalMs * (0.5 + Math.random());
    this.rtcpTimer = setTimeout(() => { this.sendRtcp(); this.scheduleRtcp(); }, delay);
    this.rtcpTimer.unref();
  }

  /** Our SR (RR while we send nothing), with a block on the peer's stream once it has sent some. */
  private sendRtcp(): void {
    if (!this.rtcpSocket || !this.remote) return;
    const peer = this.peer;
    let block: ReportBlock | null = null;
    if (peer.ssrc >= 0) {
      const expected = peer.cycles + peer.maxSeq - peer.baseSeq + 1;
      const received = this.incoming.stats.received;
      const expectedInterval = expected - peer.expectedPrior;
      const lostInterval = expectedInterval - (received - peer.receivedPrior);
      peer.expectedPrior = expected;
      peer.receivedPrior = received;
      block = { ssrc: peer.ssrc, fractionLost: expectedInterval > 0 && lostInterval > 0 ? lostInterval / expectedInterval : 0,
        cumulativeLost: expected - received, extendedHighestSeq: (peer.cycles + peer.maxSeq) >>> 0, jitter: this.incoming.stats.jitterMs * 8,
        lastSr: peer.lastSrMiddle, delaySinceLastSr: peer.lastSrMiddle ? Math.round(((performance.now() - peer.lastSrAt) / 1000) * 65536) : 0 };
    }
    const report = buildReport({ ssrc: this.ssrc, cname: this.cname, unixMs: Date.now(), rtpTimestamp: this.ts, packetCount: this.stats.sent,
      octetCount: this.stats.octetsSent, sending: this.sending && this.stats.sent > 0, block });
    const to = this.rtcpRemote ?? { address: this.remote.address, port: this.remote.port + 1 };
    this.rtcpSocket.send(report, to.port, to.address);
    this.stats.rtcpSent++;
  }

  /** True when it was RTCP. */
  private receiveRtcp(buf: Buffer): boolean {
    const reports = parseRtcp(buf);
    if (!reports) { this.stats.malformed++; return false; }
    this.stats.rtcpReceived++;
    const now = Date.now();
    for (const r of reports) {
      if (r.type === "SR" && r.ntpMiddle !== undefined) { this.peer.lastSrMiddle = r.ntpMiddle; this.peer.lastSrAt = performance.now(); }
      const ours = r.blocks.find((b) => b.ssrc === this.ssrc);
      if (ours) {
        const rtt = roundTripMs(ours, now);
        this.peerReport = { fraction_lost: Math.round(ours.fractionLost * 1000) / 1000, packets_lost: ours.cumulativeLost,
          jitter_ms: Math.round((ours.jitter / 8) * 100) / 100, rtt_ms: rtt === null ? null : Math.round(rtt * 10) / 10 };
      }
    }
    return true;
  }

  /**
   * A lost packet's place: the last frame again, at half the level each time, then silence from the
   * fourth on (60 ms of fade-out, in the spirit of G.711 Appendix I, without its pitch search). The
   * listener keeps an unbroken 20 ms stream, so its VAD and timing do not jump.
   */
  private concealFrame(timestamp: number): void {
    const n = this.lastFrameSamples;
    this.concealedInRow++;
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
    if (this.recorder) {
      // Fixed room for the recorder; a burst beyond a second is dropped rather than grown.
      const room = Math.min(n, this.heard.length - this.heardLength);
      this.heard.set(this.pcmIn.subarray(0, room), this.heardLength);
      this.heardLength += room;
    }
    this.emit("frame", { data: this.pcmIn.subarray(0, n), sampleRateHz: 8000, channels: 1, samples: n, timestampMs: timestamp / 8 });
  }

  /** What the call's audio went through, stored on the call as `metrics.media` (local addition). */
  mediaReport(): MediaReport {
    const r = this.incoming.stats;
    return { packets_sent: this.stats.sent, packets_received: r.received, packets_lost: r.lost, packets_late: r.late,
      packets_duplicate: r.duplicates, packets_reordered: r.reordered, packets_malformed: this.stats.malformed,
      jitter_ms: Math.round(r.jitterMs * 100) / 100, rtcp_sent: this.stats.rtcpSent, rtcp_received: this.stats.rtcpReceived,
      peer_reported: this.peerReport };
  }

  close(): void {
    this.stopRecording();
    this.removeTick?.();
    this.removeTick = null;
    if (this.rtcpTimer) clearTimeout(this.rtcpTimer);
    this.rtcpTimer = null;
    this.socket?.close();
    this.socket = null;
    this.rtcpSocket?.close();
    this.rtcpSocket = null;
  }
}
