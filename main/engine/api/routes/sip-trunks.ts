import { Type } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import type { ApiContext } from "../context.js";
import { errorResponses, Nullable, StringEnum, Success, UuidParams } from "../schemas/common.js";
import { badRequest, notFound } from "../errors.js";
import type { TrunkInput } from "../../store/sip-trunks.js";

const HOST = "^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*)$";
const ADDRESS = "^(sips?:)?(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*)(:[0-9]{1,5})?$";

const Registration = Type.Object({
  status: StringEnum(["registered", "registering", "failed", "unregistered"] as const),
  reason: Nullable(Type.String()),
  expires_at: Nullable(Type.String()),
  server: Nullable(Type.String({ description: "ip:port the last REGISTER went to (after DNS SRV/A and failover)" })),
  contact: Nullable(Type.String({ description: "the Contact the registrar holds for us (our routable or NAT-public address)" })),
}, { description: "Local addition: live registration state" });

const CIDR = "^([0-9]{1,3}(\\.[0-9]{1,3}){3}(/([0-9]|[12][0-9]|3[0-2]))?|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(/([0-9]|[1-9][0-9]|1[01][0-9]|12[0-8]))?)$";

const SipTrunk = Type.Object({
  id: Type.String(), org_id: Nullable(Type.String()), name: Type.String(), provider: Nullable(Type.String()),
  host: Type.String(), address: Type.String(), port: Type.Integer(), transport: StringEnum(["udp", "tcp", "tls"] as const),
  username: Nullable(Type.String()), auth_username: Nullable(Type.String()), has_password: Type.Boolean(),
  register: Type.Boolean(), outbound_proxy: Nullable(Type.String()), has_tls_ca: Type.Boolean(),
  keepalive_seconds: Type.Integer(), allowed_sources: Type.Array(Type.String()), stun_server: Nullable(Type.String()),
  inbound_auth: Nullable(Type.Object({ username: Type.String(), has_password: Type.Boolean() })), is_active: Type.Boolean(),
  registration: Registration, created_at: Type.String(), updated_at: Type.String(),
}, { description: "Both documented generations' fields. Passwords are write-only: never returned." });

const fields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  host: Type.Optional(Type.String({ pattern: HOST, maxLength: 253, description: "docs shape: SIP server hostname or IP" })),
  port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
  username: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
  password: Type.Optional(Nullable(Type.String({ maxLength: 500, description: "write-only" }))),
  provider: Type.Optional(Nullable(Type.String({ maxLength: 100, description: "SDK shape: SIP provider name" }))),
  address: Type.Optional(Type.String({ pattern: ADDRESS, maxLength: 260, description: "SDK shape: host[:port]" })),
  outbound_address: Type.Optional(Type.String({ pattern: ADDRESS, maxLength: 260, description: "SDK 1.0 spelling of `address`" })),
  auth_username: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
  auth_password: Type.Optional(Nullable(Type.String({ maxLength: 500, description: "write-only" }))),
  transport: Type.Optional(StringEnum(["udp", "tcp", "tls"] as const, "default udp")),
  register: Type.Optional(Type.Boolean({ description: "Local addition: REGISTER with the credentials (default: when a username is given)" })),
  outbound_proxy: Type.Optional(Nullable(Type.String({ pattern: ADDRESS, maxLength: 260, description: "Local addition: send every request through this proxy" }))),
  tls_ca: Type.Optional(Nullable(Type.String({ maxLength: 20000, description: "Local addition: PEM CA bundle for TLS" }))),
  keepalive_seconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 3600, description: "Local addition: CRLF keep-alive every N s over UDP to hold a NAT mapping (default 25, 0 = off)" })),
  allowed_sources: Type.Optional(Type.Array(Type.String({ pattern: CIDR, maxLength: 50 }), { maxItems: 100,
    description: "Local addition: more addresses or networks (CIDR) this trunk's calls may come from, beside the addresses its host resolves to" })),
  is_active: Type.Optional(Type.Boolean()),
};
const CreateBody = Type.Object(fields, { additionalProperties: true });
const { name, ...optional } = fields;
const UpdateBody = Type.Object({ name: Type.Optional(name), ...optional }, { additionalProperties: true, minProperties: 1 });

/** Accepts the docs shape (host/port/username/password) and the SDK shape (provider/address/auth_*). */
function normalise(body: Record<string, unknown>, requireHost: boolean): TrunkInput {
  const pick = (a: string, b: string) => {
    if (body[a] !== undefined && body[b] !== undefined && body[a] !== body[b]) throw badRequest(`body.${a} and body.${b} differ: send one of them`);
    return body[a] !== undefined ? body[a] : body[b];
  };
  let host = body.host as string | undefined;
  let port = body.port as number | undefined;
  // SDK 1.0 sends `outbound_address` where later editions send `address`.
  const address = pick("address", "outbound_address");
  if (typeof address === "string") {
    const m = /^(?:sips?:)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(address)!;
    if (host !== undefined && host !== m[1]) throw badRequest("body.host and body.address name different servers: send one of them");
    host = m[1];
    if (m[2]) {
      const p = Number(m[2]);
      if (p < 1 || p > 65535) throw badRequest("body.address port must be from 1 to 65535");
      port = port ?? p;
    }
  }
  if (requireHost && !host) throw badRequest("body.host (or body.address) is required: the SIP server's hostname or IP", "missing_field");
  return {
    name: body.name as string | undefined,
    provider: body.provider as string | null | undefined,
    host, port,
    transport: body.transport as TrunkInput["transport"],
    username: pick("auth_username", "username") as string | null | undefined,
    password: pick("auth_password", "password") as string | null | undefined,
    register: body.register as boolean | undefined,
    outbound_proxy: body.outbound_proxy as string | null | undefined,
    tls_ca: body.tls_ca as string | null | undefined,
    keepalive_seconds: body.keepalive_seconds as number | undefined,
    allowed_sources: body.allowed_sources as string[] | undefined,
    stun_server: body.stun_server as string | null | undefined,
    inbound_auth: body.inbound_auth as TrunkInput["inbound_auth"],
    is_active: body.is_active as boolean | undefined,
  };
}

export function sipTrunkRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const tags = ["sip-trunks"];
  // SDK-next reads `trunk`, the docs read `sip_trunk`: single-trunk answers carry both (same object).
  const One = Type.Object({ trunk: SipTrunk, sip_trunk: SipTrunk });

  app.get("/sip-trunks", { schema: { tags, summary: "List SIP trunks with their registration state", response: { 200: Type.Object({ trunks: Type.Array(SipTrunk) }), ...errorResponses } } },
    async () => ({ trunks: ctx.store.sipTrunks.list() }));

  app.post("/sip-trunks", { schema: { tags, summary: "Add a SIP trunk (both documented request shapes accepted)", body: CreateBody, response: { 201: One, ...errorResponses } } },
    async (req, reply) => {
      const trunk = ctx.store.sipTrunks.create(normalise(req.body as Record<string, unknown>, true) as TrunkInput & { name: string; host: string });
      ctx.trunksChanged?.(trunk.id);
      return reply.status(201).send({ trunk, sip_trunk: trunk });
    });

  app.get("/sip-trunks/:id", { schema: { tags, summary: "Get a SIP trunk", params: UuidParams, response: { 200: One, ...errorResponses } } }, async (req) => {
    const { id } = req.params as { id: string };
    const trunk = ctx.store.sipTrunks.get(id);
    if (!trunk) throw notFound("SIP trunk", id);
    return { trunk, sip_trunk: trunk };
  });

  app.patch("/sip-trunks/:id", { schema: { tags, summary: "Local addition: update a SIP trunk (e.g. fix a wrong password)", params: UuidParams, body: UpdateBody, response: { 200: One, ...errorResponses } } },
    async (req) => {
      const { id } = req.params as { id: string };
      if (!ctx.store.sipTrunks.get(id)) throw notFound("SIP trunk", id);
      const trunk = ctx.store.sipTrunks.update(id, normalise(req.body as Record<string, unknown>, false))!;
      ctx.trunksChanged?.(id);
      return { trunk, sip_trunk: trunk };
    });

  app.delete("/sip-trunks/:id", { schema: { tags, summary: "Delete a SIP trunk (numbers using it are detached)", params: UuidParams, response: { 200: Success, ...errorResponses } } },
    async (req) => {
      const { id } = req.params as { id: string };
      if (!ctx.store.sipTrunks.delete(id)) throw notFound("SIP trunk", id);
      ctx.trunksChanged?.(id);
      return { success: true as const };
    });
}
