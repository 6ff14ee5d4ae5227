import { closeSync, openSync, writeSync } from "node:fs";

/**
 * Streams 16-bit PCM into a WAV file: the header is written with placeholder sizes and patched on close.
 * Samples are gathered in a fixed buffer and written about once a second, not per frame.
 */
export class WavWriter {
  private readonly fd: number;
  private readonly chunk: Buffer;
  private used = 0;
  private dataBytes = 0;
  private closed = false;

  constructor(path: string, private readonly sampleRateHz: number, private readonly channels: number) {
    this.fd = openSync(path, "w", 0o600);
    this.chunk = Buffer.alloc(sampleRateHz * channels * 2);
    writeSync(this.fd, this.header(0));
  }

  /** Interleaved samples (L, R, L, R… for stereo). */
  write(samples: Int16Array): void {
    if (this.closed) return;
    let i = 0;
    while (i < samples.length) {
      const n = Math.min(samples.length - i, (this.chunk.length - this.used) / 2);
      for (let j = 0; j < n; j++) this.chunk.writeInt16LE(samples[i + j], this.used + j * 2);
      this.used += n * 2;
      i += n;
      if (this.used === this.chunk.length) this.flush();
    }
  }

  private flush(): void {
    if (!this.used) return;
    writeSync(this.fd, this.chunk, 0, this.used);
    this.dataBytes += this.used;
    this.used = 0;
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    writeSync(this.fd, this.header(this.dataBytes), 0, 44, 0);
    closeSync(this.fd);
  }

  private header(dataBytes: number): Buffer {
    const h = Buffer.alloc(44);
    h.write("RIFF", 0, "ascii");
    h.writeUInt32LE(36 + dataBytes, 4);
    h.write("WAVE", 8, "ascii");
    h.write("fmt ", 12, "ascii");
    h.writeUInt32LE(16, 16);
    h.writeUInt16LE(1, 20);
    h.writeUInt16LE(this.channels, 22);
    h.writeUInt32LE(this.sampleRateHz, 24);
    h.writeUInt32LE(this.sampleRateHz * this.channels * 2, 28);
    h.writeUInt16LE(this.channels * 2, 32);
    h.writeUInt16LE(16, 34);
    h.write("data", 36, "ascii");
    h.writeUInt32LE(dataBytes, 40);
    return h;
  }
}
