// Over 300 lines because it is the main thread's face of every media-worker operation (RTP and WebRTC legs,
// playout, taps, relays, recording, reports): each method is one message to the worker or one shared-memory read.
import { EventEmitter } from "node:events";
import type { G711Codec } from "./codecs/g711.js";
import type { AudioFrame } from "./frame.js";
import { RTCP_INTERVAL_MS, type Endpoint, type MediaReport, type RtpPortRange } from "./media-types.js";
import { callShared, F, I, ringDrain, SLOT_SAMPLES } from "./worker/shared.js";
import { mediaWorker, type WorkerClient } from "./worker/host.js";
import { countersOf, mediaReportOf, type SessionCounters } from "./worker/report.js";
import type { FromWorker, ToWorker } from "./worker/protocol.js";

let tapIds = 0;

export { RTCP_INTERVAL_MS, type Endpoint, type MediaReport, type RtpPortRange };

/**
 * One call's audio over RTP, as the rest of the engine sees it. The real work (sockets, the 20 ms
 * clock, reorder buffer, codecs, DTMF, RTCP, recording) runs in the media worker thread; this is its thin
 * main-thread face:
 * - caller frames come out of a shared ring (`frame` events), in order and complete even after the main
 *   thread was busy for seconds;
 * - playout goes to the worker as transferred buffers (`play`);
 * - pause and flush are words in shared memory the worker reads on every tick (barge-in never queues
 *   behind audio);
 * - counters read synchronously (`playedSamples`, `mediaReport()`, `stats`) are in shared memory.
 */
export class RtpSession
  extends EventEmitter<{
    frame: [AudioFrame];
    latched: [Endpoint];
    dtmf: [string];
    recordFailed: [reason: string];
    /** A WebRTC leg's browser went away (closed, failed, or disconnected for good). */
    gone: [state: string];
  }>
  implements WorkerClient
{
  private readonly shared = callShared();
  private readonly id: number;
  private port = 0;
  private tePt: number | null = null;
  private configured = false;
  private closed = false;
  private opening: { resolve(port: number): void; reject(err: Error): void } | null = null;
  private answering: { resolve(sdp: string): void; reject(err: Error): void } | null = null;
  private rtcpInterval = RTCP_INTERVAL_MS;
  /** Samples posted for playout since the session began, and the count when the last flush happened. */
  private posted = 0;
  private postedAtFlush = 0;
  private waiters: { sample: number; resolve: (at: number) => void }[] = [];
  private readonly frameOut = new Int16Array(SLOT_SAMPLES);
  /** Messages from before open() (then the worker does not know this session yet). */
  private registered = false;
  private readonly early: [ToWorker, ArrayBuffer[] | undefined][] = [];

  constructor() {
    super();
    this.id = mediaWorker.newId();
  }

  /** Binds an even port in the range for RTP and the one above it for RTCP (RFC 3550 §11). */
  open(host: string, range: RtpPortRange): Promise<number> {
    if (this.closed) return Promise.reject(new Error("the RTP session is closed"));
    mediaWorker.register(this.id, this);
    return new Promise((resolve, reject) => {
      this.opening = { resolve, reject };
      mediaWorker.post({ op: "open", id: this.id, shared: this.shared.buffer, host, range });
      this.registered = true;
      for (const [m, transfer] of this.early.splice(0)) mediaWorker.post(m, transfer);
    });
  }

  get localPort(): number {
    return this.closed ? 0 : this.port;
  }

  /**
   * A browser's leg instead of RTP sockets: the worker answers its WebRTC offer (ICE, DTLS-SRTP with
   * werift) and starts sending at once; resolves with the answer SDP. Everything else (play, flush, taps,
   * recording, reports) works as on a SIP leg.
   */
  openWebRtc(offer: string, host: string, range: RtpPortRange): Promise<string> {
    if (this.closed) return Promise.reject(new Error("the RTP session is closed"));
    mediaWorker.register(this.id, this);
    return new Promise((resolve, reject) => {
      this.answering = { resolve, reject };
      mediaWorker.post({ op: "openWebRtc", id: this.id, shared: this.shared.buffer, offer, host, range });
      this.registered = true;
      this.configured = true;
      for (const [m, transfer] of this.early.splice(0)) mediaWorker.post(m, transfer);
    });
  }

  /** RTCP report interval (ms, randomized ±50 % per report). */
  get rtcpIntervalMs(): number {
    return this.rtcpInterval;
  }
  set rtcpIntervalMs(ms: number) {
    this.rtcpInterval = ms;
    if (this.configured) this.post({ op: "rtcpInterval", id: this.id, ms });
  }

  /** Where to send and what to send with (from the SDP exchange): G.711, the codecs of plain RTP (SIP) legs. */
  configure(remote: Endpoint, codec: G711Codec, pt: number, telephoneEventPt: number | null = null): void {
    this.tePt = telephoneEventPt;
    this.configured = true;
    this.post({
      op: "configure",
      id: this.id,
      remote,
      codec: codec.name,
      pt,
      tePt: telephoneEventPt,
      rtcpIntervalMs: this.rtcpInterval,
    });
  }

  /** Resolves once the worker has acted on every message so far (after `configure`: its first packet is out). */
  settled(): Promise<void> {
    return mediaWorker.settled();
  }

  setSending(on: boolean): void {
    this.post({ op: "sending", id: this.id, on });
  }

  /** The peer moved its media (re-INVITE): send to the new address and latch afresh from its next packet. */
  retarget(remote: Endpoint): void {
    this.post({ op: "retarget", id: this.id, remote });
  }

  /** Queues 8 kHz PCM for playout (copied: the caller may reuse its buffer). */
  play(pcm: Int16Array): void {
    if (this.closed || pcm.length === 0) return;
    const copy = pcm.slice();
    this.posted += copy.length;
    this.post({ op: "play", id: this.id, pcm: copy, gen: Atomics.load(this.shared.i32, I.flushGen) }, [
      copy.buffer as ArrayBuffer,
    ]);
  }

  /**
   * Copies the caller's frames, as the worker decodes them, into `ring` (a `callShared` buffer) for
   * another thread, ringing word 0 of `bell` after each batch; the main thread is not on that path.
   * Returns the untap.
   */
  tapCallerAudio(ring: SharedArrayBuffer, bell: SharedArrayBuffer): () => void {
    const tap = ++tapIds;
    // Starts where this thread's frame listeners go on from, so both threads count samples alike.
    this.post({ op: "tap", id: this.id, tap, ring, bell, from: Atomics.load(this.shared.i32, I.read) });
    return () => this.post({ op: "untap", id: this.id, tap });
  }

  /**
   * Bridges this leg with `other` inside the media worker: each one's caller audio (decoded, on the
   * shared clock, backlog capped at 200 ms) and RFC 4733 digits go out on the other, without passing
   * through the main thread. Frames and digits are still handed to this thread's listeners. Returns the undo.
   */
  relayWith(other: RtpSession): () => void {
    this.post({ op: "relay", a: this.id, b: other.id });
    return () => this.post({ op: "unrelay", a: this.id, b: other.id });
  }

  /**
   * A console's leg (`listener`) hears this call inside the worker: the caller, and with `withSent` what this
   * leg sends as well (the assistant, or a person talking). Calling it again changes `withSent`. Returns the undo.
   */
  monitor(listener: RtpSession, withSent: boolean): () => void {
    this.post({ op: "monitor", call: this.id, leg: listener.id, withSent, on: true });
    return () => this.post({ op: "monitor", call: this.id, leg: listener.id, withSent, on: false });
  }

  /** What this leg receives goes out on `to` (one way, inside the worker); null stops it. */
  feed(to: RtpSession | null): void {
    this.post({ op: "feed", from: this.id, to: to ? to.id : null });
  }

  /** What this leg receives is summed into what `to` sends (a coach whispering to the talker); null stops it. */
  whisper(to: RtpSession | null): void {
    this.post({ op: "whisper", from: this.id, to: to ? to.id : null });
  }

  /** A browser's candidates that trickled in after its offer. */
  addIceCandidates(candidates: { candidate: string; mid: string | null }[]): void {
    if (candidates.length) this.post({ op: "iceCandidates", id: this.id, candidates });
  }

  /** Records the call as stereo WAV (caller left, agent right); the file is written by the worker. */
  startRecording(path: string): void {
    mediaWorker.recordingStarted(path);
    this.post({ op: "record", id: this.id, path });
  }

  stopRecording(): void {
    this.post({ op: "record", id: this.id, path: null });
  }

  /** Sends digits as RFC 4733 events (false when the peer did not offer telephone-event). */
  sendDtmf(digits: string): boolean {
    if (this.tePt === null) return false;
    this.post({ op: "dtmf", id: this.id, digits });
    return true;
  }

  /** Drops everything queued at once (barge-in): the worker sees it on its next tick, whatever it is doing. */
  flush(): void {
    Atomics.store(this.shared.i32, I.paused, 0);
    Atomics.add(this.shared.i32, I.flushGen, 1);
    this.postedAtFlush = this.posted;
    this.releaseWaiters();
  }

  /** Holds playout from the next tick on, keeping what is queued (a caller may only be coughing). */
  pause(): void {
    Atomics.store(this.shared.i32, I.paused, 1);
  }

  resume(): void {
    Atomics.store(this.shared.i32, I.paused, 0);
  }

  get isPaused(): boolean {
    return Atomics.load(this.shared.i32, I.paused) === 1;
  }

  /** Samples of queued audio that have gone out since the session began. */
  get playedSamples(): number {
    return this.shared.f64[F.played];
  }

  /** Audio waiting to go out: in the worker's queue, plus what is still on its way there. */
  get queuedMs(): number {
    const inFlight = this.posted - Math.max(this.shared.f64[F.consumed], this.postedAtFlush);
    return (this.shared.i32[I.queued] + Math.max(0, inFlight)) / 8;
  }

  /**
   * Resolves with the time (performance.now() of this thread) of the worker's tick that sent sample
   * `sample`; at once after a flush; never once the session is closed (nothing more plays).
   */
  whenPlayed(sample: number): Promise<number> {
    if (this.playedSamples >= sample) return Promise.resolve(performance.now());
    if (this.closed) return new Promise(() => {});
    return new Promise((resolve) => {
      this.waiters.push({ sample, resolve });
      this.post({ op: "watch", id: this.id, sample });
    });
  }

  private post(m: ToWorker, transfer?: ArrayBuffer[]): void {
    if (this.registered) mediaWorker.post(m, transfer);
    else this.early.push([m, transfer]);
  }

  private releaseWaiters(): void {
    const now = performance.now();
    for (const w of this.waiters.splice(0)) w.resolve(now);
  }

  /** Packet counters the worker keeps in shared memory. */
  get stats(): SessionCounters {
    return countersOf(this.shared);
  }

  /** What the call's audio went through, stored on the call as `metrics.media` (local addition). */
  mediaReport(): MediaReport {
    return mediaReportOf(this.shared);
  }

  /** Caller frames waiting in the ring, handed on in order (the host calls this when the worker rings). */
  drain(): void {
    if (this.closed) return;
    ringDrain(this.shared, (pcm, timestamp) => {
      const out = this.frameOut.subarray(0, pcm.length);
      out.set(pcm);
      this.emit("frame", {
        data: out,
        sampleRateHz: 8000,
        channels: 1,
        samples: out.length,
        timestampMs: timestamp / 8,
      });
    });
  }

  onWorkerMessage(m: FromWorker): void {
    switch (m.op) {
      case "opened":
        this.port = m.port;
        this.opening?.resolve(m.port);
        this.opening = null;
        return;
      case "openFailed":
        this.opening?.reject(new Error(m.message));
        this.answering?.reject(new Error(m.message));
        this.opening = this.answering = null;
        return;
      case "webrtcAnswer":
        this.answering?.resolve(m.sdp);
        this.answering = null;
        return;
      case "webrtcGone":
        this.emit("gone", m.state);
        return;
      case "latched":
        this.emit("latched", m.remote);
        return;
      case "dtmf":
        this.emit("dtmf", m.digit);
        return;
      case "recordFailed":
        this.emit("recordFailed", m.reason);
        return;
      case "played": {
        const at = m.atEpochMs - performance.timeOrigin;
        this.waiters = this.waiters.filter((w) => {
          if (w.sample > m.played) return true;
          w.resolve(at);
          return false;
        });
        return;
      }
      default:
        return;
    }
  }

  close(): void {
    if (this.closed) return;
    // Frames already in the ring still reach the listeners.
    this.drain();
    this.closed = true;
    // Marks not reached stay unresolved, as before the worker: nothing more will play. A CallAudio tap's
    // close() releases its own waiters; resolving them here would tell a speaker its line was heard.
    this.waiters = [];
    if (this.registered) mediaWorker.post({ op: "close", id: this.id });
    this.early.length = 0;
    mediaWorker.unregister(this.id);
  }
}
