import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startTestEngine, type TestEngine } from "../helpers/engine.js";
import { UdpCarrier } from "../helpers/udp-carrier.js";
import { waitFor } from "../helpers/wait.js";

// The spec's own example requests (api-v1.md), sent with only the base URL and key changed.
const FRONT_DESK = {
  name: "Front desk",
  first_message: "Good morning, Riverside Dental, how can I help?",
  llm_config: {
    provider: "openai",
    model: "gpt-4o-mini",
    temperature: 0.5,
    messages: [{ role: "system", content: "You book dental appointments." }],
  },
  stt_config: { provider: "deepgram", model: "nova-3-general", language: "en" },
  tts_config: { provider: "elevenlabs", model: "eleven_flash_v2_5", voice_id: "21m00Tcm4TlvDq8ikWAM" },
  webhook_url: "https://crm.example.org/hooks/voice",
  webhook_secret: "s3cr3t",
  webhook_events: ["tool-calls", "end-of-call-report"],
};

let t: TestEngine;
beforeAll(async () => {
  t = await startTestEngine();
});
afterAll(async () => {
  await t.stop();
});

async function json(res: Response) {
  return { status: res.status, body: (await res.json()) as any, headers: res.headers };
}

describe("system", () => {
  it("GET /api/v1/health needs no key and checks the database", async () => {
    const { status, body } = await json(await t.api("/api/v1/health", { auth: false }));
    expect(status).toBe(200);
    expect(body.status).toBe("ok");
    expect(body.checks.database.status).toBe("ok");
    expect(typeof body.checks.database.latency_ms).toBe("number");
    expect(Date.parse(body.timestamp)).not.toBeNaN();
    // How late the main event loop runs (local addition, issue #18): a regression in main-thread work shows here.
    expect(body.event_loop_delay).toMatchObject({
      p50_ms: expect.any(Number),
      p99_ms: expect.any(Number),
      max_ms: expect.any(Number),
      window_seconds: expect.any(Number),
    });
    expect(body.event_loop_delay.max_ms).toBeGreaterThanOrEqual(body.event_loop_delay.p50_ms);
  });

  it("a fresh install lists no calls, in the documented shape", async () => {
    const res = await t.api("/api/v1/calls");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ calls: [], pagination: { total: 0, limit: 100, offset: 0 } });
  });

  it("GET /organizations and the deprecated /account describe the local organization with live counts", async () => {
    const org = await json(await t.api("/api/v1/organizations"));
    expect(org.status).toBe(200);
    for (const f of [
      "id",
      "name",
      "minutes_balance",
      "monthly_usage_minutes",
      "active_numbers",
      "active_agents",
      "active_calls",
      "has_local_models_access",
      "parent_org_id",
    ]) {
      expect(org.body).toHaveProperty(f);
    }
    const account = await json(await t.api("/api/v1/account"));
    expect(account.body.id).toBe(org.body.id);
    expect(account.body.company_name).toBe(org.body.name);
    const withChildren = await json(await t.api("/api/v1/organizations?include_children=true"));
    expect(withChildren.body.children).toEqual([]);
  });

  it("serves an OpenAPI 3.1 document built from the route schemas, and a reference page", async () => {
    const doc = await json(await t.api("/api/openapi.json", { auth: false }));
    expect(doc.body.openapi).toBe("3.1.0");
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(["/api/v1/calls", "/api/v1/calls/outbound", "/api/v1/assistants/{id}", "/api/v1/agents"]),
    );
    const page = await t.api("/api/docs/", { auth: false });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<html");
  });

  it("every response carries the rate-limit headers, reset as a Unix timestamp", async () => {
    const res = await t.api("/api/v1/assistants");
    expect(Number(res.headers.get("x-ratelimit-limit"))).toBeGreaterThan(0);
    expect(res.headers.get("x-ratelimit-remaining")).not.toBeNull();
    const reset = Number(res.headers.get("x-ratelimit-reset"));
    expect(reset).toBeGreaterThan(Date.now() / 1000 - 1);
    expect(reset).toBeLessThan(Date.now() / 1000 + 120);
  });
});

describe("assistants", () => {
  let id: string;
  it("POST /assistants with the spec's example creates it (201, wrapped) and keeps every field", async () => {
    const { status, body } = await json(await t.api("/api/v1/assistants", { method: "POST", json: FRONT_DESK }));
    expect(status).toBe(201);
    const a = body.assistant;
    id = a.id;
    expect(a.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(a).toMatchObject({ ...FRONT_DESK, webhook_secret: "********" });
    expect(JSON.stringify(body)).not.toContain("s3cr3t");
    for (const f of [
      "business_name",
      "is_active",
      "max_duration_seconds",
      "autonomous_silence_handling",
      "silence_timeout_seconds",
      "voicemail_detection",
      "voicemail_message",
      "gdpr_mode",
      "analysis_plan",
      "speech_config",
      "created_at",
      "updated_at",
    ]) {
      expect(a).toHaveProperty(f);
    }
  });

  it("GET list and one; the /agents alias serves the same objects", async () => {
    const list = await json(await t.api("/api/v1/assistants"));
    expect(list.body.assistants.map((a: any) => a.id)).toContain(id);
    const one = await json(await t.api(`/api/v1/assistants/${id}`));
    expect(one.body.assistant.name).toBe("Front desk");
    const alias = await json(await t.api(`/api/v1/agents/${id}`));
    expect(alias.body).toEqual(one.body);
  });

  it("PATCH changes only the fields sent; nested configs are replaced whole; null clears", async () => {
    const { status, body } = await json(
      await t.api(`/api/v1/assistants/${id}`, {
        method: "PATCH",
        json: {
          first_message: null,
          max_duration_seconds: 300,
          stt_config: { provider: "whisper", model: "base.en", language: "en" },
        },
      }),
    );
    expect(status).toBe(200);
    expect(body.assistant.first_message).toBeNull();
    expect(body.assistant.max_duration_seconds).toBe(300);
    expect(body.assistant.stt_config).toEqual({ provider: "whisper", model: "base.en", language: "en" });
    expect(body.assistant.llm_config).toEqual(FRONT_DESK.llm_config);
    expect(body.assistant.webhook_secret).toBe("********");
    expect(t.store.assistants.webhookSecret(id)).toBe("s3cr3t");
  });

  it("only name is required; defaults are filled in", async () => {
    const { status, body } = await json(await t.api("/api/v1/agents", { method: "POST", json: { name: "Minimal" } }));
    expect(status).toBe(201);
    expect(body.assistant.is_active).toBe(true);
    expect(body.assistant.llm_config.provider).toBeTruthy();
    const del = await json(await t.api(`/api/v1/agents/${body.assistant.id}`, { method: "DELETE" }));
    expect(del.body).toEqual({ success: true });
    expect((await t.api(`/api/v1/assistants/${body.assistant.id}`)).status).toBe(404);
  });

  it("what this version cannot run is refused when saved, not accepted to fail on the first call (issue #13 §14)", async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [
        { llm_config: { provider: "xai_realtime", model: "grok-realtime-v1" } },
        /^body\.llm_config\.provider 'xai_realtime' is not supported in this version \(supported: .*openai.*\)$/,
      ],
      [{ stt_config: { provider: "gladia" } }, /^body\.stt_config\.provider 'gladia' is not supported in this version/],
      [
        { tts_config: { provider: "inworld", voice_id: "x" } },
        /^body\.tts_config\.provider 'inworld' is not supported in this version/,
      ],
      [
        { tts_config: { provider: "local", voice_id: "piper-en_US-lessac-medium" } },
        /^body\.tts_config\.voice_id 'piper-en_US-lessac-medium' is not supported in this version/,
      ],
      [{ gdpr_mode: true }, /^body\.gdpr_mode is not supported in this version/],
      [
        { recording_consent: { enabled: true, message: "Press 1" } },
        /^body\.recording_consent is not supported in this version: no consent line is played/,
      ],
      [
        { speech_config: { background_audio: { enabled: true, clip: "office" } } },
        /^body\.speech_config\.background_audio is not supported in this version/,
      ],
      [
        { analysis_plan: { structured_data_plan: { enabled: true, template_id: "t-1" } } },
        /^body\.analysis_plan\.structured_data_plan\.template_id is not supported in this version/,
      ],
    ];
    for (const [fields, message] of cases) {
      const res = await json(
        await t.api("/api/v1/assistants", { method: "POST", json: { name: "Unsupported", ...fields } }),
      );
      expect(res.status, JSON.stringify(fields)).toBe(400);
      expect(res.body).toMatchObject({ error: "Bad Request", code: "not_supported" });
      expect(res.body.message).toMatch(message);
    }
    // Their off values stay accepted: clients that send the whole object keep working.
    const off = await json(
      await t.api("/api/v1/assistants", {
        method: "POST",
        json: {
          name: "Off",
          gdpr_mode: false,
          recording_consent: null,
          speech_config: { background_audio: { enabled: false } },
        },
      }),
    );
    expect(off.status).toBe(201);
  });
});

describe("calls", () => {
  let assistantId: string;
  // A carrier on UDP that the test answers by hand (the trunk the outbound calls leave through).
  const carrier = new UdpCarrier();
  beforeAll(async () => {
    assistantId = (await json(await t.api("/api/v1/assistants", { method: "POST", json: FRONT_DESK }))).body.assistant
      .id;
    await carrier.start();
  });
  afterAll(() => carrier.close());

  it("POST /calls/outbound without any SIP trunk is refused at once (409) and names what to add", async () => {
    const r = await json(
      await t.api("/api/v1/calls/outbound", {
        method: "POST",
        json: { destination: "+31612345678", assistant_id: assistantId },
      }),
    );
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ error: "Conflict", code: "no_sip_trunk" });
    expect(r.body.message).toMatch(/POST \/api\/v1\/sip-trunks/);
    const trunk = await json(
      await t.api("/api/v1/sip-trunks", {
        method: "POST",
        json: { name: "Carrier", host: "127.0.0.1", port: carrier.port, register: false },
      }),
    );
    expect(trunk.status).toBe(201);
  });

  it("POST /calls/outbound (reference mode) answers `dialing`, stores `connecting`, and a carrier's refusal ends it `failed` with a reason", async () => {
    const ws = new WebSocket(`${t.url.replace("http", "ws")}/api/v1/events`, {
      headers: { authorization: `Bearer ${t.apiKey}` },
    });
    const events: any[] = [];
    ws.on("message", (m) => events.push(JSON.parse(String(m))));
    await new Promise((r) => ws.once("open", r));
    await new Promise((r) => setTimeout(r, 50));

    const { status, body } = await json(
      await t.api("/api/v1/calls/outbound", {
        method: "POST",
        json: { destination: "+31612345678", assistant_id: assistantId },
      }),
    );
    expect(status).toBe(200);
    expect(body).toMatchObject({ success: true, status: "dialing" });
    expect(body.call_id).toMatch(/^call-outbound-/);
    expect(typeof body.room_name).toBe("string");
    const invite = await waitFor(
      () => carrier.invites.find((i) => i.text.startsWith("INVITE sip:+31612345678@")),
      10_000,
    );
    carrier.respond(invite, 503, "Service Unavailable");

    const deadline = Date.now() + 5000;
    let call: any;
    while (Date.now() < deadline) {
      call = (await json(await t.api(`/api/v1/calls/${body.call_id}`))).body;
      if (call.status === "failed") break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(call.status).toBe("failed");
    expect(call.error).toBe("the call failed (503 Service Unavailable)");
    expect(call).toMatchObject({
      direction: "outbound",
      caller_phone: "+31612345678",
      agent_id: assistantId,
      agent_name: "Front desk",
    });
    expect(call.ended_at).not.toBeNull();
    const types = events.filter((e) => e.call?.id === body.call_id).map((e) => [e.type, e.call.status]);
    expect(types).toEqual([
      ["call.created", "connecting"],
      ["call.ended", "failed"],
    ]);
    ws.close();
  });

  it("transient, hybrid and deprecated alias modes are accepted", async () => {
    const transient = await t.api("/api/v1/calls/outbound", {
      method: "POST",
      json: {
        destination: "+31612345678",
        assistant: {
          first_message: "Hi!",
          llm_config: FRONT_DESK.llm_config,
          stt_config: FRONT_DESK.stt_config,
          tts_config: FRONT_DESK.tts_config,
        },
      },
    });
    expect(transient.status).toBe(200);
    const hybrid = await json(
      await t.api("/api/v1/calls/outbound", {
        method: "POST",
        json: {
          destination: "+31612345678",
          assistant_id: assistantId,
          assistant_override: {
            first_message: "Hi Sam, calling about tomorrow's appointment.",
            metadata: { crm_id: "A-1009" },
          },
        },
      }),
    );
    expect(hybrid.status).toBe(200);
    const stored = t.store.calls.assistantConfig(hybrid.body.call_id)!;
    expect(stored.first_message).toBe("Hi Sam, calling about tomorrow's appointment.");
    expect(stored.metadata).toEqual({ crm_id: "A-1009" });
    expect(JSON.stringify(stored)).not.toContain("s3cr3t");
    expect(
      (
        await t.api("/api/v1/calls/outbound", {
          method: "POST",
          json: { destination: "sip:bob@example.com", agent_id: assistantId, agent_config: { first_message: "Yo" } },
        })
      ).status,
    ).toBe(200);
    const realtime = await json(
      await t.api("/api/v1/calls/outbound", {
        method: "POST",
        json: {
          destination: "+31612345678",
          agent: { llm_config: { provider: "xai_realtime", model: "grok-realtime-v1" } },
        },
      }),
    );
    expect(realtime.status).toBe(400);
    expect(realtime.body.message).toMatch(
      /^body\.assistant\.llm_config\.provider 'xai_realtime' is not supported in this version/,
    );
  });

  it("the spec's rules: transient needs llm_config; text LLMs need stt and tts; unknown ids are 404", async () => {
    const cases: [unknown, number, RegExp][] = [
      [{ destination: "+31612345678", assistant: { first_message: "x" } }, 400, /llm_config/],
      [
        { destination: "+31612345678", assistant: { llm_config: FRONT_DESK.llm_config, stt_config: null } },
        400,
        /body\.assistant\.stt_config is required when llm_config\.provider is 'openai'/,
      ],
      [{ destination: "+31612345678", assistant_id: "2f1c9a7e-6b0d-4e8f-9a1b-3c5d7e9f0a12" }, 404, /Assistant/],
      [
        { destination: "+31612345678", assistant_id: assistantId, number_id: "7d2e0c55-1f0b-4c3e-9a63-5c2b8f1e4d90" },
        404,
        /Number/,
      ],
    ];
    for (const [body, code, msg] of cases) {
      const r = await json(await t.api("/api/v1/calls/outbound", { method: "POST", json: body }));
      expect(r.status, JSON.stringify(body)).toBe(code);
      expect(r.body.message).toMatch(msg);
    }
  });

  it("transient and saved assistants follow the same rules and get the same defaults (issue #13 §4)", async () => {
    const llm = { provider: "openai", model: "gpt-4o-mini" };
    const saved = (
      await json(await t.api("/api/v1/assistants", { method: "POST", json: { name: "Saved", llm_config: llm } }))
    ).body.assistant;
    const out = await json(
      await t.api("/api/v1/calls/outbound", {
        method: "POST",
        json: { destination: "+31612345678", assistant: { llm_config: llm } },
      }),
    );
    expect(out.status).toBe(200);
    const transient = t.store.calls.assistantConfig(out.body.call_id)!;
    expect(transient.stt_config).toEqual(saved.stt_config);
    expect(transient.tts_config).toEqual(saved.tts_config);
    expect(saved.stt_config).toEqual({ provider: "pocketsphinx", language: "en" });
    // The same refusal, word for word, whichever way the assistant arrives.
    const savedNull = await json(
      await t.api("/api/v1/assistants", { method: "POST", json: { name: "Null", llm_config: llm, tts_config: null } }),
    );
    const transientNull = await json(
      await t.api("/api/v1/calls/outbound", {
        method: "POST",
        json: { destination: "+31612345678", assistant: { llm_config: llm, tts_config: null } },
      }),
    );
    expect(savedNull.status).toBe(400);
    expect(transientNull.status).toBe(400);
    expect(transientNull.body.message).toBe(savedNull.body.message.replace("body.", "body.assistant."));
    // Realtime models (no speech settings) are not in this version; their defaults are unit-tested (test/unit/speech-defaults.test.ts).
  });

  it("GET /calls filters by status and dates and pages", async () => {
    const base = Date.parse("2026-03-01T00:00:00Z");
    for (let i = 0; i < 12; i++) {
      t.store.calls.create({
        id: `call-inbound-seed${i}`,
        status: i % 3 === 0 ? "failed" : "ended",
        direction: "inbound",
        caller_phone: "+3161234567" + (i % 10),
        created_at: new Date(base + i * 86_400_000).toISOString(),
      });
    }
    const all = (await json(await t.api("/api/v1/calls?start_date=2026-03-01&end_date=2026-03-12"))).body;
    expect(all.pagination.total).toBe(12);
    expect(all.calls[0].id).toBe("call-inbound-seed11");
    const failed = (
      await json(
        await t.api(
          "/api/v1/calls?status=failed&start_date=2026-03-01T00:00:00Z&end_date=2026-03-31T00:00:00Z&limit=2&offset=1",
        ),
      )
    ).body;
    expect(failed.pagination).toEqual({ total: 4, limit: 2, offset: 1 });
    expect(failed.calls.map((c: any) => c.id)).toEqual(["call-inbound-seed6", "call-inbound-seed3"]);
    const oneDay = (await json(await t.api("/api/v1/calls?start_date=2026-03-05&end_date=2026-03-05"))).body;
    expect(oneDay.calls.map((c: any) => c.id)).toEqual(["call-inbound-seed4"]);
  });

  it("GET /calls?missed=true lists inbound calls for a person that nobody answered, with the total, and validates the flag", async () => {
    const at = (d: number) => new Date(Date.parse("2026-04-01T00:00:00Z") + d * 3_600_000).toISOString();
    const rows: [string, { end_reason: string; started_at?: string; agent_id?: string; direction?: "outbound" }][] = [
      ["missed-unavailable", { end_reason: "unavailable" }],
      ["missed-declined", { end_reason: "declined" }],
      ["missed-noanswer", { end_reason: "no_answer" }],
      ["missed-gaveup", { end_reason: "user_hangup" }],
      ["answered-person", { end_reason: "user_hangup", started_at: at(0) }],
      ["assistant-gaveup", { end_reason: "user_hangup", agent_id: "asst_1" }],
      ["outbound-noanswer", { end_reason: "no_answer", direction: "outbound" }],
      ["failed-person", { end_reason: "sip_error" }],
    ];
    rows.forEach(([id, { direction = "inbound" as const, agent_id = null, ...patch }], i) => {
      t.store.calls.create({
        id: `call-${id}`,
        status: "connecting",
        direction,
        agent_id,
        caller_phone: "+31612340000",
        created_at: at(i),
      });
      t.store.calls.update(`call-${id}`, { status: "ended", ...patch });
    });
    const range = "start_date=2026-04-01&end_date=2026-04-01";
    const missed = (await json(await t.api(`/api/v1/calls?missed=true&${range}&limit=3`))).body;
    expect(missed.pagination).toEqual({ total: 4, limit: 3, offset: 0 });
    expect(missed.calls.map((c: any) => c.id)).toEqual([
      "call-missed-gaveup",
      "call-missed-noanswer",
      "call-missed-declined",
    ]);
    const everything = (await json(await t.api(`/api/v1/calls?missed=false&${range}`))).body;
    expect(everything.pagination.total).toBe(rows.length);
    const bad = await json(await t.api("/api/v1/calls?missed=maybe"));
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: expect.any(String), message: expect.stringContaining("missed") });
  });

  it("control: 404 unknown call, 400 when not in-progress, validated per type", async () => {
    const unknown = await json(
      await t.api("/api/v1/calls/call-outbound-nope/control", { method: "POST", json: { type: "end-call" } }),
    );
    expect(unknown.status).toBe(404);
    const ended = await json(
      await t.api("/api/v1/calls/call-inbound-seed1/control", {
        method: "POST",
        json: { type: "say", content: "Hello", end_after: false },
      }),
    );
    expect(ended.status).toBe(400);
    expect(ended.body.message).toMatch(/in-progress/);
    const missing = await json(
      await t.api("/api/v1/calls/call-inbound-seed1/control", {
        method: "POST",
        json: { type: "say", end_after: false },
      }),
    );
    expect(missing.status).toBe(400);
    expect(missing.body.message).toMatch(/content/);
  });

  it("each control command fails cleanly on a call that is not in-progress (ringing or ended), and changes nothing", async () => {
    const ringing = t.engine.calls.create({ id: "call-inbound-ringing1", status: "connecting", direction: "inbound" });
    const commands = [
      { type: "inject-context", content: "The caller is a VIP.", trigger_response: true },
      { type: "say", content: "One moment please.", end_after: true },
      { type: "transfer", destination: "+31201234567", message: "Transferring you now." },
      { type: "end-call", message: "Goodbye!" },
    ];
    for (const id of [ringing.id, "call-inbound-seed1"]) {
      const before = t.store.calls.get(id)!;
      for (const c of commands) {
        const r = await json(await t.api(`/api/v1/calls/${id}/control`, { method: "POST", json: c }));
        expect(r.status, `${c.type} on ${before.status}`).toBe(400);
        expect(r.body).toMatchObject({
          error: "Bad Request",
          message: `Call '${id}' is ${before.status}: control commands need a call that is in-progress`,
        });
      }
      expect(t.store.calls.get(id)).toEqual(before);
    }
  });

  it("control commands reach the live call's handler, and are limited to 10 per minute per call", async () => {
    const call = t.engine.calls.create({ id: "call-inbound-live1", status: "connecting", direction: "inbound" });
    t.engine.calls.transition(call.id, "in-progress");
    const received: unknown[] = [];
    t.engine.calls.attach(call.id, {
      control: async (c) => {
        received.push(c);
      },
    });
    const commands = [
      { type: "inject-context", content: "The caller is a VIP.", trigger_response: false },
      { type: "say", content: "One moment please.", end_after: false },
      { type: "transfer", destination: "+31201234567", message: "Transferring you now." },
      { type: "end-call", message: "Goodbye!" },
    ];
    for (const c of commands) {
      const r = await json(await t.api(`/api/v1/calls/${call.id}/control`, { method: "POST", json: c }));
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ success: true, message: "Command sent successfully" });
    }
    expect(received).toEqual(commands);
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++)
      statuses.push(
        (await t.api(`/api/v1/calls/${call.id}/control`, { method: "POST", json: { type: "end-call" } })).status,
      );
    expect(statuses.slice(0, 6).every((s) => s === 200)).toBe(true);
    const limited = await t.api(`/api/v1/calls/${call.id}/control`, { method: "POST", json: { type: "end-call" } });
    expect(statuses[6]).toBe(429);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(((await limited.json()) as any).message).toMatch(/retry after/i);
  });
});
