import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEngine, type TestEngine } from "../helpers/engine.js";

let t: TestEngine;
let assistantId: string;
beforeAll(async () => {
  t = await startTestEngine();
  assistantId = (
    (await (
      await t.api("/api/v1/assistants", {
        method: "POST",
        json: { name: "Front desk", business_name: "Riverside Dental" },
      })
    ).json()) as any
  ).assistant.id;
});
afterAll(async () => {
  await t.stop();
});

const call = async (method: string, path: string, json?: unknown) => {
  const res = await t.api(path, { method, json });
  const text = await res.text();
  return { status: res.status, text, body: text ? JSON.parse(text) : null };
};

describe("numbers (api-v1 §6)", () => {
  let id: string;
  it("the spec's POST /numbers example", async () => {
    const r = await call("POST", "/api/v1/numbers", {
      phone_number: "+31850835037",
      name: "Main line",
      assistant_id: assistantId,
    });
    expect(r.status).toBe(201);
    id = r.body.number.id;
    expect(r.body.number).toMatchObject({
      phone_number: "+31850835037",
      name: "Main line",
      assistant_id: assistantId,
      agent_id: assistantId,
      agent_name: "Front desk",
      business_name: "Riverside Dental",
      transfer_trunk_id: null,
      is_active: true,
    });
    for (const f of ["created_at", "updated_at", "source", "transfer_trunk_name", "workflow_id"])
      expect(r.body.number).toHaveProperty(f);
  });

  it("lists, gets, patches (null unassigns) and deletes", async () => {
    expect((await call("GET", "/api/v1/numbers")).body.numbers.map((n: any) => n.id)).toContain(id);
    expect((await call("GET", `/api/v1/numbers/${id}`)).body.number.phone_number).toBe("+31850835037");
    const p = await call("PATCH", `/api/v1/numbers/${id}`, { assistant_id: null, is_active: false });
    expect(p.body.number).toMatchObject({ assistant_id: null, agent_name: null, is_active: false });
    expect((await call("PATCH", `/api/v1/numbers/${id}`, { agent_id: assistantId })).body.number.assistant_id).toBe(
      assistantId,
    );
    expect((await call("DELETE", `/api/v1/numbers/${id}`)).body).toEqual({ success: true });
    expect((await call("GET", `/api/v1/numbers/${id}`)).status).toBe(404);
  });

  it("accepts the quick-start's `number` alias; duplicates are 409", async () => {
    expect((await call("POST", "/api/v1/numbers", { number: "+31201234567", assistant_id: assistantId })).status).toBe(
      201,
    );
    const dup = await call("POST", "/api/v1/numbers", { phone_number: "+31201234567" });
    expect(dup.status).toBe(409);
    expect(dup.body.message).toMatch(/already registered/);
  });
});

describe("SIP trunks (api-v1 §8)", () => {
  it("takes the docs shape and the SDK shape; passwords are never returned", async () => {
    const docs = await call("POST", "/api/v1/sip-trunks", {
      name: "Office PBX",
      host: "sip.example.com",
      port: 5080,
      username: "office",
      password: "pbx-pass-123",
    });
    expect(docs.status).toBe(201);
    expect(docs.body.sip_trunk).toMatchObject({
      name: "Office PBX",
      host: "sip.example.com",
      port: 5080,
      username: "office",
      transport: "udp",
      has_password: true,
    });
    expect(docs.body.trunk).toEqual(docs.body.sip_trunk);
    expect(docs.body.trunk.registration).toMatchObject({ status: expect.any(String) });
    const sdk = await call("POST", "/api/v1/sip-trunks", {
      name: "Carrier",
      provider: "Voys",
      address: "sip.voys.example:5061",
      auth_username: "acme",
      auth_password: "carrier-secret-9",
      transport: "tls",
    });
    expect(sdk.status).toBe(201);
    expect(sdk.body.trunk).toMatchObject({
      provider: "Voys",
      address: "sip.voys.example:5061",
      host: "sip.voys.example",
      port: 5061,
      auth_username: "acme",
      transport: "tls",
    });
    const list = await call("GET", "/api/v1/sip-trunks");
    expect(list.body.trunks).toHaveLength(2);
    for (const text of [
      docs.text,
      sdk.text,
      list.text,
      (await call("GET", `/api/v1/sip-trunks/${sdk.body.trunk.id}`)).text,
    ]) {
      expect(text).not.toContain("pbx-pass-123");
      expect(text).not.toContain("carrier-secret-9");
    }
    expect(t.store.sipTrunks.secretConfig(sdk.body.trunk.id)!.password).toBe("carrier-secret-9");
    const fixed = await call("PATCH", `/api/v1/sip-trunks/${docs.body.trunk.id}`, { password: "new-pass" });
    expect(fixed.status).toBe(200);
    expect(t.store.sipTrunks.secretConfig(docs.body.trunk.id)!.password).toBe("new-pass");
    expect((await call("DELETE", `/api/v1/sip-trunks/${sdk.body.trunk.id}`)).body).toEqual({ success: true });
  });
});

describe("BYOK (api-v1 §11)", () => {
  it("stores keys write-only and reports only secret ids", async () => {
    const before = await call("GET", "/api/v1/byok");
    expect(before.body.byok_keys).toMatchObject({
      deepgram_secret_id: null,
      openai_secret_id: null,
      elevenlabs_secret_id: null,
      xai_secret_id: null,
      resend_secret_id: null,
    });
    const set = await call("POST", "/api/v1/byok", { provider: "deepgram", api_key: "dg-secret-key-123" });
    expect(set.status).toBe(200);
    expect(set.body.success).toBe(true);
    expect(set.body.byok_keys.deepgram_secret_id).toMatch(/^local-/);
    expect(set.text).not.toContain("dg-secret-key-123");
    expect(t.store.byok.apiKey("deepgram")).toBe("dg-secret-key-123");
    const cfg = await call("POST", "/api/v1/byok/config", { provider: "deepgram", config: { smart_format: true } });
    expect(cfg.body).toEqual({ deepgram: { smart_format: true } });
    const del = await call("DELETE", "/api/v1/byok", { provider: "deepgram" });
    expect(del.body.byok_keys.deepgram_secret_id).toBeNull();
  });

  it("GET /byok/config lists cloud and local providers with category", async () => {
    const r = await call("GET", "/api/v1/byok/config");
    const byId = Object.fromEntries(r.body.providers.map((p: any) => [p.id, p]));
    expect(byId.deepgram).toMatchObject({
      category: "stt",
      local: false,
      models: expect.arrayContaining([expect.objectContaining({ id: "nova-3-general" })]),
    });
    expect(byId.whisper).toMatchObject({ category: "stt", local: true, requires_key: false });
    expect(byId.local).toMatchObject({ category: "tts", local: true });
    expect(byId.openai_compatible).toMatchObject({ category: "llm", local: true });
  });
});

describe("voices, usage and templates", () => {
  it("GET /voices lists the local voices", async () => {
    const r = await call("GET", "/api/v1/voices");
    const ids = r.body.voices.map((v: any) => v.id);
    expect(ids).toEqual(expect.arrayContaining(["flite-slt", "flite-kal", "flite-rms"]));
    // Only voices this version can speak with (issue #13 §14): no Piper engine, no xAI realtime engine.
    expect(
      ids.filter((id: string) => id.startsWith("piper-") || ["ara", "rex", "sal", "eve", "leo"].includes(id)),
    ).toEqual([]);
    expect(r.body.voices.find((v: any) => v.id === "flite-slt")).toMatchObject({
      name: "SLT",
      language: "en-US",
      local: true,
      installed: true,
    });
  });

  it("GET /usage reports finished calls with the documented fields and a summary over the whole range", async () => {
    for (let i = 0; i < 5; i++) {
      const id = `call-inbound-u${i}`;
      t.engine.calls.create({
        id,
        status: "connecting",
        direction: "inbound",
        agent_name: "Front desk",
        phone_number: "+31850835037",
        created_at: `2026-04-0${i + 1}T10:00:00.000Z`,
        assistant_config: {
          stt_config: { provider: "deepgram" },
          llm_config: { provider: "openai" },
          tts_config: { provider: "local" },
        },
      });
      t.store.calls.update(id, { status: "ended", duration_seconds: 60 * (i + 1) });
    }
    const r = await call("GET", "/api/v1/usage?start_date=2026-04-01&end_date=2026-04-30&limit=2");
    expect(r.status).toBe(200);
    expect(r.body.pagination).toEqual({ total: 5, limit: 2, offset: 0 });
    expect(r.body.summary).toMatchObject({ total_calls: 5, total_duration_seconds: 900, total_duration_minutes: 15 });
    expect(r.body.logs[0]).toMatchObject({
      duration_sec: 300,
      byok_stt: true,
      byok_llm: true,
      byok_tts: false,
      phone_number: "+31850835037",
      agent_name: "Front desk",
      call_type: "phone",
    });
  });

  it("analysis templates in both shapes", async () => {
    const guide = await call("POST", "/api/v1/analysis-templates", {
      name: "Intent",
      description: "Caller intent",
      schema: { type: "object", properties: { intent: { type: "string" } } },
      messages: [
        { role: "system", content: "Extract the fields defined in {{schema}}." },
        { role: "user", content: "Transcript:\n{{transcript}}" },
      ],
      min_messages_threshold: 3,
    });
    expect(guide.status).toBe(201);
    expect(guide.body.analysis_template).toMatchObject({ name: "Intent", min_messages_threshold: 3 });
    const api = await call("POST", "/api/v1/analysis-templates", {
      name: "Sentiment",
      system_prompt: "You rate calls.",
      user_prompt: "Rate {transcript}",
      schema: { type: "object" },
    });
    expect(api.status).toBe(201);
    const missing = await call("POST", "/api/v1/analysis-templates", { name: "Broken", system_prompt: "x" });
    expect(missing.status).toBe(400);
    expect(missing.body.message).toMatch(/user_prompt/);
    const patched = await call("PATCH", `/api/v1/analysis-templates/${api.body.analysis_template.id}`, {
      description: "Mood",
    });
    expect(patched.body.analysis_template).toMatchObject({ description: "Mood", system_prompt: "You rate calls." });
    expect((await call("GET", "/api/v1/analysis-templates")).body.analysis_templates).toHaveLength(2);
    expect((await call("DELETE", `/api/v1/analysis-templates/${guide.body.analysis_template.id}`)).body).toEqual({
      success: true,
    });
  });

  it("tool templates validated per type, camelCase types stored in snake_case", async () => {
    const fn = await call("POST", "/api/v1/tool-templates", {
      name: "lookup_contact",
      tool_type: "function",
      tool_config: {
        description: "Find a contact",
        parameters: { type: "object", properties: { query: { type: "string" } } },
        url: "https://crm.example.org/tools",
      },
    });
    expect(fn.status).toBe(201);
    expect(fn.body.tool_template).toMatchObject({ tool_type: "function", tool_config: { name: "lookup_contact" } });
    const end = await call("POST", "/api/v1/tool-templates", {
      name: "Hang up",
      tool_type: "endCall",
      tool_config: {},
    });
    expect(end.body.tool_template.tool_type).toBe("end_call");
    const noDest = await call("POST", "/api/v1/tool-templates", {
      name: "Transfer",
      tool_type: "transferCall",
      tool_config: {},
    });
    expect(noDest.status).toBe(400);
    expect(noDest.body.message).toMatch(/destinations/);
    const badName = await call("POST", "/api/v1/tool-templates", {
      name: "9 lives",
      tool_type: "function",
      tool_config: { description: "x", parameters: {} },
    });
    expect(badName.status).toBe(400);
    expect((await call("GET", "/api/v1/tool-templates")).body.tool_templates).toHaveLength(2);
  });
});
