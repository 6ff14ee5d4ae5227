import { beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpusScript from "opusscript";
import { createOpusCodec, type OpusCodec } from "../../main/engine/media/codecs/opus.js";
import { RtpSender } from "../../main/engine/media/sender.js";
import { RtpReceiver } from "../../main/engine/media/receiver.js";
import { writeRtpHeader, parseRtp } from "../../main/engine/media/rtp/packet.js";
import { resample } from "../../main/engine/media/resample.js";
import { callShared } from "../../main/engine/media/worker/shared.js";
import { maxCrossCorrelation, readWav, toTelephoneWav } from "../support/audio.js";
import { SHARED } from "../support/kamailio.js";

// The Opus codec of WebRTC legs (issue #16): libopus from opusscript's WebAssembly, 8 kHz PCM on our side,
// a 48 kHz RTP clock on the wire. No part is faked: real speech, the real encoder and decoder.
const rms = (pcm: Int16Array) => Math.sqrt(pcm.reduce((s, x) => s + x * x, 0) / Math.max(1, pcm.length));

let speech: Int16Array;
beforeAll(() => {
  const wav = join(mkdtempSync(join(tmpdir(), "opus-codec-")), "speech.wav");
  toTelephoneWav(join(SHARED, "audio", "en-ljspeech-LJ001-0001.wav"), wav, 0, 0);
  speech = readWav(wav).samples;
});

/** Encodes `pcm` 20 ms at a time and decodes every packet, `lose(i)` ones concealed instead. */
function roundTrip(codec: OpusCodec, pcm: Int16Array, lose: (frame: number) => boolean = () => false) {
  const out = new Int16Array(pcm.length);
  const packet = new Uint8Array(codec.maxPayloadBytes);
  const pcmOut = new Int16Array(960);
  let bytes = 0;
  for (let f = 0; (f + 1) * 160 <= pcm.length; f++) {
    const len = codec.encode(pcm.subarray(f * 160, (f + 1) * 160), packet);
    expect(len).toBeGreaterThan(0);
    bytes += len;
    const n = lose(f) ? codec.conceal(pcmOut) : codec.decode(packet.subarray(0, len), pcmOut);
    expect(n).toBe(160);
    out.set(pcmOut.subarray(0, 160), f * 160);
  }
  return { out, kbps: (bytes * 8) / (pcm.length / 8000) / 1000 };
}

describe("Opus codec (opusscript's libopus, 8 kHz PCM)", () => {
  it("codes 8 kHz speech at about 24 kb/s and decodes it back to the same waveform (correlation > 0.9)", async () => {
    const codec = await createOpusCodec();
    const { out, kbps } = roundTrip(codec, speech);
    codec.close();
    expect(kbps).toBeGreaterThan(15);
    expect(kbps).toBeLessThan(35);
    const { value, lag } = maxCrossCorrelation(speech, out, 400);
    expect(value, `lag ${lag}`).toBeGreaterThan(0.9);
  });

  it("decodes what a browser sends (Opus coded at 48 kHz by another libopus binding) to 8 kHz speech", async () => {
    const browser = new OpusScript(48000, 1, OpusScript.Application.VOIP);
    const codec = await createOpusCodec();
    const wide = await resample(speech, 8000, 48000);
    const out = new Int16Array(speech.length);
    const pcm = new Int16Array(960);
    for (let f = 0; (f + 1) * 960 <= wide.length && (f + 1) * 160 <= out.length; f++) {
      const frame = wide.subarray(f * 960, (f + 1) * 960);
      const packet = browser.encode(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength), 960);
      expect(codec.decode(packet, pcm)).toBe(160);
      out.set(pcm.subarray(0, 160), f * 160);
    }
    browser.delete();
    codec.close();
    expect(maxCrossCorrelation(speech, out, 400).value).toBeGreaterThan(0.85);
  });

  it("conceals lost packets with libopus's own concealment: one packet's length each, carrying on then fading; never throws", async () => {
    const codec = await createOpusCodec();
    const pcm = new Int16Array(960);
    // Before any packet there is nothing to carry on: silence.
    expect(codec.conceal(pcm)).toBe(160);
    expect(rms(pcm.subarray(0, 160))).toBe(0);
    // Every tenth packet lost: the speech still comes through.
    const { out } = roundTrip(codec, speech, (f) => f % 10 === 5);
    expect(maxCrossCorrelation(speech, out, 400).value).toBeGreaterThan(0.7);
    // A long outage at the loudest point of the speech: the first stand-in carries the voice on, later ones fade.
    let loudest = 0;
    for (let f = 1; (f + 1) * 160 <= speech.length; f++)
      if (rms(speech.subarray(f * 160, (f + 1) * 160)) > rms(speech.subarray(loudest * 160, (loudest + 1) * 160)))
        loudest = f;
    roundTrip(codec, speech.subarray(0, (loudest + 1) * 160));
    const levels: number[] = [];
    for (let i = 0; i < 10; i++) {
      expect(codec.conceal(pcm)).toBe(160);
      levels.push(rms(pcm.subarray(0, 160)));
    }
    expect(levels[0], levels.map(Math.round).join(" ")).toBeGreaterThan(500);
    expect(levels[9], levels.map(Math.round).join(" ")).toBeLessThan(levels[0] * 0.5);
    // An empty payload or one libopus refuses (code 3 with no frames) is concealed, not decoded.
    expect(codec.decode(new Uint8Array(0), pcm)).toBe(160);
    expect(codec.decode(new Uint8Array([0x03, 0x00]), pcm)).toBe(160);
    codec.close();
    // A closed coder does nothing (the leg is gone).
    expect(codec.encode(new Int16Array(160), new Uint8Array(1275))).toBe(0);
  });

  it("keeps working for every leg when the WASM heap grows (hundreds of coders in one thread)", async () => {
    const first = await createOpusCodec();
    const many = await Promise.all(Array.from({ length: 400 }, () => createOpusCodec()));
    const { out } = roundTrip(first, speech.subarray(0, 16000));
    expect(maxCrossCorrelation(speech.subarray(0, 16000), out, 400).value).toBeGreaterThan(0.9);
    const { out: lastOut } = roundTrip(many[399], speech.subarray(0, 16000));
    expect(maxCrossCorrelation(speech.subarray(0, 16000), lastOut, 400).value).toBeGreaterThan(0.9);
    for (const c of [first, ...many]) c.close();
  });
});

describe("Opus on the RTP path (sender and receiver of a leg)", () => {
  it("sends one packet per tick with the 48 kHz clock (960 a packet) and its payload's own length", async () => {
    const codec = await createOpusCodec();
    const packets: Buffer[] = [];
    const s = new RtpSender(callShared(), (p, length) => packets.push(Buffer.from(p.subarray(0, length))));
    s.codec = codec;
    s.pt = 111;
    s.play(speech.subarray(0, 8000), 0);
    for (let t = 0; t < 50; t++) s.tick();
    codec.close();
    expect(packets).toHaveLength(50);
    const parsed = packets.map((p) => parseRtp(p)!);
    for (let i = 1; i < parsed.length; i++) {
      expect(parsed[i].payloadType).toBe(111);
      expect((parsed[i].timestamp - parsed[i - 1].timestamp) >>> 0).toBe(960);
      expect((parsed[i].sequence - parsed[i - 1].sequence) & 0xffff).toBe(1);
    }
    expect(Math.max(...parsed.map((p) => p.payload.length))).toBeLessThan(160);
    expect(s.octetsSent).toBe(parsed.reduce((n, p) => n + p.payload.length, 0));
  });

  it("receives packets into 8 kHz frames with 8 kHz timestamps, and conceals a lost one with libopus's concealment", async () => {
    const enc = await createOpusCodec();
    const dec = await createOpusCodec();
    const frames: { n: number; ts: number; level: number }[] = [];
    const r = new RtpReceiver(callShared(), {
      frame: (pcm, n, ts) => frames.push({ n, ts, level: rms(pcm.subarray(0, n)) }),
      latched: () => undefined,
      dtmf: () => undefined,
      rtcp: () => false,
    });
    r.codec = dec;
    r.pt = 111;
    const payload = new Uint8Array(1275);
    const buf = Buffer.alloc(12 + 1275);
    let now = 0;
    for (let i = 0; i < 40; i++) {
      const len = enc.encode(speech.subarray(8000 + i * 160, 8000 + (i + 1) * 160), payload);
      now += 20;
      r.tick(now);
      if (i === 20) continue; // lost on the way
      writeRtpHeader(buf, {
        marker: i === 0,
        payloadType: 111,
        sequence: 1000 + i,
        timestamp: 48000 + i * 960,
        ssrc: 7,
      });
      buf.set(payload.subarray(0, len), 12);
      r.receive(buf.subarray(0, 12 + len), "webrtc", 0, now);
    }
    for (let i = 0; i < 10; i++) r.tick((now += 20));
    enc.close();
    dec.close();
    expect(frames).toHaveLength(40);
    expect(frames.every((f) => f.n === 160)).toBe(true);
    expect(frames.map((f) => f.ts)).toEqual(Array.from({ length: 40 }, (_, i) => 8000 + i * 160));
    // The lost packet's place holds speech carried on, not silence.
    expect(frames[20].level).toBeGreaterThan(0);
  });
});
