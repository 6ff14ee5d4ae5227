import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { migrations } from "./migrations/index.js";

export type Db = Database.Database;

export interface OpenDbOptions {
  dataDir: string;
  /** File name inside the data dir; tests may use ":memory:". */
  fileName?: string;
}

/** Opens (creating if needed) the SQLite file in WAL mode and applies pending migrations. */
export function openDb({ dataDir, fileName = "voicedock.db" }: OpenDbOptions): Db {
  const memory = fileName === ":memory:";
  if (!memory) mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const db = new Database(memory ? ":memory:" : join(dataDir, fileName));
  db.pragma("journal_mode = WAL");
  // NORMAL under WAL keeps every committed transaction across a process crash (SIGKILL);
  // only an OS crash or power loss can drop the last commits. FULL costs an fsync per write.
  db.pragma("synchronous = NORMAL");
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  migrate(db);
  return db;
}

export function migrate(db: Db): void {
  db.exec(
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
  );
  const applied = new Set(db.prepare("SELECT version FROM schema_migrations").pluck().all() as number[]);
  for (const m of migrations) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)").run(
        m.version,
        m.name,
        new Date().toISOString(),
      );
    })();
  }
}
