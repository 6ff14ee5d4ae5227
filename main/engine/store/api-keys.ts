import { createHash } from "node:crypto";
import type { Db } from "./db.js";
import { nowIso, randomBase62, uuid } from "../util/ids.js";

export interface ApiKeyRow {
  id: string;
  name: string;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export type KeyCheck = { ok: true; key: ApiKeyRow } | { ok: false; reason: "invalid" | "revoked" };

export class RevokedKeyError extends Error {
  constructor(readonly key: ApiKeyRow) {
    super(`the API key ${key.prefix}… (${key.name}) was revoked at ${key.revoked_at}`);
    this.name = "RevokedKeyError";
  }
}

const hashKey = (key: string): string => createHash("sha256").update(key, "utf8").digest("hex");

/** API keys are stored as sha256 hashes: they are 131-bit random strings, so a slow KDF adds nothing. */
export class ApiKeyRepo {
  private readonly byHash;
  private readonly touch;

  constructor(private readonly db: Db) {
    this.byHash = db.prepare<[string], ApiKeyRow>(
      "SELECT id, name, prefix, created_at, last_used_at, revoked_at FROM api_keys WHERE hash = ?",
    );
    this.touch = db.prepare("UPDATE api_keys SET last_used_at = ? WHERE id = ?");
  }

  /** Creates a key and returns it in clear text: the only time anyone sees it. */
  create(name: string, plainKey = `vd_live_${randomBase62(32)}`): { key: string; row: ApiKeyRow } {
    const row: ApiKeyRow = {
      id: uuid(),
      name,
      prefix: plainKey.slice(0, 12),
      created_at: nowIso(),
      last_used_at: null,
      revoked_at: null,
    };
    this.db
      .prepare("INSERT INTO api_keys (id, name, prefix, hash, created_at) VALUES (?, ?, ?, ?, ?)")
      .run(row.id, row.name, row.prefix, hashKey(plainKey), row.created_at);
    return { key: plainKey, row };
  }

  /**
   * Makes sure a key given by the environment (VOICEDOCK_API_KEY) is accepted, without storing it in clear.
   * A revoked key stays revoked: a stale environment variable must not undo a revocation.
   */
  ensure(name: string, plainKey: string): ApiKeyRow {
    const existing = this.byHash.get(hashKey(plainKey));
    if (existing?.revoked_at) throw new RevokedKeyError(existing);
    return existing ?? this.create(name, plainKey).row;
  }

  check(plainKey: string): KeyCheck {
    const row = this.byHash.get(hashKey(plainKey));
    if (!row) return { ok: false, reason: "invalid" };
    if (row.revoked_at) return { ok: false, reason: "revoked" };
    // last_used_at at minute precision: avoids a write on every request.
    const now = nowIso();
    // Bookkeeping only: a full disk must not lock everyone out of the API.
    if (!row.last_used_at || row.last_used_at.slice(0, 16) !== now.slice(0, 16)) {
      try {
        this.touch.run(now, row.id);
      } catch {
        /* retried on a later request */
      }
    }
    return { ok: true, key: row };
  }

  list(): ApiKeyRow[] {
    return this.db
      .prepare<[], ApiKeyRow>(
        "SELECT id, name, prefix, created_at, last_used_at, revoked_at FROM api_keys ORDER BY created_at",
      )
      .all();
  }

  count(): number {
    return this.db.prepare("SELECT COUNT(*) FROM api_keys WHERE revoked_at IS NULL").pluck().get() as number;
  }

  /** Revokes by id or by prefix; returns false when nothing matched. */
  revoke(idOrPrefix: string): boolean {
    const r = this.db
      .prepare("UPDATE api_keys SET revoked_at = ? WHERE (id = ? OR prefix = ?) AND revoked_at IS NULL")
      .run(nowIso(), idOrPrefix, idOrPrefix);
    return r.changes > 0;
  }
}
