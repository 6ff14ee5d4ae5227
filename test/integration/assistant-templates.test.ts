import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEngine, type TestEngine } from "../helpers/engine.js";

interface Template {
  id: string;
  name: string;
  description: string;
  language: string;
  assistant: Record<string, any>;
  required_models: string[];
}

let t: TestEngine;
let templates: Template[];
let models: { id: string; builtin: boolean; installed: boolean }[];
let byok: { id: string; local: boolean }[];
beforeAll(async () => {
  t = await startTestEngine();
  const r = await t.api("/api/v1/assistant-templates");
  expect(r.status).toBe(200);
  templates = ((await r.json()) as { templates: Template[] }).templates;
  models = ((await (await t.api("/api/v1/models")).json()) as { models: typeof models }).models;
  const config = (await (await t.api("/api/v1/byok/config")).json()) as any;
  byok = config.providers ?? [];
});
afterAll(async () => {
  await t.stop();
});

describe("GET /assistant-templates (issue #15 §1, §4)", () => {
  it("offers a receptionist, an outbound appointment reminder and an after-hours message taker, in English and Dutch", () => {
    const ids = templates.map((x) => x.id).sort();
    expect(ids).toEqual(
      expect.arrayContaining([
        "receptionist-en",
        "receptionist-nl",
        "appointment-reminder-en",
        "appointment-reminder-nl",
        "after-hours-en",
        "after-hours-nl",
      ]),
    );
    for (const x of templates.filter((x) => x.id.startsWith("appointment-reminder")))
      expect(x.assistant.voicemail_detection, x.id).toBe(true);
  });

  it("every template runs on local engines: Whisper, a local OpenAI-compatible server, local voices", () => {
    for (const x of templates) {
      const a = x.assistant;
      expect(a.stt_config.provider, x.id).toBe("whisper");
      expect(a.tts_config.provider, x.id).toBe("local");
      expect(a.llm_config.provider, x.id).toBe("openai_compatible");
      expect(new URL(a.llm_config.base_url).hostname, x.id).toMatch(/^(127\.0\.0\.1|localhost)$/);
    }
  });

  it("every template is accepted as-is by POST /assistants, and reads back the same", async () => {
    for (const x of templates) {
      const r = await t.api("/api/v1/assistants", { method: "POST", json: x.assistant });
      const body = (await r.json()) as any;
      expect(r.status, `${x.id}: ${JSON.stringify(body)}`).toBe(201);
      expect(body.assistant).toMatchObject(x.assistant);
    }
  });

  it("each required model is in the catalogue, and it is the one the engine asks for while it is missing", async () => {
    const catalogue = new Set(models.map((m) => m.id));
    for (const x of templates) {
      expect(x.required_models.length, x.id).toBeGreaterThan(0);
      for (const id of x.required_models) {
        expect(catalogue.has(id), `${x.id} needs '${id}', not in GET /models: ${[...catalogue].join(", ")}`).toBe(true);
        expect(models.find((m) => m.id === id)!.builtin, `${id} is built in: nothing to download`).toBe(false);
      }
      // A fresh data dir has no models: the engine's own check must name the same download.
      const r = await t.api("/api/v1/assistants", { method: "POST", json: x.assistant });
      const { checks } = (await r.json()) as any;
      expect(checks.stt.ok, `${x.id}: ${JSON.stringify(checks.stt)}`).toBe(false);
      expect(checks.stt.detail, x.id).toContain(`/models/${x.required_models[0]}/download`);
    }
  });

  it("local engines named by the templates are local in the provider catalogue", () => {
    const local = new Set(byok.filter((p) => p.local).map((p) => p.id));
    expect(local.size, JSON.stringify(byok)).toBeGreaterThan(0);
    for (const x of templates)
      for (const c of [x.assistant.stt_config, x.assistant.llm_config, x.assistant.tts_config])
        expect(local.has(c.provider), `${x.id}: ${c.provider}`).toBe(true);
  });
});
