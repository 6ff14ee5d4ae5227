import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { startTestEngine, type TestEngine } from "../helpers/engine.js";

let t: TestEngine;
beforeAll(async () => {
  t = await startTestEngine();
});
afterAll(async () => {
  await t.stop();
});

const preview = (json: unknown, auth = true) => t.api("/api/v1/voices/preview", { method: "POST", json, auth });

/** Reads a PCM WAV as the browser would: the header's fields and the samples after it. */
function parseWav(buf: Buffer) {
  expect(buf.toString("ascii", 0, 4)).toBe("RIFF");
  expect(buf.toString("ascii", 8, 12)).toBe("WAVE");
  expect(buf.toString("ascii", 12, 16)).toBe("fmt ");
  expect(buf.toString("ascii", 36, 40)).toBe("data");
  const dataBytes = buf.readUInt32LE(40);
  expect(buf.readUInt32LE(4)).toBe(36 + dataBytes);
  expect(buf.length).toBe(44 + dataBytes);
  const samples = new Int16Array(buf.buffer.slice(buf.byteOffset + 44, buf.byteOffset + 44 + dataBytes));
  return {
    format: buf.readUInt16LE(20),
    channels: buf.readUInt16LE(22),
    rate: buf.readUInt32LE(24),
    bits: buf.readUInt16LE(34),
    samples,
  };
}

const rms = (s: Int16Array) => Math.sqrt(s.reduce((a, x) => a + x * x, 0) / Math.max(1, s.length));

describe("POST /voices/preview (issue #15 §4)", () => {
  it("speaks the text in a Flite voice as a mono 16-bit WAV with real speech in it", async () => {
    const r = await preview({ provider: "local", voice_id: "flite-slt", text: "Hello, thank you for calling." });
    expect(r.status, await r.clone().text()).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/^audio\/wav/);
    const wav = parseWav(Buffer.from(await r.arrayBuffer()));
    expect(wav).toMatchObject({ format: 1, channels: 1, rate: 16000, bits: 16 });
    const seconds = wav.samples.length / wav.rate;
    // Five words take between half a second and several seconds to say.
    expect(seconds, `${seconds} s`).toBeGreaterThan(0.5);
    expect(seconds, `${seconds} s`).toBeLessThan(8);
    expect(rms(wav.samples), "RMS of the samples").toBeGreaterThan(300);
  });

  it("a longer text gives longer audio, and another voice gives other samples", async () => {
    const short = parseWav(
      Buffer.from(await (await preview({ provider: "local", voice_id: "flite-rms", text: "Hello." })).arrayBuffer()),
    );
    const long = parseWav(
      Buffer.from(
        await (
          await preview({
            provider: "local",
            voice_id: "flite-rms",
            text: "Hello, you have reached us outside opening hours. Please leave a message.",
          })
        ).arrayBuffer(),
      ),
    );
    expect(long.samples.length).toBeGreaterThan(short.samples.length * 2);
    const slt = parseWav(
      Buffer.from(await (await preview({ provider: "local", voice_id: "flite-slt", text: "Hello." })).arrayBuffer()),
    );
    expect(Buffer.from(slt.samples.buffer).equals(Buffer.from(short.samples.buffer))).toBe(false);
  });

  const hasEspeak = spawnSync("espeak-ng", ["--version"]).status === 0;
  it.skipIf(!hasEspeak)("speaks Dutch with espeak-ng when it is installed", async () => {
    const r = await preview({ provider: "local", voice_id: "espeak-nl", text: "Goedendag, waarmee kan ik u helpen?" });
    expect(r.status, await r.clone().text()).toBe(200);
    const wav = parseWav(Buffer.from(await r.arrayBuffer()));
    expect(wav.samples.length / wav.rate).toBeGreaterThan(0.5);
    expect(rms(wav.samples)).toBeGreaterThan(300);
  });

  it("refuses what it cannot speak with a 4xx {error, message}", async () => {
    const cases: [unknown, number, RegExp][] = [
      [{ provider: "local", voice_id: "piper-nl", text: "Hallo" }, 400, /voice_id 'piper-nl'/],
      [{ provider: "local", voice_id: "flite-slt" }, 400, /text/],
      [{ provider: "local", voice_id: "flite-slt", text: "" }, 400, /text/],
      [{ provider: "local", voice_id: "flite-slt", text: "x".repeat(1001) }, 400, /text/],
      [{ provider: "local", voice_id: "flite-slt", text: "Hi", extra: 1 }, 400, /extra|additional/],
      [{ provider: "festival", voice_id: "x", text: "Hi" }, 400, /provider/],
      [{ provider: "elevenlabs", voice_id: "21m00Tcm4TlvDq8ikWAM", text: "Hi" }, 400, /key/],
    ];
    for (const [body, status, message] of cases) {
      const r = await preview(body);
      const got = (await r.json()) as { error?: string; message?: string };
      expect(r.status, `${JSON.stringify(body)} → ${JSON.stringify(got)}`).toBe(status);
      expect(typeof got.error).toBe("string");
      expect(got.message, JSON.stringify(body)).toMatch(message);
    }
  });

  it("needs a key", async () => {
    const r = await preview({ provider: "local", voice_id: "flite-slt", text: "Hi" }, false);
    expect(r.status).toBe(401);
  });
});
