import { afterEach, describe, expect, it } from "vitest";
import { MediaStreamTrack, RTCPeerConnection, RTCRtpCodecParameters, RtpHeader, RtpPacket } from "werift";
import { RtpSession } from "../../main/engine/media/rtp-session.js";
import { PCMU } from "../../main/engine/media/codecs/g711.js";
import { waitFor } from "../helpers/wait.js";

// A browser's WebRTC audio terminated in the media worker (issue #16 point 1): the "browser" here is a
// second, independent werift peer in the test process that offers PCMU with DTLS-SRTP over ICE on
// loopback, as Chromium does; the engine's side is the real RtpSession → media worker → werift path.
// test/e2e/web-call.test.ts does the same from Chromium.
const RANGE = { min: 42000, max: 42999 };
const tone = (hz: number, samples: number, amp = 8000) =>
  Int16Array.from({ length: samples }, (_, i) => Math.round(amp * Math.sin((2 * Math.PI * hz * i) / 8000)));
const rms = (pcm: Int16Array) => Math.sqrt(pcm.reduce((s, x) => s + x * x, 0) / Math.max(1, pcm.length));

let browser: RTCPeerConnection | null = null;
let session: RtpSession | null = null;
afterEach(async () => {
  session?.close();
  await browser?.close();
  session = browser = null;
});

async function browserOffer() {
  const pc = new RTCPeerConnection({
    codecs: {
      audio: [new RTCRtpCodecParameters({ mimeType: "audio/PCMU", clockRate: 8000, channels: 1, payloadType: 0 })],
    },
    iceUseIpv6: false,
  });
  const mic = new MediaStreamTrack({ kind: "audio" });
  pc.addTransceiver(mic, { direction: "sendrecv" });
  const heard: Int16Array[] = [];
  pc.onTrack.subscribe((track) =>
    track.onReceiveRtp.subscribe((rtp) => {
      const pcm = new Int16Array(rtp.payload.length);
      PCMU.decode(rtp.payload, pcm);
      heard.push(pcm);
    }),
  );
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise<void>((resolve) => {
    if (pc.iceGatheringState === "complete") resolve();
    pc.iceGatheringStateChange.subscribe((s) => s === "complete" && resolve());
  });
  return { pc, mic, heard, offer: pc.localDescription!.sdp };
}

describe("a WebRTC leg in the media worker", () => {
  it("answers a browser's offer; audio flows both ways through DTLS-SRTP", async () => {
    const b = await browserOffer();
    browser = b.pc;
    session = new RtpSession();
    const frames: Int16Array[] = [];
    session.on("frame", (f) => frames.push(f.data.slice()));
    const answer = await session.openWebRtc(b.offer, "127.0.0.1", RANGE);
    expect(answer, answer).toMatch(/^m=audio \d+ UDP\/TLS\/RTP\/SAVPF 0\r?$/m);
    expect(answer).toMatch(/a=fingerprint:sha-256/);
    expect(answer).toMatch(/a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 \d+ typ host/);
    await b.pc.setRemoteDescription({ type: "answer", sdp: answer });
    await waitFor(() => b.pc.connectionState === "connected", 10_000);

    // The browser's microphone: 1 s of a 440 Hz tone in 20 ms packets.
    const mic = tone(440, 8000);
    const payload = new Uint8Array(160);
    for (let i = 0; i < 50; i++) {
      PCMU.encode(mic.subarray(i * 160, (i + 1) * 160), payload);
      b.mic.writeRtp(
        new RtpPacket(
          new RtpHeader({ payloadType: 0, sequenceNumber: i, timestamp: i * 160, ssrc: 4242, marker: i === 0 }),
          Buffer.from(payload),
        ),
      );
      await new Promise((r) => setTimeout(r, 20));
    }
    await waitFor(() => frames.length >= 45, 5000);
    const caller = Int16Array.from(frames.flatMap((f) => [...f]));
    expect(rms(caller)).toBeGreaterThan(3000);

    // Our side: 1 s of 1 kHz played on the leg reaches the browser, paced by the worker's clock.
    session.play(tone(1000, 8000));
    await waitFor(() => b.heard.filter((p) => rms(p) > 3000).length >= 45, 5000);
    expect(session.stats.sent).toBeGreaterThanOrEqual(50);
  });

  it("tells the engine when the browser goes away, and refuses an offer without audio it can play", async () => {
    const b = await browserOffer();
    browser = b.pc;
    session = new RtpSession();
    const gone: string[] = [];
    session.on("gone", (s) => gone.push(s));
    await b.pc.setRemoteDescription({ type: "answer", sdp: await session.openWebRtc(b.offer, "127.0.0.1", RANGE) });
    await waitFor(() => b.pc.connectionState === "connected", 10_000);
    const frames: number[] = [];
    session.on("frame", () => frames.push(1));
    for (let i = 0; i < 25; i++) {
      b.mic.writeRtp(
        new RtpPacket(
          new RtpHeader({ payloadType: 0, sequenceNumber: i, timestamp: i * 160, ssrc: 7 }),
          Buffer.alloc(160, 0xff),
        ),
      );
      await new Promise((r) => setTimeout(r, 20));
    }
    await waitFor(() => frames.length >= 20, 5000);
    expect(gone).toEqual([]);
    // The tab closes: whether ICE/DTLS says so or the packets just stop, the leg ends within seconds.
    const closedAt = performance.now();
    await b.pc.close();
    browser = null;
    await waitFor(() => gone.length > 0, 15_000);
    expect(performance.now() - closedAt).toBeLessThan(12_000);

    const other = new RtpSession();
    await expect(other.openWebRtc("v=0\r\nnot an offer\r\n", "127.0.0.1", RANGE)).rejects.toThrow();
    other.close();
  });
});
