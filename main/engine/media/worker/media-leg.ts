import { createSocket, type Socket } from "node:dgram";
import { randomInt } from "node:crypto";
import { codecByName } from "../codecs/g711.js";
import type { Codec } from "../codecs/codec.js";
import { createOpusCodec, opusAvailable, type OpusCodec } from "../codecs/opus.js";
import type { Endpoint, RtpPortRange } from "../media-types.js";
import { RtpSender } from "../sender.js";
import { RtpReceiver } from "../receiver.js";
import { RtcpReporter } from "../rtcp-reporter.js";
import { CallRecorder } from "../recorder.js";
import { F, I, ringCopy, ringPush, type CallShared } from "./shared.js";
import { WebRtcTransport } from "./webrtc-transport.js";

/**
 * Beyond this much relayed audio waiting to go out (200 ms), a relay drops what is queued: a burst after
 * a network stall would otherwise add its length to the delay for the rest of the call.
 */
const MAX_RELAY_BACKLOG = 1600;

export interface LegEvents {
  latched(remote: Endpoint): void;
  dtmf(digit: string): void;
  /** Caller frames were put in the ring. */
  frames(): void;
  /** Caller frames were put in a tap's ring: ring its bell. */
  tapped(bell: Int32Array): void;
  /** Played samples reached a watched mark. */
  played(played: number): void;
  recorded(path: string): void;
  /** The recording stopped because the disk refused it; the call's audio goes on. */
  recordFailed(reason: string): void;
  /** A WebRTC leg's browser went away (closed, failed, or disconnected for good). */
  webrtcGone(state: string): void;
}

/**
 * One call's media inside the worker: the RTP and RTCP sockets and the parts (sender, receiver, RTCP
 * reporter, recorder) wired together. The worker's clock calls `tick` every 20 ms.
 */
export class MediaLeg {
  private socket: Socket | null = null;
  private rtcpSocket: Socket | null = null;
  private remote: Endpoint | null = null;
  private rtcpRemote: Endpoint | null = null;
  /** A browser's leg: RTP goes through its DTLS-SRTP transport instead of the sockets (which stay closed). */
  private webrtc: WebRtcTransport | null = null;
  /** This leg's Opus encoder and decoder (WASM memory, freed on close), when the browser's leg uses Opus. */
  private opus: OpusCodec | null = null;
  readonly sender: RtpSender;
  readonly receiver: RtpReceiver;
  readonly rtcp: RtcpReporter;
  private recorder: CallRecorder | null = null;
  /** Played-sample marks the main thread waits for (whenPlayed), lowest first. */
  private watches: number[] = [];
  configured = false;
  /**
   * The leg this one's caller audio and digits are relayed to, inside the worker: both ways for a bridged
   * transfer, one way for a console that talks on a call (its browser's audio goes out on the call).
   */
  relayTo: MediaLeg | null = null;
  /**
   * Consoles listening to this call: each hears the caller and, unless it is the one talking (it would hear
   * itself late), what this leg sends too.
   */
  readonly monitors: { leg: MediaLeg; withSent: boolean }[] = [];
  /**
   * A coach's leg: what its browser says is summed into what this leg (the talking console) sends, through
   * the sender's side queue — never the call's queue, so the caller and the recording never get it.
   */
  whisperTo: MediaLeg | null = null;
  /** Rings other threads read the caller's frames from (the VAD thread), each with the bell to ring. */
  private readonly taps = new Map<number, { ring: CallShared; bell: Int32Array }>();

  constructor(
    readonly shared: CallShared,
    private readonly events: LegEvents,
  ) {
    this.shared.f64[F.peerRttMs] = NaN;
    this.sender = new RtpSender(shared, (packet, length) => {
      if (this.webrtc) this.webrtc.send(packet, length);
      else if (this.remote) this.socket?.send(packet, 0, length, this.remote.port, this.remote.address);
    });
    this.receiver = new RtpReceiver(shared, {
      frame: (pcm, n, ts) => {
        this.recorder?.hear(pcm, n);
        this.relayTo?.sender.relay(pcm.subarray(0, n), MAX_RELAY_BACKLOG);
        for (const m of this.monitors) m.leg.sender.relay(pcm.subarray(0, n), MAX_RELAY_BACKLOG);
        this.whisperTo?.sender.mix(pcm.subarray(0, n));
        ringPush(shared, pcm, n, ts);
        events.frames();
        for (const t of this.taps.values()) {
          ringPush(t.ring, pcm, n, ts);
          events.tapped(t.bell);
        }
      },
      latched: (remote) => {
        this.remote = remote;
        events.latched(remote);
      },
      dtmf: (digit) => {
        this.relayTo?.sender.sendDtmf(digit);
        events.dtmf(digit);
      },
      rtcp: (buf) => this.rtcp.receive(buf),
    });
    this.rtcp = new RtcpReporter(shared, this.sender, this.receiver, (report) => {
      if (!this.rtcpSocket || !this.remote) return false;
      const to = this.rtcpRemote ?? { address: this.remote.address, port: this.remote.port + 1 };
      this.rtcpSocket.send(report, to.port, to.address);
      return true;
    });
  }

  /** Binds an even port in the range for RTP and the one above it for RTCP (RFC 3550 §11). */
  async open(host: string, range: RtpPortRange): Promise<number> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const port = range.min + 2 * randomInt(0, Math.max(1, Math.floor((range.max - range.min) / 2)));
      const socket = createSocket(host.includes(":") ? "udp6" : "udp4");
      if (!(await bind(socket, port, host))) {
        socket.close();
        continue;
      }
      const rtcp = createSocket(host.includes(":") ? "udp6" : "udp4");
      if (!(await bind(rtcp, port + 1, host))) {
        socket.close();
        rtcp.close();
        continue;
      }
      socket.on("error", () => undefined);
      socket.on("message", (buf, rinfo) => this.receiver.receive(buf, rinfo.address, rinfo.port, performance.now()));
      rtcp.on("error", () => undefined);
      rtcp.on("message", (buf, rinfo) => {
        if (this.rtcp.receive(buf)) this.rtcpRemote = { address: rinfo.address, port: rinfo.port };
        else this.shared.i32[I.malformed]++;
      });
      this.socket = socket;
      this.rtcpSocket = rtcp;
      return port;
    }
    throw new Error(`no free RTP port between ${range.min} and ${range.max}`);
  }

  /**
   * A browser's leg: answers its WebRTC offer and starts sending on the agreed codec, Opus when offered, else
   * G.711. Its RTCP is werift's (our reporter has no socket, so it sends nothing); RFC 4733 digits are not
   * offered. libopus is loaded (once per thread, compiled off this thread) before the answer is made, so no
   * tick waits for it; should it fail to load, the leg answers G.711.
   */
  async openWebRtc(offer: string, host: string, range: RtpPortRange): Promise<string> {
    const opus = /^a=rtpmap:\d+ opus\/48000/im.test(offer) && (await opusAvailable());
    const { transport, sdp, audio } = await WebRtcTransport.answer(
      offer,
      host,
      range,
      {
        rtp: (packet) => this.receiver.receive(packet, "webrtc", 0, performance.now()),
        gone: (state) => this.events.webrtcGone(state),
      },
      opus,
    );
    this.webrtc = transport;
    let codec: Codec;
    if (audio.codec === "OPUS") codec = this.opus = await createOpusCodec(audio.pt);
    else codec = codecByName(audio.codec)!;
    this.configure({ address: "webrtc", port: 0 }, codec, audio.pt, null, 5000);
    return sdp;
  }

  /** The browser's candidates that trickled in after its offer (a leg without WebRTC ignores them). */
  addIceCandidates(candidates: { candidate: string; mid: string | null }[]): void {
    this.webrtc?.addCandidates(candidates);
  }

  configure(remote: Endpoint, codec: Codec, pt: number, tePt: number | null, rtcpIntervalMs: number): void {
    if (!this.receiver.latched) this.remote = remote;
    this.sender.codec = this.receiver.codec = codec;
    this.sender.pt = this.receiver.pt = pt;
    this.sender.tePt = this.receiver.tePt = tePt;
    this.rtcp.intervalMs = rtcpIntervalMs;
    // The first packet goes now, not on the next tick: it opens our NAT router's mapping for this port
    // before the peer gets our answer; its packets would otherwise arrive first, find no mapping, and
    // make the router map our port to another one than the SDP names (the main thread waits for this).
    if (!this.configured) this.sender.tick();
    this.configured = true;
    this.rtcp.start();
  }

  /** Another thread reads the caller's frames from `ring`; its onset-hold word holds our playout too. */
  tap(id: number, ring: CallShared, bell: Int32Array, from: number): void {
    ringCopy(this.shared, from, ring);
    this.events.tapped(bell);
    this.taps.set(id, { ring, bell });
    this.sender.holds.push(ring.i32);
  }

  untap(id: number): void {
    const t = this.taps.get(id);
    if (!t) return;
    this.taps.delete(id);
    this.sender.holds.splice(this.sender.holds.indexOf(t.ring.i32), 1);
  }

  /** The peer moved its media (re-INVITE): send to the new address and latch afresh from its next packet. */
  retarget(remote: Endpoint): void {
    this.remote = remote;
    this.receiver.latched = false;
  }

  /** `leg` (a console's browser) hears this call; `withSent`: what this leg sends too, not only the caller. */
  monitor(leg: MediaLeg, withSent: boolean): void {
    this.unmonitor(leg);
    this.monitors.push({ leg, withSent });
  }

  unmonitor(leg: MediaLeg): void {
    const i = this.monitors.findIndex((m) => m.leg === leg);
    if (i >= 0) this.monitors.splice(i, 1);
  }

  startRecording(path: string): void {
    this.recorder ??= new CallRecorder(path, (reason) => this.events.recordFailed(reason));
  }

  stopRecording(): Promise<void> {
    const r = this.recorder;
    this.recorder = null;
    if (!r) return Promise.resolve();
    this.shared.i32[I.recordDropped] += r.dropped;
    return r.close().then(() => this.events.recorded(r.path));
  }

  watch(sample: number): void {
    this.watches.push(sample);
    this.watches.sort((a, b) => a - b);
  }

  tick(now: number): void {
    if (!this.configured) return;
    this.sender.tick();
    const sent = this.sender.lastQueued;
    if (sent > 0) for (const m of this.monitors) if (m.withSent) m.leg.sender.mix(this.sender.pcmOut.subarray(0, sent));
    this.recorder?.tick(this.sender.pcmOut);
    this.receiver.tick(now);
    if (this.watches.length) {
      const played = this.shared.f64[F.played];
      if (played >= this.watches[0]) {
        while (this.watches.length && played >= this.watches[0]) this.watches.shift();
        this.events.played(played);
      }
    }
  }

  async close(): Promise<void> {
    this.rtcp.stop();
    this.socket?.close();
    this.rtcpSocket?.close();
    this.socket = this.rtcpSocket = null;
    await this.webrtc?.close();
    this.webrtc = null;
    this.configured = false;
    // Only now: until werift closed, a packet could still arrive and be decoded.
    this.sender.codec = this.receiver.codec = null;
    this.opus?.close();
    this.opus = null;
    await this.stopRecording();
  }
}

function bind(socket: Socket, port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    socket.once("error", () => resolve(false));
    socket.bind(port, host, () => resolve(true));
  });
}
