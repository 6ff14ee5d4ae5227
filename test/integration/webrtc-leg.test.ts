import { afterEach, describe, expect, it } from "vitest";
import { RtpSession } from "../../main/engine/media/rtp-session.js";
import { energySince, testBrowser, type TestBrowser } from "../support/webrtc-browser.js";
import { waitFor } from "../helpers/wait.js";

// A browser's WebRTC audio terminated in the media worker (issue #16 point 1): the "browser" is an
// independent werift peer in the test process that offers PCMU with DTLS-SRTP over ICE on loopback, as
// Chromium does (test/support/webrtc-browser.ts); the engine's side is the real RtpSession → media worker →
// werift path. Web calls on top of it: web-calls.test.ts.
const RANGE = { min: 42000, max: 42999 };
const tone = (hz: number, samples: number, amp = 8000) =>
  Int16Array.from({ length: samples }, (_, i) => Math.round(amp * Math.sin((2 * Math.PI * hz * i) / 8000)));
const rms = (pcm: Int16Array) => Math.sqrt(pcm.reduce((s, x) => s + x * x, 0) / Math.max(1, pcm.length));

let browser: TestBrowser | null = null;
let session: RtpSession | null = null;
afterEach(async () => {
  session?.close();
  await browser?.close();
  session = browser = null;
});

async function joined(): Promise<{ b: TestBrowser; s: RtpSession; answer: string }> {
  const b = (browser = await testBrowser());
  const s = (session = new RtpSession());
  const answer = await s.openWebRtc(b.offer, "127.0.0.1", RANGE);
  await b.pc.setRemoteDescription({ type: "answer", sdp: answer });
  await waitFor(() => b.pc.connectionState === "connected", 10_000);
  return { b, s, answer };
}

describe("a WebRTC leg in the media worker", () => {
  it("answers a browser's offer; audio flows both ways through DTLS-SRTP", async () => {
    const frames: Int16Array[] = [];
    const { b, s, answer } = await joined();
    s.on("frame", (f) => frames.push(f.data.slice()));
    expect(answer, answer).toMatch(/^m=audio \d+ UDP\/TLS\/RTP\/SAVPF 0\r?$/m);
    expect(answer).toMatch(/a=fingerprint:sha-256/);
    expect(answer).toMatch(/a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 \d+ typ host/);

    // The browser's microphone: 1 s of a 440 Hz tone.
    await b.speak(tone(440, 8000));
    await waitFor(() => frames.filter((f) => rms(f) > 3000).length >= 45, 5000);

    // Our side: 1 s of 1 kHz played on the leg reaches the browser, paced by the worker's clock.
    const at = performance.now();
    s.play(tone(1000, 8000));
    await waitFor(() => b.heard.filter((h) => h.at >= at && rms(h.pcm) > 3000).length >= 45, 5000);
    expect(energySince(b.heard, at)).toBeGreaterThan(3000);
  });

  it("tells the engine when the browser goes away, and refuses an offer it cannot answer", async () => {
    const { b, s } = await joined();
    const gone: string[] = [];
    s.on("gone", (state) => gone.push(state));
    const frames: number[] = [];
    s.on("frame", () => frames.push(1));
    await waitFor(() => frames.length >= 20, 5000);
    expect(gone).toEqual([]);
    // The tab closes: whether ICE/DTLS says so or its packets just stop, the leg ends within seconds.
    const closedAt = performance.now();
    await b.close();
    browser = null;
    await waitFor(() => gone.length > 0, 15_000);
    expect(performance.now() - closedAt).toBeLessThan(12_000);

    const other = new RtpSession();
    await expect(other.openWebRtc("v=0\r\nnot an offer\r\n", "127.0.0.1", RANGE)).rejects.toThrow();
    other.close();
  });
});
