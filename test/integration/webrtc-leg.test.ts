import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RtpSession } from "../../main/engine/media/rtp-session.js";
import { mediaWorker } from "../../main/engine/media/worker/host.js";
import { energySince, testBrowser, type TestBrowser } from "../support/webrtc-browser.js";
import { heardFrom, readWav, rms, toTelephoneWav, windowedCorrelation } from "../support/audio.js";
import { SHARED } from "../support/kamailio.js";
import { waitFor } from "../helpers/wait.js";

// A browser's WebRTC audio terminated in the media worker (issue #16 point 1): the "browser" is an
// independent werift peer in the test process that offers PCMU, or Opus and PCMU as Chromium does, with
// DTLS-SRTP over ICE on loopback (test/support/webrtc-browser.ts); the engine's side is the real RtpSession →
// media worker → werift path. Web calls on top of it: web-calls.test.ts.
const RANGE = { min: 42000, max: 42999 };
const tone = (hz: number, samples: number, amp = 8000) =>
  Int16Array.from({ length: samples }, (_, i) => Math.round(amp * Math.sin((2 * Math.PI * hz * i) / 8000)));

let browser: TestBrowser | null = null;
let session: RtpSession | null = null;
afterEach(async () => {
  session?.close();
  await browser?.close();
  session = browser = null;
});

const work = mkdtempSync(join(tmpdir(), "webrtc-leg-"));
let speechIn: Int16Array;
let speechOut: Int16Array;
beforeAll(() => {
  toTelephoneWav(join(SHARED, "audio", "en-ljspeech-LJ001-0002.wav"), join(work, "in.wav"), 0, 0.2);
  toTelephoneWav(join(SHARED, "audio", "en-ljspeech-LJ001-0001.wav"), join(work, "out.wav"), 0, 0.2);
  speechIn = readWav(join(work, "in.wav")).samples;
  speechOut = readWav(join(work, "out.wav")).samples;
});

async function joined(options: Parameters<typeof testBrowser>[0] = {}): Promise<{
  b: TestBrowser;
  s: RtpSession;
  answer: string;
}> {
  const b = (browser = await testBrowser(options));
  const s = (session = new RtpSession());
  const answer = await s.openWebRtc(b.offer, "127.0.0.1", RANGE);
  await b.pc.setRemoteDescription({ type: "answer", sdp: answer });
  await waitFor(() => b.pc.connectionState === "connected", 10_000);
  return { b, s, answer };
}

describe("a WebRTC leg in the media worker", () => {
  it("answers a browser's offer of PCMU alone with PCMU; audio flows both ways through DTLS-SRTP", async () => {
    const frames: Int16Array[] = [];
    const { b, s, answer } = await joined();
    s.on("frame", (f) => frames.push(f.data.slice()));
    expect(answer, answer).toMatch(/^m=audio \d+ UDP\/TLS\/RTP\/SAVPF 0\r?$/m);
    expect(b.codec()).toBe("PCMU");
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

  it("answers a browser's offer of Opus and PCMU with Opus alone; speech both ways and in the recording matches after Opus and 8 kHz (correlation > 0.7)", async () => {
    const { b, s, answer } = await joined({ opus: true });
    expect(answer, answer).toMatch(/^m=audio \d+ UDP\/TLS\/RTP\/SAVPF 111\r?$/m);
    expect(answer).toMatch(/^a=rtpmap:111 opus\/48000\/2\r?$/m);
    expect(answer).toMatch(/^a=fmtp:111 minptime=10;useinbandfec=1;maxplaybackrate=8000;maxaveragebitrate=24000\r?$/m);
    expect(b.codec()).toBe("opus");
    const recording = join(work, "opus-leg.wav");
    s.startRecording(recording);
    const frames: { at: number; pcm: Int16Array }[] = [];
    s.on("frame", (f) => frames.push({ at: performance.now(), pcm: f.data.slice() }));

    // The browser's microphone: speech, coded at 48 kHz as a browser does; the engine hears it at 8 kHz.
    const at = performance.now();
    await b.speak(speechIn);
    await new Promise((r) => setTimeout(r, 300));
    expect(frames.every((f) => f.pcm.length === 160)).toBe(true);
    const atEngine = heardFrom(frames, at);
    expect(windowedCorrelation(speechIn, atEngine, 0)).toBeGreaterThan(0.7);

    // Speech played on the leg, coded by the engine from 8 kHz, reaches the browser.
    const at2 = performance.now();
    s.play(speechOut);
    await new Promise((r) => setTimeout(r, (speechOut.length / 8000) * 1000 + 500));
    const atBrowser = heardFrom(b.heard, at2);
    expect(windowedCorrelation(speechOut, atBrowser, 0)).toBeGreaterThan(0.7);

    // The recording (caller left) holds the browser's speech.
    s.stopRecording();
    await mediaWorker.recordingComplete(recording);
    const left = readWav(recording).samples;
    const first = left.findIndex((v) => Math.abs(v) > 1000);
    expect(first).toBeGreaterThanOrEqual(0);
    expect(windowedCorrelation(speechIn, left, Math.max(0, first - 800))).toBeGreaterThan(0.7);
  });

  it("an Opus leg that loses every tenth packet: the engine conceals each with the decoder's concealment and the speech still comes through", async () => {
    const { b, s } = await joined({ opus: true, lose: (n) => n > 50 && n % 10 === 0 });
    expect(b.codec()).toBe("opus");
    const frames: { at: number; pcm: Int16Array }[] = [];
    s.on("frame", (f) => frames.push({ at: performance.now(), pcm: f.data.slice() }));
    await waitFor(() => frames.length > 60, 5000);
    const at = performance.now();
    await b.speak(speechIn);
    await new Promise((r) => setTimeout(r, 300));
    expect(s.mediaReport().packets_lost).toBeGreaterThan(5);
    // An unbroken 20 ms stream: every lost packet has its place.
    const after = frames.filter((f) => f.at >= at);
    expect(after.length * 160).toBeGreaterThanOrEqual(speechIn.length - 160 * 5);
    expect(windowedCorrelation(speechIn, heardFrom(frames, at), 0)).toBeGreaterThan(0.5);
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
