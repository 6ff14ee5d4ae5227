import type { Db } from "./db.js";
import type { SecretBox } from "./secret-box.js";
import { sealCredentials } from "./credentials.js";
import { nowIso, uuid } from "../util/ids.js";

/** The columns every template has; the rest is the template's JSON document (`D`). */
export interface TemplateHead {
  id: string;
  org_id: string | null;
  name: string;
  created_at: string;
  updated_at: string;
}
export type TemplateView<D> = TemplateHead & D;

/** Analysis and tool templates: a name plus a JSON document of the remaining fields. */
export class TemplateRepo<D extends object> {
  /** With a box, credentials in the data (a tool's `server.secret`, auth headers) are sealed at rest. */
  constructor(
    private readonly db: Db,
    private readonly table: "analysis_templates" | "tool_templates",
    private readonly box?: SecretBox,
  ) {}

  private seal(data: Partial<D>, previous?: Partial<D>): Partial<D> {
    return this.box ? sealCredentials(data, this.box, previous) : data;
  }

  private view(r: { id: string; name: string; data: string; created_at: string; updated_at: string }): TemplateView<D> {
    const org = this.db.prepare("SELECT id FROM organization LIMIT 1").pluck().get() as string | undefined;
    // The document was written by create/update from a validated body, so it has D's shape.
    const data = JSON.parse(r.data) as D;
    return { id: r.id, org_id: org ?? null, name: r.name, ...data, created_at: r.created_at, updated_at: r.updated_at };
  }

  list() {
    return (this.db.prepare(`SELECT * FROM ${this.table} ORDER BY created_at, id`).all() as never[]).map((r) =>
      this.view(r),
    );
  }

  get(id: string) {
    const r = this.db.prepare(`SELECT * FROM ${this.table} WHERE id = ?`).get(id);
    return r ? this.view(r as never) : undefined;
  }

  create(name: string, data: D) {
    const id = uuid();
    const now = nowIso();
    this.db
      .prepare(`INSERT INTO ${this.table} (id, name, data, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`)
      .run(id, name, JSON.stringify(this.seal(data)), now, now);
    return this.get(id)!;
  }

  /** Each top-level field sent replaces the stored one. */
  update(id: string, name: string | undefined, patch: Partial<D>) {
    const r = this.db.prepare(`SELECT * FROM ${this.table} WHERE id = ?`).get(id) as
      { name: string; data: string } | undefined;
    if (!r) return undefined;
    const stored = JSON.parse(r.data) as D;
    const data = this.seal({ ...stored, ...patch }, stored);
    this.db
      .prepare(`UPDATE ${this.table} SET name = ?, data = ?, updated_at = ? WHERE id = ?`)
      .run(name ?? r.name, JSON.stringify(data), nowIso(), id);
    return this.get(id);
  }

  delete(id: string): boolean {
    return this.db.prepare(`DELETE FROM ${this.table} WHERE id = ?`).run(id).changes > 0;
  }
}
