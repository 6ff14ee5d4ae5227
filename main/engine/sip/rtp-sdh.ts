import { EventEmitter } from "node:events";
import type { BodyAndContentType, SessionDescriptionHandler } from "sip.js";
import { RtpSession, type Endpoint, type RtpPortRange } from "../media/rtp-session.js";
import {
  buildSdp,
  negotiate,
  OFFER_CODECS,
  parseSdp,
  TE_DEFAULT_PT,
  type Direction,
  type Negotiated,
} from "../media/sdp.js";

/** An SDP problem that should become a SIP answer (488 when no codec is common). */
export class SdpError extends Error {
  constructor(
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
  }
}

/** RFC 3264 §6.1: the answer mirrors the offer's direction, narrowed by what we ourselves want. */
export function answerDirection(offered: Direction, ours: Direction): Direction {
  const theySend = offered === "sendrecv" || offered === "sendonly";
  const theyReceive = offered === "sendrecv" || offered === "recvonly";
  const weSend = theyReceive && (ours === "sendrecv" || ours === "sendonly");
  const weReceive = theySend && (ours === "sendrecv" || ours === "recvonly");
  return weSend && weReceive ? "sendrecv" : weSend ? "sendonly" : weReceive ? "recvonly" : "inactive";
}

/**
 * sip.js's SessionDescriptionHandler over plain RTP: where a browser would use WebRTC, we offer/answer
 * G.711 + telephone-event and run an RtpSession. One per call leg. Emits `hold` when the peer puts the
 * call on hold or takes it off (re-INVITE with sendonly/inactive/c=0.0.0.0, then sendrecv).
 */
export class RtpSessionDescriptionHandler
  extends EventEmitter<{ hold: [held: boolean] }>
  implements SessionDescriptionHandler
{
  readonly rtp = new RtpSession();
  private port = 0;
  private opened: Promise<number> | null = null;
  private negotiated: Negotiated | null = null;
  private version = 0;
  private readonly sessionId = Math.floor(Date.now() / 1000);
  /**
   * sip.js calls setDescription for offers and answers alike; which one it was follows from whether our
   * last description was an offer still waiting for its answer.
   */
  private localOfferPending = false;
  private remoteOffered = false;
  /** The direction our last offer said: an answer can only narrow it. */
  private offeredDirection: Direction = "sendrecv";
  private remoteDirection: Direction = "sendrecv";
  private remoteEndpoint: Endpoint | null = null;
  private held = false;
  private configuredOnce = false;
  /** What we want for ourselves; answers are narrowed to what the offer allows. */
  direction: Direction = "sendrecv";

  constructor(private readonly opts: { host: string; advertisedAddress: string; ports: RtpPortRange }) {
    super();
  }

  private open(): Promise<number> {
    this.opened ??= this.rtp.open(this.opts.host, this.opts.ports).then((p) => (this.port = p));
    return this.opened;
  }

  get codec(): Negotiated | null {
    return this.negotiated;
  }

  /** True while the peer holds the call (we send nothing then). */
  get onHold(): boolean {
    return this.held;
  }

  async getDescription(): Promise<BodyAndContentType> {
    await this.open();
    const answer = this.remoteOffered && this.negotiated;
    const body = buildSdp({
      address: this.opts.advertisedAddress,
      port: this.port,
      sessionId: this.sessionId,
      version: this.version++,
      codecs: answer ? [{ pt: this.negotiated!.pt, name: this.negotiated!.codec.name }] : OFFER_CODECS,
      telephoneEventPt: answer ? this.negotiated!.telephoneEventPt : TE_DEFAULT_PT,
      direction: answer ? answerDirection(this.remoteDirection, this.direction) : this.direction,
    });
    this.localOfferPending = !answer;
    if (!answer) this.offeredDirection = this.direction;
    this.remoteOffered = false;
    return { body, contentType: "application/sdp" };
  }

  hasDescription(contentType: string): boolean {
    return contentType.toLowerCase().startsWith("application/sdp");
  }

  /**
   * sip.js calls this when the far end refused our re-INVITE: our offer never took effect, so the peer's next
   * SDP is an offer to answer, not the answer to ours.
   */
  async rollbackDescription(): Promise<void> {
    this.localOfferPending = false;
  }

  async setDescription(sdp: string): Promise<void> {
    await this.open();
    const parsed = parseSdp(sdp);
    if (!parsed.ok) throw new SdpError(parsed.error, 488);
    const chosen = negotiate(parsed.audio);
    if (!chosen)
      throw new SdpError(
        `no common codec (offered: ${parsed.audio.formats.map((f) => f.name).join(", ") || "none"}; we support PCMU, PCMA)`,
        488,
      );
    // When we sent the offer, the answer's payload type is the one to send with.
    this.negotiated = chosen;
    const isAnswer = this.localOfferPending;
    this.remoteOffered = !isAnswer;
    this.localOfferPending = false;
    const { address, port, direction } = parsed.audio;
    // c=0.0.0.0 is the RFC 2543 way of saying "hold": it is no address to send to.
    const nullAddress = address === "0.0.0.0" || address === "::" || port === 0;
    this.remoteDirection = nullAddress && direction === "sendrecv" ? "sendonly" : direction;
    const peerStopsReceiving = nullAddress || direction === "sendonly" || direction === "inactive";
    // When we hold the peer (our offer said sendonly), its answer can only be recvonly or inactive: that is
    // the answer to our hold, not the peer holding us, so its own hold state stays as it was.
    const offerLetPeerSend = this.offeredDirection === "sendrecv" || this.offeredDirection === "recvonly";
    const held = isAnswer && !offerLetPeerSend ? this.held : peerStopsReceiving;
    const target = nullAddress ? (this.remoteEndpoint ?? { address, port }) : { address, port };
    // A re-INVITE that moves the media must win over symmetric-RTP latching to the old source.
    if (
      this.remoteEndpoint &&
      (this.remoteEndpoint.address !== target.address || this.remoteEndpoint.port !== target.port)
    )
      this.rtp.retarget(target);
    this.remoteEndpoint = target;
    const first = !this.configuredOnce;
    this.configuredOnce = true;
    this.rtp.configure(target, chosen.codec, chosen.pt, chosen.telephoneEventPt);
    // After the move, not before: a packet sent to the old address in between would come back from it (a
    // phone's symmetric RTP) and latch us there again, and the new address would never hear us.
    this.rtp.setSending(!peerStopsReceiving);
    // Our first RTP packet must leave before our answer does (it opens a NAT mapping): wait for the worker.
    if (first) await this.rtp.settled();
    if (held !== this.held) {
      this.held = held;
      this.emit("hold", held);
    }
  }

  sendDtmf(tones: string): boolean {
    return this.rtp.sendDtmf(tones);
  }

  close(): void {
    this.rtp.close();
  }
}
