import Database from "better-sqlite3";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Who holds a data directory: written beside the lock so a second start can say where the first one is. */
export interface LockHolder {
  pid: number;
  url: string | null;
  started_at: string;
}

export class DataDirBusyError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder | null,
  ) {
    super(
      holder
        ? `VoiceDock is already running on ${dataDir} (pid ${holder.pid}, ${holder.url ? `console at ${holder.url}/` : "still starting"}): ` +
            "use that one, stop it first, or pass another --data-dir"
        : `VoiceDock is already running on ${dataDir} (another process holds its lock): use that one, stop it first, or pass another --data-dir`,
    );
    this.name = "DataDirBusyError";
  }
}

export interface DataDirLock {
  /** Records the console URL once the API listens, for the message a second start prints. */
  setUrl(url: string): void;
  release(): void;
}

/**
 * One engine per data directory. The lock is an exclusive SQLite transaction on `engine.lock`, which is an
 * OS file lock (fcntl on Unix, LockFileEx on Windows): the kernel drops it when the process dies, even by
 * SIGKILL, so there is no stale lock file to clean up and no pid guesswork. Taken before the database opens.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const infoPath = join(dataDir, "engine.json");
  // timeout 0: a held lock must fail at once, not after SQLite's busy wait.
  const db = new Database(join(dataDir, "engine.lock"), { timeout: 0 });
  try {
    db.pragma("journal_mode = MEMORY");
    db.exec("BEGIN EXCLUSIVE");
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code !== "SQLITE_BUSY" && (err as { code?: string }).code !== "SQLITE_LOCKED")
      throw err;
    throw new DataDirBusyError(dataDir, readHolder(infoPath));
  }
  const holder: LockHolder = { pid: process.pid, url: null, started_at: new Date().toISOString() };
  const write = () => writeFileSync(infoPath, JSON.stringify(holder) + "\n", { mode: 0o600 });
  write();
  let held = true;
  return {
    setUrl(url) {
      holder.url = url;
      if (held) write();
    },
    release() {
      if (!held) return;
      held = false;
      rmSync(infoPath, { force: true });
      db.close();
    },
  };
}

function readHolder(path: string): LockHolder | null {
  try {
    const h = JSON.parse(readFileSync(path, "utf8")) as LockHolder;
    return typeof h.pid === "number" ? h : null;
  } catch {
    return null; // the holder is between taking the lock and writing the file
  }
}
