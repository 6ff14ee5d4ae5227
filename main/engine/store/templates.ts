import type { Db } from "./db.js";
import type { SecretBox } from "./secret-box.js";
import { sealCredentials } from "./credentials.js";
import { nowIso, uuid } from "../util/ids.js";

/** Analysis and tool templates: a name plus a JSON document of the remaining fields. */
export class TemplateRepo {
  /** With a box, credentials in the data (a tool's `server.secret`, auth headers) are sealed at rest. */
  constructor(private readonly db: Db, private readonly table: "analysis_templates" | "tool_templates", private readonly box?: SecretBox) {}

  private seal(data: Record<string, unknown>, previous?: Record<string, unknown>): Record<string, unknown> {
    return this.box ? sealCredentials(data, this.box, previous) : data;
  }

  private view(r: { id: string; name: string; data: string; created_at: string; updated_at: string }) {
    const org = this.db.prepare("SELECT id FROM organization LIMIT 1").pluck().get() as string | undefined;
    return { id: r.id, org_id: org ?? null, name: r.name, ...JSON.parse(r.data), created_at: r.created_at, updated_at: r.updated_at } as Record<string, unknown> & { id: string; name: string };
  }

  list() { return (this.db.prepare(`SELECT * FROM ${this.table} ORDER BY created_at, id`).all() as never[]).map((r) => this.view(r)); }

  get(id: string) {
    const r = this.db.prepare(`SELECT * FROM ${this.table} WHERE id = ?`).get(id);
    return r ? this.view(r as never) : undefined;
  }

  create(name: string, data: Record<string, unknown>) {
    const id = uuid();
    const now = nowIso();
    this.db.prepare(`INSERT INTO ${this.table} (id, name, data, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`).run(id, name, JSON.stringify(this.seal(data)), now, now);
    return this.get(id)!;
  }

  /** Each top-level field sent replaces the stored one. */
  update(id: string, name: string | undefined, patch: Record<string, unknown>) {
    const r = this.db.prepare(`SELECT * FROM ${this.table} WHERE id = ?`).get(id) as { name: string; data: string } | undefined;
    if (!r) return undefined;
    const stored = JSON.parse(r.data) as Record<string, unknown>;
    const data = this.seal({ ...stored, ...patch }, stored);
    this.db.prepare(`UPDATE ${this.table} SET name = ?, data = ?, updated_at = ? WHERE id = ?`).run(name ?? r.name, JSON.stringify(data), nowIso(), id);
    return this.get(id);
  }

  delete(id: string): boolean { return this.db.prepare(`DELETE FROM ${this.table} WHERE id = ?`).run(id).changes > 0; }
}
