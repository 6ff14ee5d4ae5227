import { MediaStreamTrack, RTCPeerConnection, RTCRtpCodecParameters, RtpHeader, RtpPacket } from "werift";
import OpusScript from "opusscript";
import { PCMU } from "../../main/engine/media/codecs/g711.js";
import { resample } from "../../main/engine/media/resample.js";

/**
 * A browser's side of a WebRTC audio call, in the test process: an independent werift peer that offers PCMU
 * (payload type 0), or with `opus` Opus first and PCMU after it (payload types 111 and 0, as Chromium does),
 * with DTLS-SRTP over ICE, sends a packet every 20 ms once connected (speech when queued, else silence, like a
 * microphone that is on), and decodes what it receives with the arrival time of each packet. Its Opus is a
 * browser's: opusscript's own OpusScript class (not the engine's wrapper) at 48 kHz, speech resampled up from
 * 8 kHz before coding, what it hears decoded at 48 kHz and taken back to 8 kHz (every sixth sample: the
 * engine codes 8 kHz audio, nothing above 4 kHz). Chromium itself is used in test/e2e.
 */
export interface TestBrowser {
  pc: RTCPeerConnection;
  /** The SDP offer; with `trickle`, without its candidates (they are in `candidates`). */
  offer: string;
  /** With `trickle`: the candidate lines left out of the offer ("candidate:…"), to PATCH; else empty. */
  candidates: string[];
  /** The codec the answer chose ("opus" or "PCMU"; null before the answer). */
  codec(): string | null;
  /** Received audio: one entry per packet, decoded, with performance.now() at arrival and the RTP header's seq/SSRC. */
  heard: { at: number; pcm: Int16Array; seq: number; ssrc: number }[];
  /** Sent packets: performance.now() just before werift sends it, its seq/SSRC on the wire, and its loudest sample. */
  sent: { at: number; seq: number; ssrc: number; peak: number }[];
  /** Queues 8 kHz `pcm` on the microphone (sent in real time, 20 ms per packet); resolves when the last packet is out. */
  speak(pcm: Int16Array): Promise<void>;
  close(): Promise<void>;
}

/**
 * `trickle`: the offer leaves its candidates out, for the test to send them after it (trickle ICE).
 * `lose(n)`: packet n (0, 1, 2… from the first) is lost on the way: its sequence number is skipped, nothing is sent.
 */
export async function testBrowser(
  o: { trickle?: boolean; opus?: boolean; lose?: (n: number) => boolean } = {},
): Promise<TestBrowser> {
  const pcmu = new RTCRtpCodecParameters({ mimeType: "audio/PCMU", clockRate: 8000, channels: 1, payloadType: 0 });
  const pc = new RTCPeerConnection({
    codecs: {
      audio: o.opus
        ? [
            new RTCRtpCodecParameters({
              mimeType: "audio/opus",
              clockRate: 48000,
              channels: 2,
              payloadType: 111,
              parameters: "minptime=10;useinbandfec=1",
            }),
            pcmu,
          ]
        : [pcmu],
    },
    iceUseIpv6: false,
  });
  const mic = new MediaStreamTrack({ kind: "audio" });
  const transceiver = pc.addTransceiver(mic, { direction: "sendrecv" });
  const opus = o.opus ? new OpusScript(48000, 1, OpusScript.Application.VOIP) : null;
  // The resampler's first use loads its WebAssembly, blocking this process for a while: not in the middle of
  // the DTLS handshake that follows the answer (werift's DTLS client on the engine's side gives up on a
  // handshake whose last flight is that late).
  if (opus) await resample(new Int16Array(160), 8000, 48000);
  const negotiated = () => transceiver.sender.codec?.mimeType.split("/")[1] ?? null;
  const sendsOpus = () => negotiated()?.toLowerCase() === "opus";
  const heard: TestBrowser["heard"] = [];
  const sent: TestBrowser["sent"] = [];
  pc.onTrack.subscribe((track) =>
    track.onReceiveRtp.subscribe((rtp) => {
      const at = performance.now();
      let pcm: Int16Array;
      if (rtp.header.payloadType === 0) {
        pcm = new Int16Array(rtp.payload.length);
        PCMU.decode(rtp.payload, pcm);
      } else if (opus) {
        const out = opus.decode(rtp.payload);
        const wide = new Int16Array(out.buffer, out.byteOffset, out.length >> 1);
        pcm = Int16Array.from({ length: Math.floor(wide.length / 6) }, (_, i) => wide[i * 6]);
      } else return;
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
    if (o.lose?.(seq)) {
      seq++;
      ts = (ts + frame.length) >>> 0;
      return;
    }
    let body: Buffer;
    if (frame.length === 960 && opus) {
      // opusscript takes little-endian 16-bit samples as bytes.
      body = opus.encode(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength), 960);
    } else {
      PCMU.encode(frame, payload);
      body = Buffer.from(payload);
    }
    const packet = new RtpPacket(
      new RtpHeader({
        payloadType: 0, // werift puts the negotiated one
        sequenceNumber: seq++ & 0xffff,
        timestamp: ts,
        ssrc: 0x5eed,
        marker: seq === 1,
      }),
      body,
    );
    const at = performance.now();
    let peak = 0;
    for (const v of frame) peak = Math.max(peak, Math.abs(v));
    // werift's sender rewrites the header's seq and SSRC to its own as it takes the packet (synchronously).
    mic.writeRtp(packet);
    sent.push({ at, seq: packet.header.sequenceNumber, ssrc: packet.header.ssrc, peak });
    ts = (ts + frame.length) >>> 0;
  };
  // The microphone: a packet every 20 ms from the moment the call is up, speech when queued, else silence;
  // 48 kHz for Opus (speech resampled when queued), 8 kHz for PCMU.
  let queue: { pcm: Int16Array; done: () => void }[] = [];
  let offset = 0;
  const narrow = new Int16Array(160);
  const wide = new Int16Array(960);
  let next = performance.now();
  const tick = () => {
    while (performance.now() >= next) {
      next += 20;
      const frame = sendsOpus() ? wide : narrow;
      frame.fill(0);
      const q = queue[0];
      if (q) {
        frame.set(q.pcm.subarray(offset, offset + frame.length));
        offset += frame.length;
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
    offer: o.trickle ? lines.filter((l) => !candidateLine.test(l)).join("\n") : sdp,
    candidates: o.trickle
      ? lines.filter((l) => l.startsWith("a=candidate:")).map((l) => l.slice(2).replace(/\r$/, ""))
      : [],
    codec: negotiated,
    heard,
    sent,
    async speak(pcm) {
      const queued = sendsOpus() ? await resample(pcm, 8000, 48000) : pcm;
      return new Promise<void>((done) => queue.push({ pcm: queued, done }));
    },
    async close() {
      if (timer) clearInterval(timer);
      queue = [];
      await pc.close();
      opus?.delete();
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
