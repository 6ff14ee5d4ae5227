import type { Db } from "./db.js";
import type { SecretBox } from "./secret-box.js";
import { nowIso, uuid } from "../util/ids.js";

import { SECRET_MASK, sealCredentials } from "./credentials.js";
import { withSpeechDefaults } from "../domain/speech-defaults.js";
import type { AssistantInput, AssistantRecord } from "../domain/assistant.js";

export { SECRET_MASK };

export type { AssistantInput, AssistantRecord };

interface Row {
  id: string;
  name: string;
  is_active: number;
  config: string;
  webhook_secret_enc: string | null;
  created_at: string;
  updated_at: string;
}

/** Defaults for a new assistant: local engines first, so a fresh install works offline (docs/decisions.md). */
export const ASSISTANT_DEFAULTS = {
  business_name: null,
  notification_email: null,
  notification_emails: null,
  recording_consent: null,
  first_message: null,
  max_duration_seconds: null,
  autonomous_silence_handling: false,
  silence_timeout_seconds: 8,
  voicemail_detection: false,
  voicemail_message: null,
  gdpr_mode: false,
  recording_enabled: false,
  webhook_url: null,
  webhook_events: null,
  analysis_plan: null,
  llm_config: { provider: "openai", model: "gpt-4o-mini", temperature: 0.7, messages: [] },
  speech_config: null,
} as const;

const COLUMN_FIELDS = new Set(["id", "name", "is_active", "webhook_secret", "created_at", "updated_at"]);

export class AssistantRepo {
  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
  ) {}

  private toRecord(row: Row): AssistantRecord {
    // Speech defaults depend on the LLM (none for a realtime model): filled by the shared rule.
    return {
      id: row.id,
      name: row.name,
      ...withSpeechDefaults({ ...ASSISTANT_DEFAULTS, ...JSON.parse(row.config) }),
      is_active: row.is_active === 1,
      webhook_secret: row.webhook_secret_enc ? SECRET_MASK : null,
      created_at: row.created_at,
      updated_at: row.updated_at,
    };
  }

  private splitConfig(input: AssistantInput): Record<string, unknown> {
    const config: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(input)) if (!COLUMN_FIELDS.has(k) && v !== undefined) config[k] = v;
    return config;
  }

  create(input: AssistantInput & { name: string }): AssistantRecord {
    const now = nowIso();
    const id = uuid();
    const secret =
      typeof input.webhook_secret === "string" && input.webhook_secret !== SECRET_MASK
        ? this.box.seal(input.webhook_secret)
        : null;
    this.db
      .prepare(
        "INSERT INTO assistants (id, name, is_active, config, webhook_secret_enc, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      )
      .run(
        id,
        input.name,
        input.is_active === false ? 0 : 1,
        JSON.stringify(sealCredentials(this.splitConfig(input), this.box)),
        secret,
        now,
        now,
      );
    return this.get(id)!;
  }

  /**
   * Credentials inside the config stay sealed here (`vd-sealed:…`): this is the storage view, copied into
   * calls as it is; the API masks them (api/plugins/mask-secrets.ts) and the call opens one when it uses it.
   */
  get(id: string): AssistantRecord | undefined {
    const row = this.db.prepare<[string], Row>("SELECT * FROM assistants WHERE id = ?").get(id);
    return row ? this.toRecord(row) : undefined;
  }

  list(): AssistantRecord[] {
    return this.db
      .prepare<[], Row>("SELECT * FROM assistants ORDER BY created_at, id")
      .all()
      .map((r) => this.toRecord(r));
  }

  /** PATCH: each top-level field present replaces the stored one whole (the spec's shallow-merge rule). */
  update(id: string, patch: AssistantInput): AssistantRecord | undefined {
    const row = this.db.prepare<[string], Row>("SELECT * FROM assistants WHERE id = ?").get(id);
    if (!row) return undefined;
    const stored = JSON.parse(row.config) as Record<string, unknown>;
    // Credentials in the new fields are sealed; a mask sent back keeps the stored value at that place.
    const config = sealCredentials({ ...stored, ...this.splitConfig(patch) }, this.box, stored);
    for (const [k, v] of Object.entries(config)) if (v === undefined) delete config[k];
    let secret = row.webhook_secret_enc;
    if (patch.webhook_secret === null) secret = null;
    else if (typeof patch.webhook_secret === "string" && patch.webhook_secret !== SECRET_MASK)
      secret = this.box.seal(patch.webhook_secret);
    this.db
      .prepare(
        "UPDATE assistants SET name = ?, is_active = ?, config = ?, webhook_secret_enc = ?, updated_at = ? WHERE id = ?",
      )
      .run(
        patch.name ?? row.name,
        patch.is_active === undefined ? row.is_active : patch.is_active ? 1 : 0,
        JSON.stringify(config),
        secret,
        nowIso(),
        id,
      );
    return this.get(id);
  }

  delete(id: string): boolean {
    return this.db.prepare("DELETE FROM assistants WHERE id = ?").run(id).changes > 0;
  }

  /** The clear-text webhook secret, for signing only; never leaves the engine. */
  webhookSecret(id: string): string | null {
    const enc = this.db.prepare("SELECT webhook_secret_enc FROM assistants WHERE id = ?").pluck().get(id) as
      string | null | undefined;
    return enc ? this.box.open(enc) : null;
  }

  /** Seals credentials that rows written before sealing existed still hold in clear. */
  sealLegacy(): void {
    for (const row of this.db.prepare<[], Row>("SELECT * FROM assistants").all()) {
      const sealed = JSON.stringify(sealCredentials(JSON.parse(row.config), this.box));
      if (sealed !== row.config) this.db.prepare("UPDATE assistants SET config = ? WHERE id = ?").run(sealed, row.id);
    }
  }

  countActive(): number {
    return this.db.prepare("SELECT COUNT(*) FROM assistants WHERE is_active = 1").pluck().get() as number;
  }
}
