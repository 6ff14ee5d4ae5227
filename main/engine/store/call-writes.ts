import { EventEmitter } from "node:events";
import type { Db } from "./db.js";

/** The database could not write (disk full, I/O error): what was asked is kept and tried again. */
export function isStorageFailure(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && (code === "SQLITE_FULL" || code.startsWith("SQLITE_IOERR"));
}

/**
 * How long a call's transcript line or event may wait in memory. A process crash loses at most this much
 * of a live call's log (an OS crash could already lose the last NORMAL commits); batching a turn's lines
 * and events into one commit is what takes them off the caller's stack and the clock's way.
 */
export const FLUSH_DELAY_MS = 50;
/** A burst this large is written on the next turn of the loop instead of waiting for the timer. */
export const MAX_PENDING = 256;
/** How often writes the disk refused are tried again. */
export const RETRY_MS = 2000;

type Pending = { callId: string; write: () => void };

/**
 * Write-behind queue for a call's hot-path writes (transcript lines, events, metrics merges): each
 * write is a closure over the values of the moment it was asked for, run later with the others in one
 * transaction, in the order they were asked. See docs/decisions.md "Call writes" for who flushes when.
 */
export class CallWriteQueue extends EventEmitter<{
  /** The disk refused a batch: these calls' writes wait in memory (retried every RETRY_MS). */
  refused: [callIds: string[], err: unknown];
  /** A refused batch landed: these calls' records are complete again. */
  landed: [callIds: string[]];
  /** A write failed for a reason retrying cannot fix (its call row is gone): it is dropped. */
  dropped: [callId: string, err: unknown];
}> {
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | null = null;
  private soon: NodeJS.Immediate | null = null;
  private refusedIds = new Set<string>();

  constructor(private readonly db: Db) {
    super();
  }

  get size(): number {
    return this.pending.length;
  }

  push(callId: string, write: () => void): void {
    this.pending.push({ callId, write });
    if (this.refusedIds.size) return; // the retry timer is already set
    if (this.pending.length >= MAX_PENDING)
      this.soon ??= setImmediate(() => {
        this.soon = null;
        this.settle();
      });
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.settle();
    }, FLUSH_DELAY_MS).unref();
  }

  /**
   * Writes everything queued now, in one transaction; throws what the database threw when the disk
   * refused (the writes stay queued). Inside an open transaction it writes nothing: whoever opened it
   * flushed first (Store.tx), and a rollback of someone else's transaction must not take queued lines with it.
   */
  flush(): void {
    if (!this.pending.length || this.db.inTransaction) return;
    const batch = this.pending;
    this.pending = [];
    try {
      this.db.transaction(() => {
        for (const p of batch) p.write();
      })();
    } catch (err) {
      if (isStorageFailure(err)) {
        this.pending = batch.concat(this.pending);
        this.refuse(batch, err);
        throw err;
      }
      this.oneByOne(batch);
    }
    this.clearTimers();
    if (this.refusedIds.size) {
      const ids = [...this.refusedIds];
      this.refusedIds.clear();
      this.emit("landed", ids);
    }
  }

  /** flush() for readers: a refused batch stays queued (and reported) and the reader sees what is on disk. */
  settle(): void {
    try {
      this.flush();
    } catch (err) {
      if (!isStorageFailure(err)) throw err;
    }
  }

  private refuse(batch: Pending[], err: unknown): void {
    const fresh = [...new Set(batch.map((p) => p.callId))].filter((id) => !this.refusedIds.has(id));
    for (const id of fresh) this.refusedIds.add(id);
    this.clearTimers();
    this.timer = setTimeout(() => {
      this.timer = null;
      this.settle();
    }, RETRY_MS).unref();
    if (fresh.length) this.emit("refused", fresh, err);
  }

  /** A batch failed for another reason: each write alone, so one bad write costs only itself. */
  private oneByOne(batch: Pending[]): void {
    for (let i = 0; i < batch.length; i++) {
      try {
        batch[i].write();
      } catch (err) {
        if (!isStorageFailure(err)) {
          this.emit("dropped", batch[i].callId, err);
          continue;
        }
        const rest = batch.slice(i);
        this.pending = rest.concat(this.pending);
        this.refuse(rest, err);
        throw err;
      }
    }
  }

  private clearTimers(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.soon) clearImmediate(this.soon);
    this.timer = null;
    this.soon = null;
  }
}
