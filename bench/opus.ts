// `npm run bench -- opus [--seconds 20]`: what Opus costs on a WebRTC leg (issue #16), measured on the engine's
// own wrapper (main/engine/media/codecs/opus.ts) in this process, which has not loaded libopus before:
// - loading: the compile (V8's background threads) and the two steps that block the thread, with the
//   longest gap a 1 ms timer saw meanwhile (what a media worker's other calls would feel);
// - per 20 ms frame, on real speech: our encoder (8 kHz in), our decoder of our packets, our decoder of a
//   browser's packets (coded at 48 kHz by opusscript's own class, as Chromium codes fullband), and G.711
//   both ways for comparison; µs per frame and the share of a core one leg takes (one frame each way per 20 ms);
// - WASM memory per leg (one encoder + one decoder + buffers), from the heap's growth over 400 coders.
import { mkdtempSync } from "node:fs";
import { availableParallelism, cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import OpusScript from "opusscript";
import { createOpusCodec, loadOpus, opusLoad, type OpusCodec } from "../main/engine/media/codecs/opus.js";
import { PCMU } from "../main/engine/media/codecs/g711.js";
import { resample } from "../main/engine/media/resample.js";
import { readWav, toTelephoneWav } from "../test/support/audio.js";
import { SHARED } from "../test/support/kamailio.js";
import { option, percentile, table } from "./lib-stats.js";

export async function run(args: string[]): Promise<void> {
  const seconds = option(args, "seconds", 20);
  const load = () =>
    loadavg()
      .map((l) => l.toFixed(2))
      .join(" ");
  const loadAtStart = load();

  // Loading, with a 1 ms timer watching this thread's event loop.
  const gaps: number[] = [];
  let last = performance.now();
  const probe = setInterval(() => {
    const now = performance.now();
    gaps.push(now - last);
    last = now;
  }, 1);
  await new Promise((r) => setTimeout(r, 300));
  const idleGap = Math.max(...gaps);
  gaps.length = 0;
  const t0 = performance.now();
  const m = await loadOpus();
  const loadMs = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 20));
  clearInterval(probe);
  const loadGap = Math.max(...gaps);

  const wav = join(mkdtempSync(join(tmpdir(), "bench-opus-")), "speech.wav");
  toTelephoneWav(join(SHARED, "audio", "en-ljspeech-LJ001-0001.wav"), wav, 0, 0);
  const speech = readWav(wav).samples;
  const wide = await resample(speech, 8000, 48000);
  const frames = Math.min(Math.floor(speech.length / 160), Math.floor(wide.length / 960));
  const browser = new OpusScript(48000, 1, OpusScript.Application.VOIP);
  const browserPackets = Array.from({ length: frames }, (_, f) =>
    browser.encode(Buffer.from(wide.buffer, wide.byteOffset + f * 960 * 2, 960 * 2), 960),
  );
  browser.delete();

  const enc = await createOpusCodec();
  const dec = await createOpusCodec();
  const fromBrowser = await createOpusCodec();
  const packet = new Uint8Array(enc.maxPayloadBytes);
  const pcm = new Int16Array(960);
  const g711 = new Uint8Array(160);
  const times = { encode: [] as number[], decode: [] as number[], browser: [] as number[], g711: [] as number[] };
  let bytes = 0;
  const until = performance.now() + seconds * 1000;
  let total = 0;
  while (performance.now() < until) {
    for (let f = 0; f < frames; f++, total++) {
      const frame = speech.subarray(f * 160, (f + 1) * 160);
      let a = performance.now();
      const len = enc.encode(frame, packet);
      let b = performance.now();
      times.encode.push(b - a);
      bytes += len;
      a = performance.now();
      dec.decode(packet.subarray(0, len), pcm);
      b = performance.now();
      times.decode.push(b - a);
      a = performance.now();
      fromBrowser.decode(browserPackets[f], pcm);
      b = performance.now();
      times.browser.push(b - a);
      a = performance.now();
      PCMU.encode(frame, g711);
      PCMU.decode(g711, pcm);
      b = performance.now();
      times.g711.push(b - a);
    }
  }
  for (const c of [enc, dec, fromBrowser]) c.close();

  const before = m.HEAPU8.length;
  const many: OpusCodec[] = [];
  for (let i = 0; i < 400; i++) many.push(await createOpusCodec());
  const grown = m.HEAPU8.length - before;
  for (const c of many) c.close();

  const us = (v: number[]) => {
    const s = [...v].sort((x, y) => x - y);
    return [(percentile(s, 50) * 1000).toFixed(0), (percentile(s, 99) * 1000).toFixed(0)];
  };
  const mean = (v: number[]) => v.reduce((x, y) => x + y, 0) / v.length;
  const share = (ms: number) => ((ms / 20) * 100).toFixed(2);
  console.log(
    table(
      ["per 20 ms frame", "p50 µs", "p99 µs", "mean µs"],
      [
        ["Opus encode (8 kHz speech in)", ...us(times.encode), (mean(times.encode) * 1000).toFixed(0)],
        ["Opus decode (our packets)", ...us(times.decode), (mean(times.decode) * 1000).toFixed(0)],
        [
          "Opus decode (a browser's 48 kHz packets) to 8 kHz",
          ...us(times.browser),
          (mean(times.browser) * 1000).toFixed(0),
        ],
        ["G.711 encode + decode", ...us(times.g711), (mean(times.g711) * 1000).toFixed(0)],
      ],
    ),
  );
  console.log(
    `\nOne Opus leg (a frame each way per 20 ms, browser's packets in): ${share(mean(times.encode) + mean(times.browser))} % of a core; G.711: ${share(mean(times.g711))} %.`,
  );
  console.log(`Our packets: ${((bytes * 8) / (total * 0.02) / 1000).toFixed(1)} kb/s on average, ${total} frames.`);
  console.log(
    `Loading libopus: ${loadMs.toFixed(1)} ms in all; compile ${opusLoad.compileMs.toFixed(1)} ms (off the thread), glue ${opusLoad.glueMs.toFixed(1)} ms and instantiate ${opusLoad.instantiateMs.toFixed(1)} ms on it; longest event-loop gap meanwhile ${loadGap.toFixed(1)} ms (idle before: ${idleGap.toFixed(1)} ms).`,
  );
  console.log(`WASM memory per leg: ${(grown / 400 / 1024).toFixed(0)} KiB (heap grew ${grown >> 20} MiB for 400).`);
  console.log(
    `${new Date().toISOString()}, ${availableParallelism()} cores (${cpus()[0]?.model ?? "?"}), load average ${loadAtStart} at the start, ${load()} at the end.`,
  );
}
