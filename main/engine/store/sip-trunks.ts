import type { Db } from "./db.js";
import type { SecretBox } from "./secret-box.js";
import { nowIso, uuid } from "../util/ids.js";

import type { RegistrationView, SipTrunkView, Transport, TrunkInput } from "../domain/trunk.js";

export type { RegistrationView, Transport, TrunkInput };

/** Settings kept in the row's `extra` JSON (added after the table's first columns). */
interface Extra {
  register?: boolean;
  outbound_proxy?: string | null;
  tls_ca?: string | null;
  keepalive_seconds?: number;
  allowed_sources?: string[];
  stun_server?: string | null;
  max_channels?: number | null;
  /** The password is sealed like the trunk's own. */
  inbound_auth?: { username: string; password_enc: string } | null;
}
const EXTRA_KEYS = [
  "register",
  "outbound_proxy",
  "tls_ca",
  "keepalive_seconds",
  "allowed_sources",
  "stun_server",
  "max_channels",
] as const;
export const DEFAULT_KEEPALIVE_SECONDS = 25;

interface Row {
  id: string;
  name: string;
  provider: string | null;
  host: string;
  port: number;
  transport: Transport;
  auth_username: string | null;
  password_enc: string | null;
  extra: string;
  is_active: number;
  created_at: string;
  updated_at: string;
}

/** The clear-text configuration telephony needs; never leaves the engine. */
export interface TrunkSecretConfig {
  id: string;
  name: string;
  host: string;
  port: number;
  transport: Transport;
  username: string | null;
  password: string | null;
  register: boolean;
  outbound_proxy: string | null;
  tls_ca: string | null;
  keepalive_seconds: number;
  allowed_sources: string[];
  stun_server: string | null;
  inbound_auth: { username: string; password: string } | null;
  is_active: boolean;
}

const NOT_RUNNING: RegistrationView = {
  status: "unregistered",
  reason: "Telephony is not running",
  expires_at: null,
  server: null,
  contact: null,
  code: null,
  last_attempt_at: null,
  next_retry_at: null,
};

export class SipTrunkRepo {
  private registration: (trunkId: string, active: boolean) => RegistrationView | null = () => null;

  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
  ) {}

  /** Telephony tells the API how each trunk's registration stands. */
  setRegistrationSource(fn: (trunkId: string, active: boolean) => RegistrationView | null): void {
    this.registration = fn;
  }

  private view(r: Row): SipTrunkView {
    const extra = JSON.parse(r.extra) as Extra;
    const address = r.port === 5060 ? r.host : `${r.host}:${r.port}`;
    return {
      id: r.id,
      org_id: (this.db.prepare("SELECT id FROM organization LIMIT 1").pluck().get() as string | undefined) ?? null,
      name: r.name,
      provider: r.provider,
      host: r.host,
      address,
      port: r.port,
      transport: r.transport,
      username: r.auth_username,
      auth_username: r.auth_username,
      has_password: r.password_enc !== null,
      register: extra.register ?? Boolean(r.auth_username),
      outbound_proxy: extra.outbound_proxy ?? null,
      has_tls_ca: Boolean(extra.tls_ca),
      keepalive_seconds: extra.keepalive_seconds ?? DEFAULT_KEEPALIVE_SECONDS,
      allowed_sources: extra.allowed_sources ?? [],
      stun_server: extra.stun_server ?? null,
      inbound_auth: extra.inbound_auth ? { username: extra.inbound_auth.username, has_password: true } : null,
      max_channels: extra.max_channels ?? null,
      is_active: r.is_active === 1,
      registration: this.registration(r.id, r.is_active === 1) ?? NOT_RUNNING,
      created_at: r.created_at,
      updated_at: r.updated_at,
    };
  }

  list() {
    return (this.db.prepare("SELECT * FROM sip_trunks ORDER BY created_at, id").all() as Row[]).map((r) =>
      this.view(r),
    );
  }

  get(id: string) {
    const r = this.db.prepare("SELECT * FROM sip_trunks WHERE id = ?").get(id) as Row | undefined;
    return r ? this.view(r) : undefined;
  }

  create(input: TrunkInput & { name: string; host: string }) {
    const id = uuid();
    const now = nowIso();
    const extra: Extra = {
      register: input.register ?? Boolean(input.username),
      outbound_proxy: input.outbound_proxy ?? null,
      tls_ca: input.tls_ca ?? null,
      keepalive_seconds: input.keepalive_seconds ?? DEFAULT_KEEPALIVE_SECONDS,
      allowed_sources: input.allowed_sources ?? [],
      stun_server: input.stun_server ?? null,
      max_channels: input.max_channels ?? null,
      inbound_auth: this.sealAuth(input.inbound_auth),
    };
    this.db
      .prepare(
        `INSERT INTO sip_trunks (id, name, provider, host, port, transport, auth_username, password_enc, extra, is_active, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        input.name,
        input.provider ?? null,
        input.host,
        input.port ?? 5060,
        input.transport ?? "udp",
        input.username ?? null,
        input.password ? this.box.seal(input.password) : null,
        JSON.stringify(extra),
        input.is_active === false ? 0 : 1,
        now,
        now,
      );
    return this.get(id)!;
  }

  update(id: string, patch: TrunkInput) {
    const r = this.db.prepare("SELECT * FROM sip_trunks WHERE id = ?").get(id) as Row | undefined;
    if (!r) return undefined;
    const extra = { ...JSON.parse(r.extra) };
    for (const k of EXTRA_KEYS) if (patch[k] !== undefined) extra[k] = patch[k];
    if (patch.inbound_auth !== undefined) extra.inbound_auth = this.sealAuth(patch.inbound_auth);
    const password =
      patch.password === undefined ? r.password_enc : patch.password === null ? null : this.box.seal(patch.password);
    this.db
      .prepare(
        `UPDATE sip_trunks SET name = ?, provider = ?, host = ?, port = ?, transport = ?, auth_username = ?, password_enc = ?, extra = ?, is_active = ?, updated_at = ? WHERE id = ?`,
      )
      .run(
        patch.name ?? r.name,
        patch.provider === undefined ? r.provider : patch.provider,
        patch.host ?? r.host,
        patch.port ?? r.port,
        patch.transport ?? r.transport,
        patch.username === undefined ? r.auth_username : patch.username,
        password,
        JSON.stringify(extra),
        patch.is_active === undefined ? r.is_active : patch.is_active ? 1 : 0,
        nowIso(),
        id,
      );
    return this.get(id);
  }

  private sealAuth(auth: TrunkInput["inbound_auth"]): Extra["inbound_auth"] {
    return auth ? { username: auth.username, password_enc: this.box.seal(auth.password) } : null;
  }

  delete(id: string): boolean {
    return this.db.prepare("DELETE FROM sip_trunks WHERE id = ?").run(id).changes > 0;
  }

  /** For telephony only: the configuration with the password opened. */
  secretConfig(id: string): TrunkSecretConfig | undefined {
    const r = this.db.prepare("SELECT * FROM sip_trunks WHERE id = ?").get(id) as Row | undefined;
    if (!r) return undefined;
    const extra = JSON.parse(r.extra) as Extra;
    return {
      id: r.id,
      name: r.name,
      host: r.host,
      port: r.port,
      transport: r.transport,
      username: r.auth_username,
      password: r.password_enc ? this.box.open(r.password_enc) : null,
      register: extra.register ?? Boolean(r.auth_username),
      outbound_proxy: extra.outbound_proxy ?? null,
      tls_ca: extra.tls_ca ?? null,
      keepalive_seconds: extra.keepalive_seconds ?? DEFAULT_KEEPALIVE_SECONDS,
      allowed_sources: extra.allowed_sources ?? [],
      stun_server: extra.stun_server ?? null,
      inbound_auth: extra.inbound_auth
        ? { username: extra.inbound_auth.username, password: this.box.open(extra.inbound_auth.password_enc) }
        : null,
      is_active: r.is_active === 1,
    };
  }

  /**
   * The calls a trunk carries now (through the numbers on it, both directions), and how many of them are
   * inbound calls still being set up.
   */
  load(trunkId: string): { calls: number; inboundRinging: number } {
    const r = this.db
      .prepare(
        `SELECT COUNT(*) AS calls, COALESCE(SUM(c.direction = 'inbound' AND c.status = 'connecting'), 0) AS inboundRinging
         FROM calls c JOIN numbers n ON n.id = c.number_id
         WHERE c.status IN ('connecting', 'in-progress') AND n.sip_trunk_id = ?`,
      )
      .get(trunkId) as { calls: number; inboundRinging: number };
    return r;
  }

  activeCount(): number {
    return this.db.prepare("SELECT COUNT(*) FROM sip_trunks WHERE is_active = 1").pluck().get() as number;
  }

  activeIds(): string[] {
    return this.db
      .prepare("SELECT id FROM sip_trunks WHERE is_active = 1 ORDER BY created_at")
      .pluck()
      .all() as string[];
  }
}
