import type { BodyAndContentType, SessionDescriptionHandler } from "sip.js";
import { RtpSession, type RtpPortRange } from "../media/rtp-session.js";
import { buildSdp, negotiate, OFFER_CODECS, parseSdp, TE_DEFAULT_PT, type Direction, type Negotiated } from "../media/sdp.js";

/** An SDP problem that should become a SIP answer (488 when no codec is common). */
export class SdpError extends Error {
  constructor(message: string, readonly statusCode: number) { super(message); }
}

/**
 * sip.js's SessionDescriptionHandler over plain RTP: where a browser would use WebRTC, we offer/answer
 * G.711 + telephone-event and run an RtpSession. One per call leg.
 */
export class RtpSessionDescriptionHandler implements SessionDescriptionHandler {
  readonly rtp = new RtpSession();
  private port = 0;
  private opened: Promise<number> | null = null;
  private negotiated: Negotiated | null = null;
  private version = 0;
  private readonly sessionId = Math.floor(Date.now() / 1000);
  private remoteOffered = false;
  direction: Direction = "sendrecv";

  constructor(private readonly opts: { host: string; advertisedAddress: string; ports: RtpPortRange }) {}

  private open(): Promise<number> {
    this.opened ??= this.rtp.open(this.opts.host, this.opts.ports).then((p) => (this.port = p));
    return this.opened;
  }

  get codec(): Negotiated | null { return this.negotiated; }

  async getDescription(): Promise<BodyAndContentType> {
    await this.open();
    const answer = this.remoteOffered && this.negotiated;
    const body = buildSdp({
      address: this.opts.advertisedAddress, port: this.port, sessionId: this.sessionId, version: this.version++,
      codecs: answer ? [{ pt: this.negotiated!.pt, name: this.negotiated!.codec.name }] : OFFER_CODECS,
      telephoneEventPt: answer ? this.negotiated!.telephoneEventPt : TE_DEFAULT_PT,
      direction: this.direction,
    });
    this.remoteOffered = false;
    return { body, contentType: "application/sdp" };
  }

  hasDescription(contentType: string): boolean { return contentType.toLowerCase().startsWith("application/sdp"); }

  async setDescription(sdp: string): Promise<void> {
    await this.open();
    const parsed = parseSdp(sdp);
    if (!parsed.ok) throw new SdpError(parsed.error, 488);
    const chosen = negotiate(parsed.audio);
    if (!chosen) throw new SdpError(`no common codec (offered: ${parsed.audio.formats.map((f) => f.name).join(", ") || "none"}; we support PCMU, PCMA)`, 488);
    // When we sent the offer, the answer's payload type is the one to send with.
    this.negotiated = chosen;
    this.remoteOffered = this.version === 0;
    const remoteHold = parsed.audio.direction === "sendonly" || parsed.audio.direction === "inactive" || parsed.audio.address === "0.0.0.0";
    this.rtp.setSending(!remoteHold);
    this.rtp.configure({ address: parsed.audio.address, port: parsed.audio.port }, chosen.codec, chosen.pt, chosen.telephoneEventPt);
  }

  sendDtmf(tones: string): boolean { return this.rtp.sendDtmf(tones); }

  close(): void { this.rtp.close(); }
}
