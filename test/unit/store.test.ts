import { describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { SecretBox } from "../../main/engine/store/secret-box.js";
import { openDb } from "../../main/engine/store/db.js";
import { Store } from "../../main/engine/store/index.js";

describe("SecretBox", () => {
  it("round-trips, uses a fresh IV each time, and rejects tampering and the wrong key", () => {
    const box = new SecretBox(randomBytes(32));
    const a = box.seal("hunter2");
    const b = box.seal("hunter2");
    expect(a).not.toBe(b);
    expect(box.open(a)).toBe("hunter2");
    const parts = a.split(":");
    const tampered = [
      ...parts.slice(0, 3),
      Buffer.from("x" + Buffer.from(parts[3], "base64").toString()).toString("base64"),
    ].join(":");
    expect(() => box.open(tampered)).toThrow();
    expect(() => new SecretBox(randomBytes(32)).open(a)).toThrow();
  });

  it("keeps its key in a 0600 file in the data dir and reuses it", () => {
    const dir = mkdtempSync(join(tmpdir(), "vd-box-"));
    try {
      const sealed = SecretBox.fromDataDir(dir).seal("x");
      expect(statSync(join(dir, "secret.key")).mode & 0o777).toBe(0o600);
      expect(SecretBox.fromDataDir(dir).open(sealed)).toBe("x");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("database", () => {
  it("opens in WAL mode with foreign keys, and migrations are applied once", () => {
    const dir = mkdtempSync(join(tmpdir(), "vd-db-"));
    try {
      const db = openDb({ dataDir: dir });
      expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
      expect(db.pragma("foreign_keys", { simple: true })).toBe(1);
      const versions = db.prepare("SELECT version FROM schema_migrations").pluck().all();
      db.close();
      const again = openDb({ dataDir: dir });
      expect(again.prepare("SELECT version FROM schema_migrations").pluck().all()).toEqual(versions);
      again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the write that ends a call commits with synchronous=FULL, then the connection goes back to NORMAL (issue #13 §13)", () => {
    const dir = mkdtempSync(join(tmpdir(), "vd-durable-"));
    const store = new Store({ dataDir: dir });
    try {
      const levels: number[] = [];
      store.durableTx(() => {
        levels.push(store.db.pragma("synchronous", { simple: true }) as number);
        store.settings.set("k", 1);
      });
      expect(levels).toEqual([2]); // FULL while the end of a call commits
      expect(store.db.pragma("synchronous", { simple: true })).toBe(1); // NORMAL for everything else
      expect(store.settings.get("k", 0)).toBe(1);
      // Nested in a transaction it joins it instead of failing ("Safety level may not be changed inside a transaction").
      store.tx(() => store.durableTx(() => store.settings.set("k", 2)));
      expect(store.settings.get("k", 0)).toBe(2);
      // A failed write leaves nothing half-done and the level restored.
      expect(() =>
        store.durableTx(() => {
          store.settings.set("k", 3);
          throw new Error("disk full");
        }),
      ).toThrow("disk full");
      expect(store.settings.get("k", 0)).toBe(2);
      expect(store.db.pragma("synchronous", { simple: true })).toBe(1);
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the call list uses its indexes for status + date filters", () => {
    const dir = mkdtempSync(join(tmpdir(), "vd-plan-"));
    const store = new Store({ dataDir: dir });
    try {
      const plan = store.db
        .prepare(
          "EXPLAIN QUERY PLAN SELECT * FROM calls WHERE status = ? AND created_at >= ? AND created_at <= ? ORDER BY created_at DESC, id DESC LIMIT 100",
        )
        .all("ended", "2026-01-01", "2026-02-01") as { detail: string }[];
      const text = plan.map((p) => p.detail).join("\n");
      expect(text).toMatch(/USING INDEX calls_status_created/);
      expect(text).not.toMatch(/TEMP B-TREE/);
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("API keys", () => {
  it("are stored as hashes; revoked keys are told apart from unknown ones", () => {
    const dir = mkdtempSync(join(tmpdir(), "vd-keys-"));
    const store = new Store({ dataDir: dir });
    try {
      const { key, row } = store.keys.create("test");
      expect(key).toMatch(/^vd_live_[0-9A-Za-z]{32}$/);
      const stored = store.db.prepare("SELECT hash FROM api_keys WHERE id = ?").pluck().get(row.id) as string;
      expect(stored).toMatch(/^[0-9a-f]{64}$/);
      expect(stored).not.toContain(key);
      expect(store.keys.check(key)).toMatchObject({ ok: true });
      expect(store.keys.check("vd_live_x")).toEqual({ ok: false, reason: "invalid" });
      expect(store.keys.revoke(row.prefix)).toBe(true);
      expect(store.keys.check(key)).toEqual({ ok: false, reason: "revoked" });
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("call counts", () => {
  it("pagination totals from the per-day counts equal a plain COUNT for any filter, through inserts, status changes and deletes", () => {
    const dir = mkdtempSync(join(tmpdir(), "vd-counts-"));
    const store = new Store({ dataDir: dir });
    try {
      const base = Date.parse("2026-01-01T00:00:00Z");
      const statuses = ["connecting", "in-progress", "ended", "failed"] as const;
      let seed = 42;
      const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
      for (let i = 0; i < 2000; i++) {
        store.calls.create({
          id: `call-inbound-c${i}`,
          status: statuses[i % 4],
          direction: "inbound",
          created_at: new Date(base + Math.floor(rand() * 60 * 86_400_000)).toISOString(),
        });
      }
      for (let i = 0; i < 300; i++) store.calls.update(`call-inbound-c${i * 5}`, { status: "ended" });
      store.db.prepare("DELETE FROM calls WHERE id LIKE 'call-inbound-c1%'").run();
      for (let i = 0; i < 200; i++) {
        const a = base + Math.floor(rand() * 62 * 86_400_000) - 86_400_000;
        const b = a + Math.floor(rand() * 30 * 86_400_000);
        const status = rand() < 0.5 ? undefined : statuses[Math.floor(rand() * 4)];
        const start = rand() < 0.2 ? undefined : new Date(a).toISOString();
        const end = rand() < 0.2 ? undefined : new Date(b).toISOString();
        const where = [
          status ? "status = @status" : null,
          start ? "created_at >= @start" : null,
          end ? "created_at <= @end" : null,
        ].filter(Boolean);
        const expected = store.db
          .prepare(`SELECT COUNT(*) FROM calls ${where.length ? `WHERE ${where.join(" AND ")}` : ""}`)
          .pluck()
          .get({ status, start, end });
        expect(
          store.calls.list({ status, start_date: start, end_date: end, limit: 1, offset: 0 }).total,
          JSON.stringify({ status, start, end }),
        ).toBe(expected);
      }
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
