import { randomInt } from "node:crypto";
import { buildReport, parseRtcp, roundTripMs, type ReportBlock } from "./rtcp.js";
import { RTCP_INTERVAL_MS } from "./media-types.js";
import type { RtpReceiver } from "./receiver.js";
import type { RtpSender } from "./sender.js";
import { F, I, type CallShared } from "./worker/shared.js";

/**
 * RTCP for one call (RFC 3550 §6.4): our SR (RR while we send nothing) every interval ±50 %, with a
 * block on the peer's stream once it has sent some; the peer's reports about our stream are kept in
 * shared memory for the call's media report. Runs on a timer of its own, off the 20 ms tick.
 */
export class RtcpReporter {
  intervalMs = RTCP_INTERVAL_MS;
  private timer: NodeJS.Timeout | null = null;
  private readonly cname = `voicedock@${randomInt(1, 0xffffffff).toString(16)}`;
  private expectedPrior = 0;
  private receivedPrior = 0;
  private lastSrMiddle = 0;
  private lastSrAt = 0;

  constructor(
    private readonly shared: CallShared,
    private readonly sender: RtpSender,
    private readonly receiver: RtpReceiver,
    /** Sends a report; false when there is nowhere to send it yet. */
    private readonly out: (report: Buffer) => boolean,
  ) {}

  start(): void {
    if (this.timer) return;
    const next = () => {
      this.timer = setTimeout(
        () => {
          this.send();
          next();
        },
        this.intervalMs * (0.5 + Math.random()),
      );
      this.timer.unref();
    };
    next();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private send(): void {
    const peer = this.receiver.peer;
    const stats = this.receiver.incoming.stats;
    let block: ReportBlock | null = null;
    if (peer.ssrc >= 0) {
      const expected = peer.cycles + peer.maxSeq - peer.baseSeq + 1;
      const received = stats.received;
      const expectedInterval = expected - this.expectedPrior;
      const lostInterval = expectedInterval - (received - this.receivedPrior);
      this.expectedPrior = expected;
      this.receivedPrior = received;
      block = {
        ssrc: peer.ssrc,
        fractionLost: expectedInterval > 0 && lostInterval > 0 ? lostInterval / expectedInterval : 0,
        cumulativeLost: expected - received,
        extendedHighestSeq: (peer.cycles + peer.maxSeq) >>> 0,
        jitter: stats.jitterMs * 8,
        lastSr: this.lastSrMiddle,
        delaySinceLastSr: this.lastSrMiddle ? Math.round(((performance.now() - this.lastSrAt) / 1000) * 65536) : 0,
      };
    }
    const report = buildReport({
      ssrc: this.sender.ssrc,
      cname: this.cname,
      unixMs: Date.now(),
      rtpTimestamp: this.sender.ts,
      packetCount: this.sender.sent,
      octetCount: this.sender.octetsSent,
      sending: this.sender.sending && this.sender.sent > 0,
      block,
    });
    if (this.out(report)) this.shared.i32[I.rtcpSent]++;
  }

  /** A packet from the peer; true when it was RTCP. */
  receive(buf: Buffer): boolean {
    const reports = parseRtcp(buf);
    if (!reports) return false;
    this.shared.i32[I.rtcpReceived]++;
    const now = Date.now();
    for (const r of reports) {
      if (r.type === "SR" && r.ntpMiddle !== undefined) {
        this.lastSrMiddle = r.ntpMiddle;
        this.lastSrAt = performance.now();
      }
      const ours = r.blocks.find((b) => b.ssrc === this.sender.ssrc);
      if (ours) {
        const rtt = roundTripMs(ours, now);
        const f64 = this.shared.f64;
        f64[F.peerFractionLost] = Math.round(ours.fractionLost * 1000) / 1000;
        f64[F.peerPacketsLost] = ours.cumulativeLost;
        f64[F.peerJitterMs] = Math.round((ours.jitter / 8) * 100) / 100;
        f64[F.peerRttMs] = rtt === null ? NaN : Math.round(rtt * 10) / 10;
        Atomics.store(this.shared.i32, I.peerReported, 1);
      }
    }
    return true;
  }
}
