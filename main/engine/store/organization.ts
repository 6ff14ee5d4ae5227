import type { Db } from "./db.js";
import { nowIso, uuid } from "../util/ids.js";

export interface OrganizationRow {
  id: string;
  name: string;
  created_at: string;
  updated_at: string;
}

/** The single local organization: created on first start, named after the machine's user if nothing better. */
export class OrganizationRepo {
  constructor(private readonly db: Db) {}

  get(): OrganizationRow {
    const row = this.db.prepare<[], OrganizationRow>("SELECT * FROM organization LIMIT 1").get();
    if (row) return row;
    const now = nowIso();
    const created: OrganizationRow = { id: uuid(), name: "Local organization", created_at: now, updated_at: now };
    this.db
      .prepare(
        "INSERT INTO organization (id, name, created_at, updated_at) VALUES (@id, @name, @created_at, @updated_at)",
      )
      .run(created);
    return created;
  }
}

export class SettingsRepo {
  constructor(private readonly db: Db) {}

  get<T>(key: string, fallback: T): T {
    const v = this.db.prepare("SELECT value FROM settings WHERE key = ?").pluck().get(key) as string | undefined;
    return v === undefined ? fallback : (JSON.parse(v) as T);
  }

  set(key: string, value: unknown): void {
    this.db
      .prepare("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
      .run(key, JSON.stringify(value));
  }
}
