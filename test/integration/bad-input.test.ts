import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEngine, type TestEngine } from "../helpers/engine.js";

/**
 * Malformed requests, table-driven. Each must get its documented 4xx with a flat `{ error, message }`
 * whose message names the problem; none may get a 5xx; the server must keep serving.
 */
interface Case {
  name: string;
  method?: string;
  path: string;
  json?: unknown;
  raw?: string | Buffer;
  contentType?: string;
  auth?: boolean | string;
  status: number;
  message: RegExp;
}

let t: TestEngine;
let assistantId: string;
let revokedKey: string;
const LLM = { provider: "openai", model: "gpt-4o-mini" };
const STT = { provider: "deepgram", model: "nova-3-general", language: "en" };
const TTS = { provider: "elevenlabs", voice_id: "21m00Tcm4TlvDq8ikWAM" };
const UNKNOWN_UUID = "00000000-0000-4000-8000-000000000000";

beforeAll(async () => {
  t = await startTestEngine();
  assistantId = ((await (await t.api("/api/v1/assistants", { method: "POST", json: { name: "A" } })).json()) as any)
    .assistant.id;
  revokedKey = t.store.keys.create("to revoke").key;
  t.store.keys.revoke(t.store.keys.list().find((k) => k.name === "to revoke")!.id);
  t.store.calls.create({ id: "call-inbound-ended1", status: "ended", direction: "inbound" });
});
afterAll(async () => {
  await t.stop();
});

const outbound = (body: unknown, status: number, message: RegExp, name: string): Case => ({
  name: `outbound: ${name}`,
  method: "POST",
  path: "/api/v1/calls/outbound",
  json: body,
  status,
  message,
});
// Each control case gets its own call id: control commands are limited to 10 per minute per call.
let controlSeq = 0;
const control = (
  body: unknown,
  status: number,
  message: RegExp,
  name: string,
  id = `call-inbound-v${++controlSeq}`,
): Case => ({
  name: `control: ${name}`,
  method: "POST",
  path: `/api/v1/calls/${id}/control`,
  json: body,
  status,
  message,
});
const list = (query: string, message: RegExp): Case => ({
  name: `GET /calls?${query}`,
  path: `/api/v1/calls?${query}`,
  status: 400,
  message,
});

function cases(): Case[] {
  const A = assistantId;
  return [
    // Authentication
    { name: "no key", path: "/api/v1/calls", auth: false, status: 401, message: /API key/ },
    { name: "wrong key", path: "/api/v1/calls", auth: "vd_live_nope", status: 401, message: /Invalid API key/ },
    { name: "revoked key", path: "/api/v1/calls", auth: "REVOKED", status: 401, message: /revoked/ },
    { name: "not a Bearer header", path: "/api/v1/assistants", auth: "BASIC", status: 401, message: /Bearer/ },
    {
      name: "no key on outbound",
      method: "POST",
      path: "/api/v1/calls/outbound",
      json: { destination: "+31612345678", assistant_id: A },
      auth: false,
      status: 401,
      message: /API key/,
    },
    { name: "no key on events", path: "/api/v1/events", auth: false, status: 401, message: /API key/ },
    // GET /calls query
    list("limit=0", /limit must be >= 1/),
    list("limit=1001", /limit must be <= 1000/),
    list("limit=-1", /limit must be >= 1/),
    list("limit=abc", /limit must be integer/),
    list("limit=1.5", /limit must be integer/),
    list("offset=-5", /offset must be >= 0/),
    list("offset=x", /offset must be integer/),
    list("status=done", /status must be equal to one of the allowed values/),
    list("status=ENDED", /status/),
    list("status=", /status/),
    list("start_date=yesterday", /start_date must be an ISO 8601/),
    list("end_date=2026-13-01", /end_date/),
    list("start_date=2026-02-30", /not a real date/),
    list("start_date=2026-05-02&end_date=2026-05-01", /start_date must not be after end_date/),
    list("start_date=2026-05-01T10:00:00Z&end_date=2026-05-01T09:00:00Z", /start_date must not be after end_date/),
    list("end_date=1714550400", /end_date must be an ISO 8601/),
    list("unknown_param=1", /unknown field 'unknown_param'/),
    // GET /calls/{id}
    {
      name: "unknown call id",
      path: "/api/v1/calls/call-inbound-doesnotexist",
      status: 404,
      message: /Call 'call-inbound-doesnotexist' does not exist/,
    },
    {
      name: "path traversal in call id",
      path: "/api/v1/calls/..%2F..%2Fetc%2Fpasswd",
      status: 400,
      message: /params.id must match pattern/,
    },
    { name: "traversal with dots only", path: "/api/v1/calls/..%2F", status: 400, message: /params.id/ },
    { name: "call id with spaces", path: "/api/v1/calls/a%20b", status: 400, message: /params.id/ },
    { name: "call id with null byte", path: "/api/v1/calls/a%00b", status: 400, message: /params.id/ },
    {
      name: "overlong call id",
      path: `/api/v1/calls/${"x".repeat(300)}`,
      status: 400,
      message: /params.id must NOT have more than 128/,
    },
    // Outbound
    outbound({ assistant_id: A }, 400, /destination is required/, "missing destination"),
    outbound(
      { destination: "0612345678", assistant_id: A },
      400,
      /destination must match pattern/,
      "national number, not E.164",
    ),
    outbound({ destination: "+0612345678", assistant_id: A }, 400, /destination/, "E.164 starting with 0"),
    outbound({ destination: "+31 6 1234 5678", assistant_id: A }, 400, /destination/, "E.164 with spaces"),
    outbound({ destination: "+3161234567890123", assistant_id: A }, 400, /destination/, "E.164 too long"),
    outbound({ destination: "sip:nohost", assistant_id: A }, 400, /destination/, "SIP URI without host"),
    outbound({ destination: "http://example.com", assistant_id: A }, 400, /destination/, "URL as destination"),
    outbound(
      { destination: 31612345678, assistant_id: A },
      400,
      /destination must be string/,
      "number type destination",
    ),
    outbound({ destination: null, assistant_id: A }, 400, /destination must be string/, "null destination"),
    outbound({ destination: "+31612345678" }, 400, /assistant_id or body.assistant is required/, "no assistant at all"),
    outbound(
      {
        destination: "+31612345678",
        assistant_id: A,
        assistant: { llm_config: LLM, stt_config: STT, tts_config: TTS },
      },
      400,
      /either body.assistant_id .* or body.assistant/,
      "both assistant and assistant_id",
    ),
    outbound(
      {
        destination: "+31612345678",
        assistant: { llm_config: LLM, stt_config: STT, tts_config: TTS },
        assistant_override: { first_message: "x" },
      },
      400,
      /assistant_override applies to a saved assistant/,
      "transient plus override",
    ),
    outbound(
      { destination: "+31612345678", assistant_id: A, agent_id: A },
      400,
      /deprecated alias body.agent_id/,
      "assistant_id and agent_id",
    ),
    outbound(
      {
        destination: "+31612345678",
        assistant: { llm_config: LLM, stt_config: STT, tts_config: TTS },
        agent: { llm_config: LLM },
      },
      400,
      /body.agent were both sent/,
      "assistant and agent",
    ),
    outbound(
      { destination: "+31612345678", assistant_id: "not-a-uuid" },
      400,
      /assistant_id must match format "uuid"/,
      "malformed assistant_id",
    ),
    outbound(
      { destination: "+31612345678", assistant_id: UNKNOWN_UUID },
      404,
      /Assistant '00000000/,
      "unknown assistant",
    ),
    outbound(
      { destination: "+31612345678", assistant_id: A, number_id: UNKNOWN_UUID },
      404,
      /Number '00000000/,
      "unknown number",
    ),
    outbound(
      { destination: "+31612345678", assistant_id: A, number_id: "12" },
      400,
      /number_id must match format "uuid"/,
      "malformed number_id",
    ),
    outbound(
      { destination: "+31612345678", assistant: { first_message: "hi" } },
      400,
      /llm_config is required/,
      "transient without llm_config",
    ),
    // Left out, stt/tts get the same defaults as a saved assistant (issue #13 §4); an explicit null is refused alike.
    outbound(
      { destination: "+31612345678", assistant: { llm_config: LLM, stt_config: null } },
      400,
      /body\.assistant\.stt_config is required when llm_config\.provider is 'openai'/,
      "transient text LLM with stt_config null",
    ),
    outbound(
      { destination: "+31612345678", assistant: { llm_config: LLM, stt_config: STT, tts_config: null } },
      400,
      /body\.assistant\.tts_config is required/,
      "transient with tts_config null",
    ),
    outbound(
      {
        destination: "+31612345678",
        assistant: { llm_config: { provider: "openai" }, stt_config: STT, tts_config: TTS },
      },
      400,
      /llm_config.model is required/,
      "llm_config without model",
    ),
    outbound(
      {
        destination: "+31612345678",
        assistant: { llm_config: { provider: "skynet", model: "x" }, stt_config: STT, tts_config: TTS },
      },
      400,
      /provider must be equal to one of the allowed values: openai/,
      "unknown llm provider",
    ),
    outbound(
      {
        destination: "+31612345678",
        assistant: { llm_config: { ...LLM, temperature: 3 }, stt_config: STT, tts_config: TTS },
      },
      400,
      /temperature must be <= 2/,
      "temperature out of range",
    ),
    outbound(
      {
        destination: "+31612345678",
        assistant: { llm_config: { ...LLM, temperature: "hot" }, stt_config: STT, tts_config: TTS },
      },
      400,
      /temperature must be number/,
      "temperature as string",
    ),
    outbound(
      {
        destination: "+31612345678",
        assistant: { llm_config: { provider: "xai_realtime", model: "grok-realtime-v1" }, stt_config: STT },
      },
      400,
      /body\.assistant\.llm_config\.provider 'xai_realtime' is not supported in this version/,
      "realtime (not in this version)",
    ),
    outbound(
      { destination: "+31612345678", assistant_id: A, assistant_override: { tts_config: { provider: "elevenlabs" } } },
      400,
      /voice_id is required/,
      "override tts without voice",
    ),
    outbound(
      { destination: "+31612345678", assistant_id: A, assistant_override: { max_duration_seconds: -1 } },
      400,
      /max_duration_seconds must be >= 10/,
      "negative max duration",
    ),
    outbound(
      { destination: "+31612345678", assistant_id: A, assistant_override: { webhook_url: "ftp://x.example" } },
      400,
      /webhook_url/,
      "non-http webhook url",
    ),
    outbound(
      { destination: "+31612345678", assistant_id: A, assistant_override: { webhook_events: ["everything"] } },
      400,
      /webhook_events.0 must be equal to one of the allowed values/,
      "unknown webhook event",
    ),
    outbound(
      { destination: "+31612345678", assistant_id: A, first_message: 5 },
      400,
      /first_message must be string/,
      "first_message as number",
    ),
    outbound([], 400, /body must be object/, "array body"),
    outbound("just a string", 400, /body must be object/, "string body"),
    // Malformed bodies
    {
      name: "invalid JSON",
      method: "POST",
      path: "/api/v1/assistants",
      raw: '{"name": ',
      contentType: "application/json",
      status: 400,
      message: /not valid JSON/,
    },
    {
      name: "trailing comma JSON",
      method: "POST",
      path: "/api/v1/assistants",
      raw: '{"name": "x",}',
      contentType: "application/json",
      status: 400,
      message: /not valid JSON/,
    },
    {
      name: "empty JSON body",
      method: "POST",
      path: "/api/v1/assistants",
      raw: "",
      contentType: "application/json",
      status: 400,
      message: /JSON|body/,
    },
    {
      name: "wrong content type (text)",
      method: "POST",
      path: "/api/v1/assistants",
      raw: "name=x",
      contentType: "text/plain",
      status: 415,
      message: /Content-Type/,
    },
    {
      name: "wrong content type (form)",
      method: "POST",
      path: "/api/v1/calls/outbound",
      raw: "destination=%2B31612345678",
      contentType: "application/x-www-form-urlencoded",
      status: 415,
      message: /Content-Type/,
    },
    {
      name: "2 MB body",
      method: "POST",
      path: "/api/v1/assistants",
      raw: JSON.stringify({ name: "x", first_message: "a".repeat(2 * 1024 * 1024) }),
      contentType: "application/json",
      status: 413,
      message: /1 MB/,
    },
    {
      name: "2 MB body on outbound",
      method: "POST",
      path: "/api/v1/calls/outbound",
      raw: JSON.stringify({ destination: "+31612345678", pad: "b".repeat(2 * 1024 * 1024) }),
      contentType: "application/json",
      status: 413,
      message: /1 MB/,
    },
    // Assistants
    {
      name: "assistant without name",
      method: "POST",
      path: "/api/v1/assistants",
      json: { first_message: "x" },
      status: 400,
      message: /name is required/,
    },
    {
      name: "assistant with empty name",
      method: "POST",
      path: "/api/v1/assistants",
      json: { name: "" },
      status: 400,
      message: /name must NOT have fewer than 1/,
    },
    {
      name: "assistant name as number",
      method: "POST",
      path: "/api/v1/assistants",
      json: { name: 42 },
      status: 400,
      message: /name must be string/,
    },
    {
      name: "assistant is_active as string",
      method: "POST",
      path: "/api/v1/assistants",
      json: { name: "x", is_active: "yes" },
      status: 400,
      message: /is_active must be boolean/,
    },
    {
      name: "assistant bad email",
      method: "POST",
      path: "/api/v1/assistants",
      json: { name: "x", notification_email: "nobody" },
      status: 400,
      message: /notification_email must match format "email"/,
    },
    {
      name: "assistant 6 notification emails",
      method: "POST",
      path: "/api/v1/assistants",
      json: { name: "x", notification_emails: ["a@b.co", "b@b.co", "c@b.co", "d@b.co", "e@b.co", "f@b.co"] },
      status: 400,
      message: /notification_emails must NOT have more than 5/,
    },
    {
      name: "assistant stt unknown provider",
      method: "POST",
      path: "/api/v1/assistants",
      json: { name: "x", stt_config: { provider: "ears" } },
      status: 400,
      message: /stt_config.provider must be equal to one of the allowed values/,
    },
    {
      name: "assistant silence attempts 11",
      method: "POST",
      path: "/api/v1/assistants",
      json: { name: "x", speech_config: { silence: { max_attempts: 11 } } },
      status: 400,
      message: /max_attempts must be <= 10/,
    },
    {
      name: "assistant endpointing too small",
      method: "POST",
      path: "/api/v1/assistants",
      json: { name: "x", speech_config: { turn_taking: { endpointing_min_delay: 0.01 } } },
      status: 400,
      message: /endpointing_min_delay must be >= 0.1/,
    },
    {
      name: "assistant messages bad role",
      method: "POST",
      path: "/api/v1/assistants",
      json: { name: "x", llm_config: { ...LLM, messages: [{ role: "god", content: "x" }] } },
      status: 400,
      message: /role must be equal to one of the allowed values/,
    },
    {
      name: "assistant tools not an array",
      method: "POST",
      path: "/api/v1/assistants",
      json: { name: "x", llm_config: { ...LLM, tools: {} } },
      status: 400,
      message: /tools must be array/,
    },
    {
      name: "assistant get malformed id",
      path: "/api/v1/assistants/123",
      status: 400,
      message: /params.id must match format "uuid"/,
    },
    {
      name: "assistant get unknown id",
      path: `/api/v1/assistants/${UNKNOWN_UUID}`,
      status: 404,
      message: /Assistant '00000000/,
    },
    { name: "agents alias unknown id", path: `/api/v1/agents/${UNKNOWN_UUID}`, status: 404, message: /Assistant/ },
    {
      name: "assistant patch unknown id",
      method: "PATCH",
      path: `/api/v1/assistants/${UNKNOWN_UUID}`,
      json: { name: "y" },
      status: 404,
      message: /Assistant/,
    },
    {
      name: "assistant patch empty body",
      method: "PATCH",
      path: `/api/v1/assistants/${assistantId}`,
      json: {},
      status: 400,
      message: /must NOT have fewer than 1 properties/,
    },
    {
      name: "assistant patch name null",
      method: "PATCH",
      path: `/api/v1/assistants/${assistantId}`,
      json: { name: null },
      status: 400,
      message: /name must be string/,
    },
    {
      name: "assistant delete unknown",
      method: "DELETE",
      path: `/api/v1/assistants/${UNKNOWN_UUID}`,
      status: 404,
      message: /Assistant/,
    },
    {
      name: "assistant traversal id",
      path: "/api/v1/assistants/..%2F..%2Fsecret.key",
      status: 400,
      message: /params.id/,
    },
    // Control
    control(
      { type: "explode" },
      400,
      /type must be equal to one of the allowed values: inject-context, say, end-call, transfer/,
      "unknown type",
    ),
    control({}, 400, /type is required/, "missing type"),
    control({ type: "say", end_after: false }, 400, /content is required for type 'say'/, "say without content"),
    control({ type: "say", content: "hi" }, 400, /end_after is required/, "say without end_after"),
    control(
      { type: "say", content: "", end_after: true },
      400,
      /content must NOT have fewer than 1/,
      "say with empty content",
    ),
    control(
      { type: "inject-context", trigger_response: true },
      400,
      /content is required for type 'inject-context'/,
      "inject without content",
    ),
    control(
      { type: "inject-context", content: "x", trigger_response: "yes" },
      400,
      /trigger_response must be boolean/,
      "inject with string trigger",
    ),
    control({ type: "transfer" }, 400, /destination is required for type 'transfer'/, "transfer without destination"),
    control(
      { type: "transfer", destination: "12345" },
      400,
      /destination must match pattern/,
      "transfer to a non E.164",
    ),
    control({ type: "end-call", message: 5 }, 400, /message must be string/, "end-call with numeric message"),
    control(
      { type: "end-call" },
      400,
      /is ended: control commands need a call that is in-progress/,
      "call not in progress",
      "call-inbound-ended1",
    ),
    control(
      { type: "end-call" },
      404,
      /Call 'call-inbound-ghost' does not exist/,
      "unknown call",
      "call-inbound-ghost",
    ),
    control({ type: "end-call" }, 400, /params.id/, "traversal in control id", "..%2F..%2Fx"),
    // Other resources
    {
      name: "number not E.164",
      method: "POST",
      path: "/api/v1/numbers",
      json: { phone_number: "0850835037" },
      status: 400,
      message: /phone_number/,
    },
    {
      name: "number missing",
      method: "POST",
      path: "/api/v1/numbers",
      json: { name: "Main" },
      status: 400,
      message: /phone_number|number/,
    },
    {
      name: "number unknown assistant",
      method: "POST",
      path: "/api/v1/numbers",
      json: { phone_number: "+31850835037", assistant_id: UNKNOWN_UUID },
      status: 404,
      message: /00000000/,
    },
    { name: "number get unknown", path: `/api/v1/numbers/${UNKNOWN_UUID}`, status: 404, message: /00000000/ },
    { name: "number get malformed id", path: "/api/v1/numbers/abc", status: 400, message: /params.id/ },
    {
      name: "trunk without host",
      method: "POST",
      path: "/api/v1/sip-trunks",
      json: { name: "T" },
      status: 400,
      message: /host|address/,
    },
    {
      name: "trunk bad port",
      method: "POST",
      path: "/api/v1/sip-trunks",
      json: { name: "T", host: "sip.example.com", port: 70000 },
      status: 400,
      message: /port/,
    },
    {
      name: "trunk bad transport",
      method: "POST",
      path: "/api/v1/sip-trunks",
      json: { name: "T", provider: "x", address: "sip.example.com", transport: "carrier-pigeon" },
      status: 400,
      message: /transport/,
    },
    { name: "trunk get unknown", path: `/api/v1/sip-trunks/${UNKNOWN_UUID}`, status: 404, message: /00000000/ },
    {
      name: "byok unknown provider",
      method: "POST",
      path: "/api/v1/byok",
      json: { provider: "acme", api_key: "k" },
      status: 400,
      message: /provider/,
    },
    {
      name: "byok missing key",
      method: "POST",
      path: "/api/v1/byok",
      json: { provider: "openai" },
      status: 400,
      message: /api_key/,
    },
    {
      name: "byok delete not configured",
      method: "DELETE",
      path: "/api/v1/byok",
      json: { provider: "deepgram" },
      status: 404,
      message: /deepgram/,
    },
    {
      name: "tool template bad type",
      method: "POST",
      path: "/api/v1/tool-templates",
      json: { name: "t", tool_type: "rocket", tool_config: {} },
      status: 400,
      message: /tool_type/,
    },
    {
      name: "tool template missing config",
      method: "POST",
      path: "/api/v1/tool-templates",
      json: { name: "t", tool_type: "function" },
      status: 400,
      message: /tool_config/,
    },
    {
      name: "analysis template missing name",
      method: "POST",
      path: "/api/v1/analysis-templates",
      json: { schema: {} },
      status: 400,
      message: /name/,
    },
    {
      name: "analysis template unknown",
      path: `/api/v1/analysis-templates/${UNKNOWN_UUID}`,
      status: 404,
      message: /00000000/,
    },
    { name: "usage limit too big", path: "/api/v1/usage?limit=5000", status: 400, message: /limit must be <= 1000/ },
    {
      name: "usage reversed dates",
      path: "/api/v1/usage?start_date=2026-05-02&end_date=2026-05-01",
      status: 400,
      message: /start_date/,
    },
    // Routing
    {
      name: "unknown endpoint",
      path: "/api/v1/nothing-here",
      status: 404,
      message: /No endpoint GET \/api\/v1\/nothing-here/,
    },
    { name: "wrong method", method: "PUT", path: "/api/v1/calls", json: {}, status: 404, message: /No endpoint PUT/ },
  ];
}

describe("malformed requests", () => {
  it("each gets its documented 4xx with a message naming the problem; none a 5xx; the server keeps serving", async () => {
    const all = cases();
    expect(all.length).toBeGreaterThanOrEqual(100);
    const failures: string[] = [];
    for (const c of all) {
      const headers: Record<string, string> = {};
      let body: string | Buffer | undefined;
      if (c.json !== undefined) {
        headers["content-type"] = "application/json";
        body = JSON.stringify(c.json);
      }
      if (c.raw !== undefined) {
        headers["content-type"] = c.contentType!;
        body = c.raw;
      }
      const auth = c.auth === "REVOKED" ? revokedKey : c.auth === "BASIC" ? false : c.auth;
      if (c.auth === "BASIC") headers.authorization = "Basic dXNlcjpwYXNz";
      const res = await t.api(c.path, { method: c.method ?? "GET", headers, body, auth });
      const text = await res.text();
      let parsed: any;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      const problems: string[] = [];
      if (res.status !== c.status) problems.push(`status ${res.status}, expected ${c.status}`);
      if (!parsed || typeof parsed.error !== "string" || typeof parsed.message !== "string")
        problems.push(`body is not {error, message}: ${text.slice(0, 200)}`);
      else if (!c.message.test(parsed.message))
        problems.push(`message '${parsed.message}' does not match ${c.message}`);
      if (res.status >= 500) problems.push("5xx");
      if (problems.length) failures.push(`${c.name}: ${problems.join("; ")}`);
    }
    expect(failures).toEqual([]);
    const health = await t.api("/api/v1/health", { auth: false });
    expect(health.status).toBe(200);
    const calls = await t.api("/api/v1/calls");
    expect(calls.status).toBe(200);
  });
});
