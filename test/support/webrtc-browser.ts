import { MediaStreamTrack, RTCPeerConnection, RTCRtpCodecParameters, RtpHeader, RtpPacket } from "werift";
import { PCMU } from "../../main/engine/media/codecs/g711.js";

/**
 * A browser's side of a WebRTC audio call, in the test process: an independent werift peer that offers PCMU
 * (payload type 0, as Chromium does) with DTLS-SRTP over ICE, sends a packet every 20 ms once connected (speech
 * when queued, else silence, like a microphone that is on), and
 * decodes what it receives with the arrival time of each packet. Chromium itself is used in test/e2e.
 */
export interface TestBrowser {
  pc: RTCPeerConnection;
  /** The SDP offer; with `trickle`, without its candidates (they are in `candidates`). */
  offer: string;
  /** With `trickle`: the candidate lines left out of the offer ("candidate:…"), to PATCH; else empty. */
  candidates: string[];
  /** Received audio: one entry per packet, decoded, with performance.now() at arrival and the RTP header's seq/SSRC. */
  heard: { at: number; pcm: Int16Array; seq: number; ssrc: number }[];
  /** Sent packets: performance.now() just before werift sends it, its seq/SSRC on the wire, and its loudest sample. */
  sent: { at: number; seq: number; ssrc: number; peak: number }[];
  /** Queues `pcm` on the microphone (sent in real time, 20 ms per packet); resolves when the last packet is out. */
  speak(pcm: Int16Array): Promise<void>;
  close(): Promise<void>;
}

/** `trickle`: the offer leaves its candidates out, for the test to send them after it (trickle ICE). */
export async function testBrowser(opts: { trickle?: boolean } = {}): Promise<TestBrowser> {
  const pc = new RTCPeerConnection({
    codecs: {
      audio: [new RTCRtpCodecParameters({ mimeType: "audio/PCMU", clockRate: 8000, channels: 1, payloadType: 0 })],
    },
    iceUseIpv6: false,
  });
  const mic = new MediaStreamTrack({ kind: "audio" });
  pc.addTransceiver(mic, { direction: "sendrecv" });
  const heard: TestBrowser["heard"] = [];
  const sent: TestBrowser["sent"] = [];
  pc.onTrack.subscribe((track) =>
    track.onReceiveRtp.subscribe((rtp) => {
      const at = performance.now();
      const pcm = new Int16Array(rtp.payload.length);
      PCMU.decode(rtp.payload, pcm);
      heard.push({ at, pcm, seq: rtp.header.sequenceNumber, ssrc: rtp.header.ssrc });
    }),
  );
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise<void>((resolve) => {
    if (pc.iceGatheringState === "complete") resolve();
    pc.iceGatheringStateChange.subscribe((s) => s === "complete" && resolve());
  });
  let seq = 0;
  let ts = 0;
  const payload = new Uint8Array(160);
  const send = (frame: Int16Array) => {
    PCMU.encode(frame, payload);
    const packet = new RtpPacket(
      new RtpHeader({
        payloadType: 0,
        sequenceNumber: seq++ & 0xffff,
        timestamp: ts,
        ssrc: 0x5eed,
        marker: seq === 1,
      }),
      Buffer.from(payload),
    );
    const at = performance.now();
    let peak = 0;
    for (const v of frame) peak = Math.max(peak, Math.abs(v));
    // werift's sender rewrites the header's seq and SSRC to its own as it takes the packet (synchronously).
    mic.writeRtp(packet);
    sent.push({ at, seq: packet.header.sequenceNumber, ssrc: packet.header.ssrc, peak });
    ts = (ts + 160) >>> 0;
  };
  // The microphone: a packet every 20 ms from the moment the call is up, speech when queued, else silence.
  let queue: { pcm: Int16Array; done: () => void }[] = [];
  let offset = 0;
  const frame = new Int16Array(160);
  let next = performance.now();
  const tick = () => {
    while (performance.now() >= next) {
      next += 20;
      frame.fill(0);
      const q = queue[0];
      if (q) {
        frame.set(q.pcm.subarray(offset, offset + 160));
        offset += 160;
        if (offset >= q.pcm.length) {
          queue.shift();
          offset = 0;
          q.done();
        }
      }
      send(frame);
    }
  };
  let timer: NodeJS.Timeout | null = null;
  pc.connectionStateChange.subscribe((s) => {
    if (s === "connected" && !timer) {
      next = performance.now();
      timer = setInterval(tick, 5);
    }
  });
  const sdp = pc.localDescription!.sdp;
  const candidateLine = /^a=(candidate:.*|end-of-candidates)\r?$/;
  const lines = sdp.split("\n");
  return {
    pc,
    offer: opts.trickle ? lines.filter((l) => !candidateLine.test(l)).join("\n") : sdp,
    candidates: opts.trickle
      ? lines.filter((l) => l.startsWith("a=candidate:")).map((l) => l.slice(2).replace(/\r$/, ""))
      : [],
    heard,
    sent,
    speak: (pcm) => new Promise<void>((done) => queue.push({ pcm, done })),
    async close() {
      if (timer) clearInterval(timer);
      queue = [];
      await pc.close();
    },
  };
}

/** RMS of decoded packets received after `since` (performance.now()). */
export function energySince(heard: { at: number; pcm: Int16Array }[], since: number): number {
  let sum = 0;
  let n = 0;
  for (const h of heard)
    if (h.at >= since)
      for (const s of h.pcm) {
        sum += s * s;
        n++;
      }
  return n ? Math.sqrt(sum / n) : 0;
}
