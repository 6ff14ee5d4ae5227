import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { startTestEngine, type TestEngine } from "../helpers/engine.js";

// A local OpenAI-compatible server (as Ollama or LM Studio would be) that lists its models at GET /v1/models.
let t: TestEngine;
let llm: Server;
let llmUrl = "";
beforeAll(async () => {
  t = await startTestEngine();
  llm = createServer((req, res) => {
    if (req.method === "GET" && req.url === "/v1/models") {
      res.writeHead(200, { "content-type": "application/json" }).end(
        JSON.stringify({
          object: "list",
          data: [{ id: "llama3.2", object: "model", created: 0, owned_by: "local" }],
        }),
      );
    } else res.writeHead(404).end();
  });
  await new Promise<void>((r) => llm.listen(0, "127.0.0.1", () => r()));
  llmUrl = `http://127.0.0.1:${(llm.address() as AddressInfo).port}/v1`;
});
afterAll(async () => {
  await t.stop();
  llm.close();
});

async function check(body: Record<string, unknown>) {
  const id = (
    (await (await t.api("/api/v1/assistants", { method: "POST", json: { name: "Checked", ...body } })).json()) as any
  ).assistant.id;
  const r = await t.api(`/api/v1/assistants/${id}/check`, { method: "POST" });
  return { status: r.status, body: (await r.json()) as any };
}

describe("POST /assistants/{id}/check (issue #13 §12)", () => {
  it("a reachable LLM server that offers the model, and a built-in voice, are ok", async () => {
    const r = await check({ llm_config: { provider: "openai_compatible", model: "llama3.2", base_url: llmUrl } });
    expect(r.status).toBe(200);
    expect(r.body.llm).toEqual({
      provider: "openai_compatible",
      ok: true,
      detail: "reachable, and model 'llama3.2' is offered",
    });
    expect(r.body.tts).toEqual({ provider: "local", ok: true, detail: "runs on this machine and is ready" });
    expect(r.body.stt.provider).toBe("pocketsphinx");
    expect(r.body.ok).toBe(r.body.stt.ok);
  });

  it("names what is wrong: a model the server does not offer, a server nothing listens on, a missing key", async () => {
    const missingModel = await check({
      llm_config: { provider: "openai_compatible", model: "qwen3", base_url: llmUrl },
    });
    expect(missingModel.body.ok).toBe(false);
    expect(missingModel.body.llm).toEqual({
      provider: "openai_compatible",
      ok: false,
      detail: "the server answers but does not offer model 'qwen3' (it offers: llama3.2)",
    });

    const down = await check({
      llm_config: { provider: "openai_compatible", model: "llama3.2", base_url: "http://127.0.0.1:9/v1" },
    });
    expect(down.body.llm.ok).toBe(false);
    expect(down.body.llm.detail).toMatch(/could not be reached/);

    const noKey = await check({
      llm_config: { provider: "openai_compatible", model: "llama3.2", base_url: llmUrl },
      stt_config: { provider: "deepgram", model: "nova-3" },
    });
    expect(noKey.body.stt).toEqual({
      provider: "deepgram",
      ok: false,
      detail: "No Deepgram key configured: add one with POST /api/v1/byok",
    });
    expect(noKey.body.ok).toBe(false);

    const unknown = await t.api("/api/v1/assistants/2f1c9a7e-6b0d-4e8f-9a1b-3c5d7e9f0a12/check", { method: "POST" });
    expect(unknown.status).toBe(404);
  });
});

describe("POST /assistants says at once what would stop a call (issue #13 §12)", () => {
  it("the create answer carries checks made without calling any server; a program that is not installed is named", async () => {
    const created = await t.api("/api/v1/assistants", {
      method: "POST",
      json: {
        name: "Cloud",
        llm_config: { provider: "openai", model: "gpt-4o-mini" },
        tts_config: { provider: "elevenlabs", voice_id: "v" },
      },
    });
    const body = (await created.json()) as any;
    expect(created.status).toBe(201);
    expect(body.assistant.name).toBe("Cloud");
    expect(body.checks).toMatchObject({
      ok: false,
      llm: { provider: "openai", ok: false, detail: "No OpenAI key configured: add one with POST /api/v1/byok" },
      tts: {
        provider: "elevenlabs",
        ok: false,
        detail: "No ElevenLabs key configured: add one with POST /api/v1/byok",
      },
    });
    // PocketSphinx (the default STT) runs as a program: with it missing from PATH the check says what to install.
    const path = process.env.PATH;
    process.env.PATH = "/nonexistent";
    try {
      const r = await check({ llm_config: { provider: "openai_compatible", model: "llama3.2", base_url: llmUrl } });
      expect(r.body.stt).toEqual({
        provider: "pocketsphinx",
        ok: false,
        detail:
          "needs the program 'pocketsphinx_continuous', which is not installed (on Debian/Ubuntu: apt-get install pocketsphinx pocketsphinx-en-us)",
      });
    } finally {
      process.env.PATH = path;
    }
  });
});

describe("a provider failure on a live call is not silent (issue #13 §12)", () => {
  it("the call carries the error, the events stream names it, and the call's log keeps it", async () => {
    const WebSocket = (await import("ws")).default;
    const ws = new WebSocket(`${t.url.replace("http", "ws")}/api/v1/events`, {
      headers: { authorization: `Bearer ${t.apiKey}` },
    });
    const events: any[] = [];
    ws.on("message", (m) => events.push(JSON.parse(String(m))));
    await new Promise((r) => ws.once("open", r));
    t.engine.calls.create({
      id: "call-inbound-down1",
      status: "connecting",
      direction: "inbound",
      caller_phone: "+31612345678",
    });
    t.engine.calls.transition("call-inbound-down1", "in-progress");
    // What the pipeline reports when its LLM server is down (voice/pipeline.ts → host.problem).
    t.engine.calls.problem(
      "call-inbound-down1",
      "OpenAI-compatible server could not be reached: connect ECONNREFUSED 127.0.0.1:9",
    );
    const call = (await (await t.api("/api/v1/calls/call-inbound-down1")).json()) as any;
    expect(call).toMatchObject({
      status: "in-progress",
      error: "OpenAI-compatible server could not be reached: connect ECONNREFUSED 127.0.0.1:9",
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(events.find((e) => e.type === "call.problem")).toMatchObject({
      call_id: "call-inbound-down1",
      message: expect.stringContaining("ECONNREFUSED"),
    });
    const log = (await (await t.api("/api/v1/calls/call-inbound-down1/events")).json()) as any;
    expect(log.events.filter((e: any) => e.type === "problem").map((e: any) => e.data.message)).toEqual([
      expect.stringContaining("could not be reached"),
    ]);
    ws.close();
  });
});
