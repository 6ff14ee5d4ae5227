import type { Db } from "./db.js";
import type { SecretBox } from "./secret-box.js";
import { nowIso, randomBase62 } from "../util/ids.js";

/** Provider ids of the spec (api-v1 §11) and our local additions. */
export const BYOK_PROVIDERS = [
  "deepgram",
  "openai",
  "elevenlabs",
  "xai",
  "resend",
  "gladia",
  "mistral",
  "inworld",
  "google",
  "google_vertex",
  "groq",
  "cartesia",
  "openai_compatible",
] as const;
export type ByokProvider = (typeof BYOK_PROVIDERS)[number];

/** Provider keys, sealed at rest; only an opaque secret id ever leaves through the API. */
export class ByokRepo {
  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
  ) {}

  /** `{ <provider>_secret_id: string | null }` for every provider. */
  summary(): Record<string, string | null> {
    const rows = this.db.prepare("SELECT provider, secret_id FROM byok_keys").all() as {
      provider: string;
      secret_id: string;
    }[];
    const byProvider = new Map(rows.map((r) => [r.provider, r.secret_id]));
    return Object.fromEntries(BYOK_PROVIDERS.map((p) => [`${p}_secret_id`, byProvider.get(p) ?? null]));
  }

  /**
   * Saves a key together with the one base_url it may be sent to besides the provider's official host
   * (providers/key-route.ts); a key saved without one goes only to the official host.
   */
  set(provider: ByokProvider, apiKey: string, baseUrl: string | null = null): void {
    const now = nowIso();
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO byok_keys (provider, secret_id, api_key_enc, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT(provider) DO UPDATE SET secret_id = excluded.secret_id, api_key_enc = excluded.api_key_enc, updated_at = excluded.updated_at`,
        )
        .run(provider, `local-${randomBase62(12)}`, this.box.seal(apiKey), now, now);
      const { base_url: _old, ...rest } = this.config(provider);
      this.db
        .prepare("UPDATE byok_keys SET config = ? WHERE provider = ?")
        .run(JSON.stringify(baseUrl ? { ...rest, base_url: baseUrl } : rest), provider);
    })();
  }

  config(provider: string): Record<string, unknown> {
    const text = this.db.prepare("SELECT config FROM byok_keys WHERE provider = ?").pluck().get(provider) as
      string | undefined;
    return text ? JSON.parse(text) : {};
  }

  delete(provider: string): boolean {
    return this.db.prepare("DELETE FROM byok_keys WHERE provider = ?").run(provider).changes > 0;
  }

  has(provider: string): boolean {
    return this.db.prepare("SELECT 1 FROM byok_keys WHERE provider = ?").get(provider) !== undefined;
  }

  /** The clear key, for the provider's own client only. */
  apiKey(provider: string): string | null {
    const enc = this.db.prepare("SELECT api_key_enc FROM byok_keys WHERE provider = ?").pluck().get(provider) as
      string | undefined;
    return enc ? this.box.open(enc) : null;
  }

  configs(): Record<string, Record<string, unknown>> {
    const rows = this.db.prepare("SELECT provider, config FROM byok_keys").all() as {
      provider: string;
      config: string;
    }[];
    return Object.fromEntries(rows.map((r) => [r.provider, JSON.parse(r.config)]));
  }

  mergeConfig(provider: string, config: Record<string, unknown>): void {
    const current = JSON.parse(
      (this.db.prepare("SELECT config FROM byok_keys WHERE provider = ?").pluck().get(provider) as string) ?? "{}",
    );
    this.db
      .prepare("UPDATE byok_keys SET config = ?, updated_at = ? WHERE provider = ?")
      .run(JSON.stringify({ ...current, ...config }), nowIso(), provider);
  }
}
