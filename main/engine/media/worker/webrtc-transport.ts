import { RTCPeerConnection, RTCRtpCodecParameters, type RTCRtpTransceiver } from "werift";
import type { RtpPortRange } from "../media-types.js";

/** What the browser and we agreed on for the call's audio. */
export interface WebRtcAudio {
  codec: "OPUS" | "PCMU" | "PCMA";
  pt: number;
}

export interface WebRtcEvents {
  /** A decrypted RTP packet from the browser (SRTP and DTLS are the transport's business). */
  rtp(packet: Buffer): void;
  /** The browser went away or the connection failed: the leg is over. */
  gone(state: Gone): void;
}

/**
 * What we receive with Opus (RFC 7587 §6.1): mono is what we decode to (stereo=0 is the default), packets of
 * 10 ms or more, and in-band FEC welcome. Our decoder cannot use the FEC data yet (opusscript has no FEC
 * decode): a browser spends bits on it only once it sees loss, and it costs nothing to decode past.
 * `maxplaybackrate=8000`: we decode to 8 kHz, so nothing the browser codes above 4 kHz would be heard;
 * Chromium then codes narrowband (SILK) at 12 kb/s unless told otherwise, and `maxaveragebitrate` asks for
 * the 24 kb/s our own encoder uses (a third of G.711). Chromium honours both (seen in its packets' TOC).
 */
const OPUS_FMTP = "minptime=10;useinbandfec=1;maxplaybackrate=8000;maxaveragebitrate=24000";

/** Ours, in order of preference: Opus, then G.711 for a client that offers no Opus (docs/decisions.md "WebRTC"). */
const OURS = ["audio/opus", "audio/pcmu", "audio/pcma"];

const localCodecs = (opus: boolean) => [
  ...(opus
    ? [new RTCRtpCodecParameters({ mimeType: "audio/opus", clockRate: 48000, channels: 2, payloadType: 111 })]
    : []),
  new RTCRtpCodecParameters({ mimeType: "audio/PCMU", clockRate: 8000, channels: 1, payloadType: 0 }),
  new RTCRtpCodecParameters({ mimeType: "audio/PCMA", clockRate: 8000, channels: 1, payloadType: 8 }),
];

type Gone = "closed" | "failed" | "disconnected" | "silent";

/**
 * Our preferred codec among those werift matched in the offer (the browser's payload type kept). Opus is
 * answered with our own parameters and no RTCP feedback: an offer's `transport-cc` would need a header
 * extension we do not negotiate.
 */
function choose(offered: RTCRtpCodecParameters[]): RTCRtpCodecParameters | null {
  for (const mime of OURS) {
    const c = offered.find(
      (o) =>
        o.mimeType.toLowerCase() === mime && (mime !== "audio/opus" || (o.clockRate === 48000 && o.channels === 2)),
    );
    if (!c) continue;
    if (mime !== "audio/opus") return c;
    return new RTCRtpCodecParameters({
      mimeType: "audio/opus",
      clockRate: 48000,
      channels: 2,
      payloadType: c.payloadType,
      parameters: OPUS_FMTP,
    });
  }
  return null;
}

/** A disconnected ICE state this long without recovering ends the leg. */
const DISCONNECTED_GRACE_MS = 5000;
/**
 * A browser sends a packet every 20 ms for as long as its microphone track is on (silence included); a
 * tab that was closed or crashed sends nothing and says nothing, and ICE alone may not notice for long.
 */
const SILENT_MS = 8000;

/**
 * One browser's WebRTC audio, terminated inside the media worker with werift (ICE, DTLS-SRTP): the answer
 * to the browser's offer, decrypted RTP in, our RTP out. Packets are the worker's own (the same sender,
 * receiver, clock and recorder as a SIP leg), so a web call keeps the media thread's timing.
 */
export class WebRtcTransport {
  private readonly pc: RTCPeerConnection;
  private transceiver: RTCRtpTransceiver | null = null;
  private disconnectTimer: NodeJS.Timeout | null = null;
  private readonly silenceTimer: NodeJS.Timeout;
  private lastRtpAt = performance.now();
  private ended = false;

  private constructor(
    private readonly events: WebRtcEvents,
    host: string,
    range: RtpPortRange,
    opus: boolean,
  ) {
    this.pc = new RTCPeerConnection({
      codecs: { audio: localCodecs(opus) },
      icePortRange: [range.min, range.max],
      // The engine's own address only: a browser on this machine reaches it on loopback, one on the LAN on
      // the address the engine listens on. No STUN/TURN: nothing is asked of a server outside.
      iceUseIpv6: false,
      iceAdditionalHostAddresses: [host === "0.0.0.0" ? "127.0.0.1" : host],
    });
    this.pc.connectionStateChange.subscribe((state) => {
      if (state === "connected") this.lastRtpAt = Math.max(this.lastRtpAt, performance.now());
      if (state === "closed" || state === "failed") this.end(state);
      else if (state === "disconnected") {
        this.disconnectTimer ??= setTimeout(() => this.end("disconnected"), DISCONNECTED_GRACE_MS);
      } else if (this.disconnectTimer) {
        clearTimeout(this.disconnectTimer);
        this.disconnectTimer = null;
      }
    });
    this.silenceTimer = setInterval(() => {
      if (performance.now() - this.lastRtpAt > SILENT_MS) this.end("silent");
    }, 1000);
  }

  /**
   * Answers the browser's offer: resolves with the answer (all candidates in it) and the agreed codec. `opus`:
   * whether Opus may be chosen (the worker could load it).
   */
  static async answer(
    offer: string,
    host: string,
    range: RtpPortRange,
    events: WebRtcEvents,
    opus = true,
  ): Promise<{ transport: WebRtcTransport; sdp: string; audio: WebRtcAudio }> {
    const t = new WebRtcTransport(events, host, range, opus);
    try {
      const { sdp, codec } = await t.negotiate(offer);
      const name = codec.mimeType.split("/")[1].toUpperCase();
      return {
        transport: t,
        sdp,
        audio: { codec: name === "OPUS" ? "OPUS" : name === "PCMA" ? "PCMA" : "PCMU", pt: codec.payloadType! },
      };
    } catch (err) {
      await t.close();
      throw err;
    }
  }

  private async negotiate(offer: string): Promise<{ sdp: string; codec: RTCRtpCodecParameters }> {
    this.pc.onTrack.subscribe((track) =>
      track.onReceiveRtp.subscribe((rtp) => {
        this.lastRtpAt = performance.now();
        this.events.rtp(rtp.serialize());
      }),
    );
    await this.pc.setRemoteDescription({ type: "offer", sdp: offer });
    const audio = this.pc.getTransceivers().find((t) => t.kind === "audio");
    if (!audio) throw new Error("the offer has no audio");
    const codec = choose(audio.codecs);
    if (!codec) throw new Error("the offer has no Opus, PCMU or PCMA audio");
    // werift answers every codec both sides know, in the offer's order, and sends with the first: the answer
    // names only ours, so the browser cannot switch codecs under us mid-call.
    audio.codecs = [codec];
    audio.sender.codec = codec;
    audio.setDirection("sendrecv");
    this.transceiver = audio;
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    await this.gathered();
    return { sdp: this.pc.localDescription!.sdp, codec };
  }

  /** The answer carries every candidate, so the browser needs no trickle from us. */
  private gathered(): Promise<void> {
    if (this.pc.iceGatheringState === "complete") return Promise.resolve();
    return new Promise((resolve) => {
      const { unSubscribe } = this.pc.iceGatheringStateChange.subscribe((s) => {
        if (s !== "complete") return;
        unSubscribe();
        resolve();
      });
    });
  }

  /**
   * One of our RTP packets. werift sets its own SSRC, payload type and header extensions, and keeps the
   * packet for retransmission: it gets a copy, because the sender reuses its packet buffers.
   */
  send(packet: Buffer, length: number): void {
    if (this.ended) return;
    const copy = Buffer.allocUnsafe(length);
    packet.copy(copy, 0, 0, length);
    void this.transceiver?.sender.sendRtp(copy).catch(() => undefined);
  }

  /**
   * Candidates the browser trickled after its offer (checked by the API first); without a mid, for the first
   * section. Each on its own (an mDNS name waits for its lookup); one werift refuses is dropped: the others,
   * and the browser's own checks, still connect. The browser's end-of-candidates is not passed on: werift
   * would stop waiting for the peer-reflexive pair a browser's check makes, which is how a browser whose
   * candidates are mDNS names nobody answers for is reached.
   */
  addCandidates(candidates: { candidate: string; mid: string | null }[]): void {
    if (this.ended) return;
    for (const c of candidates)
      void this.pc
        .addIceCandidate(
          c.mid === null ? { candidate: c.candidate, sdpMLineIndex: 0 } : { candidate: c.candidate, sdpMid: c.mid },
        )
        .catch(() => undefined);
  }

  private end(state: Gone): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.silenceTimer);
    this.events.gone(state);
  }

  async close(): Promise<void> {
    this.ended = true;
    clearInterval(this.silenceTimer);
    if (this.disconnectTimer) clearTimeout(this.disconnectTimer);
    await this.pc.close().catch(() => undefined);
  }
}
