import { Type } from "@sinclair/typebox";
import type { ApiRoutes } from "../context.js";
import { errorResponses, Success, UuidParams } from "../schemas/common.js";
import { badRequest, conflict, notFound } from "../errors.js";
import {
  SipLog,
  SipTrunk,
  TrunkCreate as CreateBody,
  TrunkUpdate as UpdateBody,
  type TrunkCreateBody,
  type TrunkInput,
  type TrunkUpdateBody,
} from "../../domain/trunk.js";
import type { FreeJson } from "../../domain/schema.js";

/**
 * Fields a client may send that the body schema does not list (it allows more): passed on as sent, so
 * they are read from the body as plain JSON.
 */
function unlisted(body: object, key: "stun_server" | "inbound_auth"): unknown {
  return (body as FreeJson)[key];
}

/** Accepts the docs shape (host/port/username/password) and the SDK shape (provider/address/auth_*). */
function normalise(body: TrunkCreateBody | TrunkUpdateBody): TrunkInput {
  const pick = <A extends keyof TrunkUpdateBody, B extends keyof TrunkUpdateBody>(
    a: A,
    b: B,
  ): TrunkUpdateBody[A] | TrunkUpdateBody[B] => {
    if (body[a] !== undefined && body[b] !== undefined && body[a] !== body[b])
      throw badRequest(`body.${a} and body.${b} differ: send one of them`);
    return body[a] !== undefined ? body[a] : body[b];
  };
  let host = body.host;
  let port = body.port;
  // SDK 1.0 sends `outbound_address` where later editions send `address`.
  const address = pick("address", "outbound_address");
  if (typeof address === "string") {
    const m = /^(?:sips?:)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(address)!;
    if (host !== undefined && host !== m[1])
      throw badRequest("body.host and body.address name different servers: send one of them");
    host = m[1];
    if (m[2]) {
      const p = Number(m[2]);
      if (p < 1 || p > 65535) throw badRequest("body.address port must be from 1 to 65535");
      port = port ?? p;
    }
  }
  return {
    name: body.name,
    provider: body.provider,
    host,
    port,
    transport: body.transport,
    username: pick("auth_username", "username"),
    password: pick("auth_password", "password"),
    register: body.register,
    outbound_proxy: body.outbound_proxy,
    tls_ca: body.tls_ca,
    keepalive_seconds: body.keepalive_seconds,
    allowed_sources: body.allowed_sources,
    max_channels: body.max_channels,
    stun_server: unlisted(body, "stun_server") as TrunkInput["stun_server"],
    inbound_auth: unlisted(body, "inbound_auth") as TrunkInput["inbound_auth"],
    is_active: body.is_active,
  };
}

export const sipTrunkRoutes: ApiRoutes = async (app, { ctx }) => {
  const tags = ["sip-trunks"];
  // SDK-next reads `trunk`, the docs read `sip_trunk`: single-trunk answers carry both (same object).
  const One = Type.Object({ trunk: SipTrunk, sip_trunk: SipTrunk });

  app.get(
    "/sip-trunks",
    {
      schema: {
        tags,
        summary: "List SIP trunks with their registration state",
        response: { 200: Type.Object({ trunks: Type.Array(SipTrunk) }), ...errorResponses },
      },
    },
    async () => ({ trunks: ctx.store.sipTrunks.list() }),
  );

  app.post(
    "/sip-trunks",
    {
      schema: {
        tags,
        summary: "Add a SIP trunk (both documented request shapes accepted)",
        body: CreateBody,
        response: { 201: One, ...errorResponses },
      },
    },
    async (req, reply) => {
      const input = normalise(req.body);
      if (!input.host)
        throw badRequest("body.host (or body.address) is required: the SIP server's hostname or IP", "missing_field");
      const trunk = ctx.store.sipTrunks.create({ ...input, name: req.body.name, host: input.host });
      ctx.trunksChanged?.(trunk.id);
      return reply.status(201).send({ trunk, sip_trunk: trunk });
    },
  );

  app.get(
    "/sip-trunks/:id",
    { schema: { tags, summary: "Get a SIP trunk", params: UuidParams, response: { 200: One, ...errorResponses } } },
    async (req) => {
      const { id } = req.params;
      const trunk = ctx.store.sipTrunks.get(id);
      if (!trunk) throw notFound("SIP trunk", id);
      return { trunk, sip_trunk: trunk };
    },
  );

  app.patch(
    "/sip-trunks/:id",
    {
      schema: {
        tags,
        summary: "Local addition: update a SIP trunk (e.g. fix a wrong password)",
        params: UuidParams,
        body: UpdateBody,
        response: { 200: One, ...errorResponses },
      },
    },
    async (req) => {
      const { id } = req.params;
      if (!ctx.store.sipTrunks.get(id)) throw notFound("SIP trunk", id);
      const trunk = ctx.store.sipTrunks.update(id, normalise(req.body))!;
      ctx.trunksChanged?.(id);
      return { trunk, sip_trunk: trunk };
    },
  );

  app.delete(
    "/sip-trunks/:id",
    {
      schema: {
        tags,
        summary: "Delete a SIP trunk (numbers using it are detached)",
        params: UuidParams,
        response: { 200: Success, ...errorResponses },
      },
    },
    async (req) => {
      const { id } = req.params;
      if (!ctx.store.sipTrunks.delete(id)) throw notFound("SIP trunk", id);
      ctx.trunksChanged?.(id);
      return { success: true as const };
    },
  );

  app.get(
    "/sip-trunks/:id/sip-log",
    {
      schema: {
        tags,
        summary: "Local addition: the trunk's last 200 SIP messages, oldest first (credentials redacted)",
        params: UuidParams,
        response: { 200: SipLog, ...errorResponses },
      },
    },
    async (req) => {
      const { id } = req.params;
      if (!ctx.store.sipTrunks.get(id)) throw notFound("SIP trunk", id);
      return { trunk_id: id, messages: ctx.sipLog?.(id) ?? [] };
    },
  );

  app.post(
    "/sip-trunks/:id/register",
    {
      schema: {
        tags,
        summary: "Local addition: send the trunk's REGISTER now instead of waiting for the retry timer",
        params: UuidParams,
        response: { 202: Type.Object({ trunk: SipTrunk }), ...errorResponses },
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      const trunk = ctx.store.sipTrunks.get(id);
      if (!trunk) throw notFound("SIP trunk", id);
      if (!trunk.is_active) throw conflict(`SIP trunk '${trunk.name}' is disabled: enable it (is_active: true) first`);
      if (!trunk.register || !trunk.username)
        throw conflict(`SIP trunk '${trunk.name}' does not register: give it a username and turn registration on`);
      if (!ctx.registerNow?.(id))
        throw conflict(`SIP trunk '${trunk.name}' is not running yet: telephony is off or still starting it`);
      return reply.status(202).send({ trunk: ctx.store.sipTrunks.get(id)! });
    },
  );
};
