import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import type { Codec } from "./codec.js";

/**
 * Opus for WebRTC legs (RFC 7587: "opus/48000/2" on the wire, a 48 kHz RTP clock), with libopus 1.4 from
 * opusscript's WebAssembly build. Our side stays 8 kHz mono: libopus encodes from and decodes to 8 kHz
 * itself (it resamples inside the decoder and codes narrowband from 8 kHz input), so the jitter buffer,
 * recorder, relays and recognizers see the same 160-sample frames as on a G.711 leg.
 *
 * opusscript's own `OpusScript` class is not used on the media path: it allocates a Buffer per frame,
 * compiles the WebAssembly synchronously on first use (~25 ms, measured, a whole tick of every call on
 * the thread), and caches views of the WASM heap that go dead when the heap grows (after ~160 coders in
 * one thread, measured): every coder made before then would throw. Here the module is compiled
 * asynchronously once, the heap is read through the module's current views on every call, and each leg
 * has one handler (one encoder and one decoder) with its buffers allocated in the heap once.
 */

/** The part of opusscript 0.1.1's emscripten module (its `OpusScriptHandler` binding) used here. */
interface OpusModule {
  OpusScriptHandler: {
    new (rateHz: number, channels: number, application: number): Handler;
    destroy_handler(handler: Handler): void;
  };
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  HEAPU8: Uint8Array;
  HEAP16: Int16Array;
  HEAPU16: Uint16Array;
}

interface Handler {
  /**
   * Encodes `frameSize` samples at `pcmPtr`. `bytes` > 0 makes it first join byte pairs stored one per
   * 16-bit word (opusscript's Buffer convention); 0 takes the samples as they are.
   */
  _encode(pcmPtr: number, bytes: number, outPtr: number, frameSize: number): number;
  /** Decodes; writes each output sample as two 16-bit words, low byte then high byte. */
  _decode(inPtr: number, bytes: number, pcmPtr: number): number;
  _encoder_ctl(ctl: number, arg: number): number;
}

/** WebAssembly as Node has it (this project's TypeScript libs carry no DOM or WebAssembly types). */
const Wasm = (
  globalThis as unknown as {
    WebAssembly: {
      compile(bytes: Uint8Array): Promise<object>;
      Instance: new (module: object, imports: object) => object;
    };
  }
).WebAssembly;

const RATE = 8000;
const FRAME = 160;
/** opusscript's decode asks libopus for up to 120 ms at 48 kHz; its output area is sized for that, two words a sample. */
const DECODE_MAX = 5760;
/** opusscript lets the encoder write this much (3 × 1276), so its output area is that big. */
const ENCODE_OUT = 3828;
/** A UDP datagram on an Ethernet path: no RTP payload is larger. */
const PACKET_MAX = 1500;
/** RFC 6716 §3.4 R2: the most one Opus frame takes. */
const FRAME_MAX_BYTES = 1275;

const OPUS_APPLICATION_VOIP = 2048;
const OPUS_SET_BITRATE = 4002;
const OPUS_SET_COMPLEXITY = 4010;
const OPUS_SET_SIGNAL = 4024;
const OPUS_SIGNAL_VOICE = 3001;
/**
 * Narrowband speech stops improving near 20 kb/s (SILK); 24 kb/s with complexity 5 measured the same
 * waveform match as the default complexity 9 (0.98 on a speech WAV), at about 60 % of its encoding time.
 */
const BITRATE = 24_000;
const COMPLEXITY = 5;

/**
 * What loading took (docs/decisions.md, bench webrtc): the compile, on V8's background threads, and the two
 * steps that block this thread, each in a turn of its own: reading emscripten's glue code, and instantiating
 * with emscripten's and embind's start-up.
 */
export const opusLoad = { compileMs: 0, glueMs: 0, instantiateMs: 0 };

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

let loaded: Promise<OpusModule> | null = null;

/** Compiles and instantiates libopus once per thread (see `opusLoad`). */
export function loadOpus(): Promise<OpusModule> {
  loaded ??= (async () => {
    const require = createRequire(import.meta.url);
    const glue = require.resolve("opusscript/build/opusscript_native_wasm.js");
    let at = performance.now();
    const compiled = await Wasm.compile(await readFile(glue.replace(/\.js$/, ".wasm")));
    opusLoad.compileMs = performance.now() - at;
    await nextTurn();
    at = performance.now();
    const factory = require(glue) as (options: object) => OpusModule;
    opusLoad.glueMs = performance.now() - at;
    await nextTurn();
    at = performance.now();
    const m = factory({
      instantiateWasm: (imports: object, receive: (instance: object) => unknown) =>
        receive(new Wasm.Instance(compiled, imports)),
    });
    opusLoad.instantiateMs = performance.now() - at;
    return m;
  })();
  return loaded;
}

/** Whether libopus loads in this thread (loading it if it has not yet). */
export const opusAvailable = (): Promise<boolean> =>
  loadOpus().then(
    () => true,
    () => false,
  );

/** One leg's Opus coder (loads libopus first if this thread has not yet). */
export async function createOpusCodec(pt = 111): Promise<OpusCodec> {
  return new OpusCodec(await loadOpus(), pt);
}

export class OpusCodec implements Codec {
  readonly name = "OPUS" as const;
  readonly clockRateHz = 48000;
  readonly channels = 2 as const;
  readonly maxPayloadBytes = FRAME_MAX_BYTES;
  private handler: Handler | null;
  private readonly pcmIn: number;
  private readonly opusOut: number;
  private readonly opusIn: number;
  private readonly pcmOut: number;
  /** The first byte of the last packet decoded (its frame duration and mode), for concealment; -1: none yet. */
  private lastToc = -1;
  private lastSamples = FRAME;

  constructor(
    private readonly m: OpusModule,
    public pt = 111,
  ) {
    this.handler = new m.OpusScriptHandler(RATE, 1, OPUS_APPLICATION_VOIP);
    this.handler._encoder_ctl(OPUS_SET_BITRATE, BITRATE);
    this.handler._encoder_ctl(OPUS_SET_COMPLEXITY, COMPLEXITY);
    this.handler._encoder_ctl(OPUS_SET_SIGNAL, OPUS_SIGNAL_VOICE);
    // malloc aligns to 8 bytes: the 16-bit views index these by pointer / 2.
    this.pcmIn = m._malloc(DECODE_MAX * 2);
    this.opusOut = m._malloc(ENCODE_OUT);
    this.opusIn = m._malloc(PACKET_MAX);
    this.pcmOut = m._malloc(DECODE_MAX * 4);
  }

  /** One 20 ms frame (160 samples at 8 kHz) in; returns the packet's length, 0 when the frame could not be coded. */
  encode(src: Int16Array, dst: Uint8Array): number {
    const h = this.handler;
    if (!h || src.length > DECODE_MAX) return 0;
    this.m.HEAP16.set(src, this.pcmIn >> 1);
    const len = h._encode(this.pcmIn, 0, this.opusOut, src.length);
    if (len <= 0 || len > dst.length) return 0;
    const heap = this.m.HEAPU8;
    for (let i = 0; i < len; i++) dst[i] = heap[this.opusOut + i];
    return len;
  }

  /** A packet in, 8 kHz PCM out; an empty or undecodable packet is concealed like a lost one. */
  decode(src: Uint8Array, dst: Int16Array): number {
    const h = this.handler;
    if (!h) return 0;
    // A zero-length payload would make libopus conceal 720 ms into a buffer sized for a packet.
    if (src.length === 0 || src.length > PACKET_MAX) return this.conceal(dst);
    const heap = this.m.HEAPU8;
    for (let i = 0; i < src.length; i++) heap[this.opusIn + i] = src[i];
    const n = h._decode(this.opusIn, src.length, this.pcmOut);
    if (n <= 0) return this.conceal(dst);
    this.lastToc = src[0];
    this.lastSamples = Math.min(n, dst.length);
    return this.read(dst, 0, this.lastSamples);
  }

  /**
   * libopus's packet loss concealment for one packet's duration. It is asked for with a packet of only its
   * first byte (RFC 6716 §3.2.1: a frame of length 0), which conceals exactly the frame duration that byte
   * names; opusscript's decode cannot pass libopus a null packet of a chosen length (it would conceal
   * 120 ms). Before any packet arrived there is nothing to continue: silence.
   */
  conceal(dst: Int16Array): number {
    const h = this.handler;
    const want = Math.min(this.lastSamples, dst.length);
    if (!h || this.lastToc < 0) {
      dst.fill(0, 0, want);
      return want;
    }
    let done = 0;
    while (done < want) {
      this.m.HEAPU8[this.opusIn] = this.lastToc & 0xfc; // code 0: one frame
      const n = h._decode(this.opusIn, 1, this.pcmOut);
      if (n <= 0) {
        dst.fill(0, done, want);
        return want;
      }
      done = this.read(dst, done, Math.min(n, want - done));
    }
    return want;
  }

  private read(dst: Int16Array, at: number, n: number): number {
    const words = this.m.HEAPU16;
    const base = this.pcmOut >> 1;
    for (let i = 0; i < n; i++) dst[at + i] = ((words[base + 2 * i + 1] << 24) >> 16) | words[base + 2 * i];
    return at + n;
  }

  /** Frees the coder's WASM memory; encode/decode do nothing afterwards. */
  close(): void {
    const h = this.handler;
    if (!h) return;
    this.handler = null;
    this.m.OpusScriptHandler.destroy_handler(h);
    for (const p of [this.pcmIn, this.opusOut, this.opusIn, this.pcmOut]) this.m._free(p);
  }
}
