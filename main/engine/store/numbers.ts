import type { Db } from "./db.js";
import { nowIso, uuid } from "../util/ids.js";
import type { NumberInput, PhoneNumberView } from "../domain/number.js";

export type { NumberInput, PhoneNumberView };

const SELECT = `SELECT n.*, a.name AS agent_name, json_extract(a.config, '$.business_name') AS business_name,
  t.name AS transfer_trunk_name, s.name AS sip_trunk_name
  FROM numbers n LEFT JOIN assistants a ON a.id = n.assistant_id
  LEFT JOIN sip_trunks t ON t.id = n.transfer_trunk_id LEFT JOIN sip_trunks s ON s.id = n.sip_trunk_id`;

/** A number joined with the names of its assistant and trunks (SELECT above). */
interface Row {
  id: string;
  phone_number: string;
  name: string | null;
  assistant_id: string | null;
  agent_name: string | null;
  business_name: string | null;
  transfer_trunk_id: string | null;
  transfer_trunk_name: string | null;
  sip_trunk_id: string | null;
  sip_trunk_name: string | null;
  workflow_id: string | null;
  source: string;
  is_active: number;
  created_at: string;
  updated_at: string;
}

/** A number's row as outbound routing reads it (`is_active` as SQLite stores it, 0 or 1). */
export interface OutboundNumber {
  id: string;
  phone_number: string;
  name: string | null;
  is_active: number;
  sip_trunk_id: string | null;
}

/** Phone numbers: both id spellings (`assistant_id`, `agent_id`) in responses, as gaps.md B10 suggests. */
export class NumberRepo {
  constructor(private readonly db: Db) {}

  private view(r: Row): PhoneNumberView {
    return {
      id: r.id,
      phone_number: r.phone_number,
      name: r.name ?? null,
      assistant_id: r.assistant_id ?? null,
      agent_id: r.assistant_id ?? null,
      agent_name: r.agent_name ?? null,
      business_name: r.business_name ?? null,
      transfer_trunk_id: r.transfer_trunk_id ?? null,
      transfer_trunk_name: r.transfer_trunk_name ?? null,
      sip_trunk_id: r.sip_trunk_id ?? null,
      sip_trunk_name: r.sip_trunk_name ?? null,
      workflow_id: r.workflow_id ?? null,
      workflow_name: null,
      source: r.source,
      is_active: r.is_active === 1,
      created_at: r.created_at,
      updated_at: r.updated_at,
    };
  }

  list() {
    return (this.db.prepare(`${SELECT} ORDER BY n.created_at, n.id`).all() as Row[]).map((r) => this.view(r));
  }

  get(id: string) {
    const r = this.db.prepare(`${SELECT} WHERE n.id = ?`).get(id) as Row | undefined;
    return r ? this.view(r) : undefined;
  }

  byPhoneNumber(phone: string) {
    const r = this.db.prepare(`${SELECT} WHERE n.phone_number = ?`).get(phone) as Row | undefined;
    return r ? this.view(r) : undefined;
  }

  create(input: NumberInput & { phone_number: string }) {
    const id = uuid();
    const now = nowIso();
    this.db
      .prepare(
        `INSERT INTO numbers (id, phone_number, name, assistant_id, transfer_trunk_id, sip_trunk_id, workflow_id, is_active, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        input.phone_number,
        input.name ?? null,
        input.assistant_id ?? null,
        input.transfer_trunk_id ?? null,
        input.sip_trunk_id ?? null,
        input.workflow_id ?? null,
        input.is_active === false ? 0 : 1,
        now,
        now,
      );
    return this.get(id)!;
  }

  update(id: string, patch: NumberInput) {
    const sets: string[] = [];
    const values: unknown[] = [];
    for (const key of [
      "phone_number",
      "name",
      "assistant_id",
      "transfer_trunk_id",
      "sip_trunk_id",
      "workflow_id",
    ] as const) {
      if (patch[key] !== undefined) {
        sets.push(`${key} = ?`);
        values.push(patch[key]);
      }
    }
    if (patch.is_active !== undefined) {
      sets.push("is_active = ?");
      values.push(patch.is_active ? 1 : 0);
    }
    sets.push("updated_at = ?");
    values.push(nowIso(), id);
    this.db.prepare(`UPDATE numbers SET ${sets.join(", ")} WHERE id = ?`).run(...values);
    return this.get(id);
  }

  /**
   * The number an outbound call goes out from: the one asked for, else the first active one. Light (no
   * joins): it runs for every call a campaign places.
   */
  forOutbound(id?: string): OutboundNumber | undefined {
    return id
      ? (this.db.prepare("SELECT id, phone_number, name, is_active, sip_trunk_id FROM numbers WHERE id = ?").get(id) as
          OutboundNumber | undefined)
      : (this.db
          .prepare(
            "SELECT id, phone_number, name, is_active, sip_trunk_id FROM numbers WHERE is_active = 1 ORDER BY created_at LIMIT 1",
          )
          .get() as OutboundNumber | undefined);
  }

  activeCount(): number {
    return this.db.prepare("SELECT COUNT(*) FROM numbers WHERE is_active = 1").pluck().get() as number;
  }

  /** Every registered number, for the destination policy (calling one of our own is allowed). */
  phoneNumbers(): string[] {
    return this.db.prepare("SELECT phone_number FROM numbers").pluck().all() as string[];
  }

  delete(id: string): boolean {
    return this.db.prepare("DELETE FROM numbers WHERE id = ?").run(id).changes > 0;
  }
}
