import { Type, type Static } from "@sinclair/typebox";
import { Nullable, StringEnum } from "./schema.js";

// A SIP trunk, written once: the API's request and response schemas and the store's types.

export const TRANSPORTS = ["udp", "tcp", "tls"] as const;
export type Transport = (typeof TRANSPORTS)[number];

const HOST =
  "^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*)$";
const ADDRESS =
  "^(sips?:)?(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*)(:[0-9]{1,5})?$";

export const Registration = Type.Object(
  {
    status: StringEnum(["registered", "registering", "failed", "unregistered"] as const),
    reason: Nullable(Type.String()),
    expires_at: Nullable(Type.String()),
    server: Nullable(Type.String({ description: "ip:port the last REGISTER went to (after DNS SRV/A and failover)" })),
    contact: Nullable(
      Type.String({ description: "the Contact the registrar holds for us (our routable or NAT-public address)" }),
    ),
    code: Nullable(
      Type.Integer({ description: "the registrar's last final SIP status code; null before one, or on no answer" }),
    ),
    last_attempt_at: Nullable(Type.String({ description: "when the last REGISTER attempt started" })),
    next_retry_at: Nullable(Type.String({ description: "when the next attempt after a failure is due" })),
  },
  { description: "Local addition: live registration state" },
);

export const SipLogEntry = Type.Object({
  at: Type.String(),
  direction: StringEnum(["in", "out"] as const),
  remote: Type.String({ description: "host:port the message came from or went to" }),
  first_line: Type.String(),
  text: Type.String({ description: "the whole message; digest responses and SDES keys replaced by …" }),
});

export const SipLog = Type.Object(
  { trunk_id: Type.String(), messages: Type.Array(SipLogEntry) },
  { description: "Local addition: the trunk's last 200 SIP messages (registration and calls), oldest first" },
);

const CIDR =
  "^([0-9]{1,3}(\\.[0-9]{1,3}){3}(/([0-9]|[12][0-9]|3[0-2]))?|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(/([0-9]|[1-9][0-9]|1[01][0-9]|12[0-8]))?)$";

export const SipTrunk = Type.Object(
  {
    id: Type.String(),
    org_id: Nullable(Type.String()),
    name: Type.String(),
    provider: Nullable(Type.String()),
    host: Type.String(),
    address: Type.String(),
    port: Type.Integer(),
    transport: StringEnum(TRANSPORTS),
    username: Nullable(Type.String()),
    auth_username: Nullable(Type.String()),
    has_password: Type.Boolean(),
    register: Type.Boolean(),
    outbound_proxy: Nullable(Type.String()),
    has_tls_ca: Type.Boolean(),
    keepalive_seconds: Type.Integer(),
    allowed_sources: Type.Array(Type.String()),
    stun_server: Nullable(Type.String()),
    inbound_auth: Nullable(Type.Object({ username: Type.String(), has_password: Type.Boolean() })),
    max_channels: Nullable(Type.Integer()),
    is_active: Type.Boolean(),
    registration: Registration,
    created_at: Type.String(),
    updated_at: Type.String(),
  },
  { description: "Both documented generations' fields. Passwords are write-only: never returned." },
);

const trunkFields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  host: Type.Optional(
    Type.String({ pattern: HOST, maxLength: 253, description: "docs shape: SIP server hostname or IP" }),
  ),
  port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
  username: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
  password: Type.Optional(Nullable(Type.String({ maxLength: 500, description: "write-only" }))),
  provider: Type.Optional(Nullable(Type.String({ maxLength: 100, description: "SDK shape: SIP provider name" }))),
  address: Type.Optional(Type.String({ pattern: ADDRESS, maxLength: 260, description: "SDK shape: host[:port]" })),
  outbound_address: Type.Optional(
    Type.String({ pattern: ADDRESS, maxLength: 260, description: "SDK 1.0 spelling of `address`" }),
  ),
  auth_username: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
  auth_password: Type.Optional(Nullable(Type.String({ maxLength: 500, description: "write-only" }))),
  transport: Type.Optional(StringEnum(TRANSPORTS, "default udp")),
  register: Type.Optional(
    Type.Boolean({ description: "Local addition: REGISTER with the credentials (default: when a username is given)" }),
  ),
  outbound_proxy: Type.Optional(
    Nullable(
      Type.String({
        pattern: ADDRESS,
        maxLength: 260,
        description: "Local addition: send every request through this proxy",
      }),
    ),
  ),
  tls_ca: Type.Optional(
    Nullable(Type.String({ maxLength: 20000, description: "Local addition: PEM CA bundle for TLS" })),
  ),
  keepalive_seconds: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: 3600,
      description: "Local addition: CRLF keep-alive every N s over UDP to hold a NAT mapping (default 25, 0 = off)",
    }),
  ),
  allowed_sources: Type.Optional(
    Type.Array(Type.String({ pattern: CIDR, maxLength: 50 }), {
      maxItems: 100,
      description:
        "Local addition: more addresses or networks (CIDR) this trunk's calls may come from, beside the addresses its host resolves to",
    }),
  ),
  max_channels: Type.Optional(
    Nullable(
      Type.Integer({
        minimum: 1,
        maximum: 1000,
        description:
          "Local addition: calls the trunk carries at once (the carrier's channel limit); campaigns keep one channel free for inbound calls. null = no limit",
      }),
    ),
  ),
  is_active: Type.Optional(Type.Boolean()),
};
export const TrunkCreate = Type.Object(trunkFields, { additionalProperties: true });
const { name, ...optional } = trunkFields;
export const TrunkUpdate = Type.Object(
  { name: Type.Optional(name), ...optional },
  { additionalProperties: true, minProperties: 1 },
);

export type RegistrationView = Static<typeof Registration>;
export type SipLogEntryView = Static<typeof SipLogEntry>;
export type SipLogView = Static<typeof SipLog>;
export type SipTrunkView = Static<typeof SipTrunk>;
export type TrunkCreateBody = Static<typeof TrunkCreate>;
export type TrunkUpdateBody = Static<typeof TrunkUpdate>;

/** What the store writes: either request shape (docs or SDK) folded into one. */
export interface TrunkInput {
  name?: string;
  provider?: string | null;
  host?: string;
  port?: number;
  transport?: Transport;
  username?: string | null;
  password?: string | null;
  register?: boolean;
  outbound_proxy?: string | null;
  tls_ca?: string | null;
  keepalive_seconds?: number;
  allowed_sources?: string[];
  stun_server?: string | null;
  max_channels?: number | null;
  /** Digest credentials the trunk must present on INVITEs; null removes them. */
  inbound_auth?: { username: string; password: string } | null;
  is_active?: boolean;
}
