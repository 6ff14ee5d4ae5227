import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open, stat, type FileHandle } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";

/** A download failure a person can act on; `retryable` says whether trying again the same way may help. */
export class DownloadError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

export interface PartDownload {
  url: string;
  /** Appended to; bytes already in it are kept and asked for no more (HTTP Range). */
  partPath: string;
  /** From the catalogue; bounds a body whose length the server does not declare. */
  expectedBytes: number | null;
  signal: AbortSignal;
  /** Called after every chunk written; the caller throttles. */
  onBytes(receivedBytes: number, totalBytes: number | null): void;
  /** Pauses between attempts after a dropped connection or a 5xx; progress resets the count. */
  retryDelaysMs?: readonly number[];
}

export interface PartResult {
  bytes: number;
  sha256: string;
}

const DEFAULT_RETRY_DELAYS_MS = [500, 2000, 8000];
const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

/**
 * Streams `url` into `partPath`, hashing every byte on its way to disk so the sha256 is ready the moment
 * the last byte lands (no second pass over hundreds of MB). A partial file from an earlier attempt is
 * hashed once and continued with a Range request; a server that ignores Range restarts the file.
 * The part file is flushed to disk before returning so the caller can rename it into place.
 */
export async function downloadToPart(opts: PartDownload): Promise<PartResult> {
  const delays = opts.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  const fh = await open(opts.partPath, "a+");
  try {
    let hash = createHash("sha256");
    let offset = await hashExisting(opts.partPath, hash, opts.signal);
    let failures = 0;
    for (;;) {
      const before = offset;
      try {
        const res = await request(opts.url, offset, opts.signal);
        if (res.status === 416 && offset > 0) {
          // Nothing left to send: the part is already whole, or longer than the file the server now has.
          const total = totalFromContentRange(res.headers.get("content-range"));
          await res.body?.cancel();
          if (total === offset) break;
          ({ hash, offset } = await restart(fh));
          continue;
        }
        if (!res.ok) {
          await res.body?.cancel();
          throw new DownloadError(
            `the server answered ${res.status} ${res.statusText}`.trim() + ` for ${opts.url}`,
            RETRYABLE_STATUS.has(res.status),
          );
        }
        let total: number | null;
        if (res.status === 206) {
          const start = startFromContentRange(res.headers.get("content-range"));
          if (start !== offset) {
            await res.body?.cancel();
            ({ hash, offset } = await restart(fh));
            continue;
          }
          total = totalFromContentRange(res.headers.get("content-range"));
        } else {
          // A 200 is the whole file from byte 0, whatever we asked for.
          if (offset > 0) ({ hash, offset } = await restart(fh));
          const length = Number(res.headers.get("content-length"));
          total = Number.isFinite(length) && res.headers.has("content-length") ? length : null;
        }
        const limit = total ?? opts.expectedBytes;
        opts.onBytes(offset, limit);
        if (!res.body) throw new DownloadError(`the server sent no body for ${opts.url}`, true);
        for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
          if (limit !== null && offset + chunk.byteLength > limit) {
            throw new DownloadError(`the server sent more than the expected ${limit} bytes for ${opts.url}`, false);
          }
          await writeAll(fh, chunk);
          hash.update(chunk);
          offset += chunk.byteLength;
          opts.onBytes(offset, limit);
        }
        if (total !== null && offset < total)
          throw new DownloadError(`the connection closed after ${offset} of ${total} bytes`, true);
        break;
      } catch (err) {
        if (opts.signal.aborted) throw opts.signal.reason;
        const e = asDownloadError(err, opts.url);
        if (offset > before) failures = 0;
        if (!e.retryable || failures >= delays.length) throw e;
        await sleep(delays[failures++], undefined, { signal: opts.signal }).catch(() => {
          throw opts.signal.reason;
        });
      }
    }
    await fh.sync();
    return { bytes: offset, sha256: hash.digest("hex") };
  } finally {
    await fh.close();
  }
}

async function request(url: string, offset: number, signal: AbortSignal): Promise<Response> {
  // identity: a transparently decompressed body would not match Content-Length, Range offsets or the hash.
  const headers: Record<string, string> = { "accept-encoding": "identity" };
  if (offset > 0) headers.range = `bytes=${offset}-`;
  return fetch(url, { headers, signal, redirect: "follow" });
}

async function hashExisting(path: string, hash: Hash, signal: AbortSignal): Promise<number> {
  const size = (await stat(path)).size;
  if (size === 0) return 0;
  for await (const chunk of createReadStream(path, { signal })) hash.update(chunk as Buffer);
  return size;
}

async function restart(fh: FileHandle): Promise<{ hash: Hash; offset: number }> {
  await fh.truncate(0);
  return { hash: createHash("sha256"), offset: 0 };
}

async function writeAll(fh: FileHandle, chunk: Uint8Array): Promise<void> {
  let done = 0;
  while (done < chunk.byteLength) done += (await fh.write(chunk, done, chunk.byteLength - done)).bytesWritten;
}

function startFromContentRange(header: string | null): number | null {
  const m = header?.match(/^bytes (\d+)-\d+\/(?:\d+|\*)$/);
  return m ? Number(m[1]) : null;
}

function totalFromContentRange(header: string | null): number | null {
  const m = header?.match(/\/(\d+)$/);
  return m ? Number(m[1]) : null;
}

function asDownloadError(err: unknown, url: string): DownloadError {
  if (err instanceof DownloadError) return err;
  const e = err as Error & { cause?: { code?: string; message?: string } };
  const code = e.cause?.code;
  if (code === "ENOSPC") return new DownloadError("the disk is full: free some space and download again", false);
  if (code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EAI_AGAIN") {
    return new DownloadError(`could not reach ${new URL(url).host} (${code}): check the internet connection`, true);
  }
  const fsCode = (err as NodeJS.ErrnoException).code;
  if (fsCode === "ENOSPC") return new DownloadError("the disk is full: free some space and download again", false);
  if (fsCode && fsCode.startsWith("E") && !e.cause)
    return new DownloadError(`could not write the model file (${fsCode}): ${e.message}`, false);
  return new DownloadError(`the connection failed (${e.cause?.message ?? e.message})`, true);
}
