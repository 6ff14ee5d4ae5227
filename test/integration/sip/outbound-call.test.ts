import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEngine, type TestEngine } from "../../helpers/engine.js";
import { hasSipp, rejectScenario, startSippUas } from "../../helpers/sipp.js";
import { onlyTrunkTo } from "../../helpers/net-telephony.js";
import { waitFor } from "../../helpers/wait.js";

describe.skipIf(!hasSipp)("POST /calls/outbound to a sipp UAS (skipped only where sip-tester is not installed)", () => {
  let t: TestEngine;
  let assistantId: string;
  beforeAll(async () => {
    t = await startTestEngine();
    // Local engines; the LLM is never asked here (sipp sends no audio), so its URL may lead nowhere.
    assistantId = (
      (await (
        await t.api("/api/v1/assistants", {
          method: "POST",
          json: {
            name: "Caller",
            stt_config: { provider: "pocketsphinx", language: "en" },
            llm_config: { provider: "openai_compatible", model: "none", base_url: "http://127.0.0.1:9/v1" },
            tts_config: { provider: "local", voice_id: "flite-kal" },
          },
        })
      ).json()) as any
    ).assistant.id;
  });
  afterAll(async () => {
    await t?.stop();
  });

  async function place(): Promise<string> {
    const res = await t.api("/api/v1/calls/outbound", {
      method: "POST",
      json: { destination: "+31612345678", assistant_id: assistantId },
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as any).call_id;
  }

  it("is answered (in-progress), and end-call through the control API sends BYE", async () => {
    const sipp = await startSippUas();
    await onlyTrunkTo(t, sipp.port);
    const id = await place();
    await waitFor(() => t.store.calls.get(id)!.status === "in-progress");
    const say = await t.api(`/api/v1/calls/${id}/control`, {
      method: "POST",
      json: { type: "say", content: "Hello from the assistant.", end_after: false },
    });
    expect(say.status).toBe(200);
    await waitFor(() => t.store.calls.get(id)!.messages.some((m) => m.content === "Hello from the assistant."), 10_000);
    expect(t.store.calls.get(id)!.status).toBe("in-progress");
    const res = await t.api(`/api/v1/calls/${id}/control`, { method: "POST", json: { type: "end-call" } });
    expect(res.status).toBe(200);
    const call = await waitFor(() => {
      const c = t.store.calls.get(id)!;
      return c.status === "ended" && c;
    });
    expect(call).toMatchObject({
      direction: "outbound",
      end_reason: "assistant_hangup",
      caller_phone: "+31612345678",
      assistant_phone: "+31850835037",
    });
    expect(await sipp.exited, sipp.output()).toBe(0);
  });

  it('handled_by "person": a call a person places from the console runs no assistant, and ends as the operator\'s hang-up', async () => {
    const withAssistant = await t.api("/api/v1/calls/outbound", {
      method: "POST",
      json: { destination: "+31612345678", handled_by: "person", assistant_id: assistantId },
    });
    expect(withAssistant.status).toBe(400);
    expect(await withAssistant.json()).toMatchObject({ message: expect.stringContaining("body.assistant_id") });
    const sipp = await startSippUas();
    await onlyTrunkTo(t, sipp.port);
    const res = await t.api("/api/v1/calls/outbound", {
      method: "POST",
      json: { destination: "+31612345678", handled_by: "person" },
    });
    expect(res.status).toBe(200);
    const id = ((await res.json()) as any).call_id;
    await waitFor(() => t.store.calls.get(id)!.status === "in-progress", 10_000);
    expect(t.engine.calls.liveCall(id)!.owner).toBe("person");
    expect(t.engine.calls.liveCall(id)!.assistantSpeaks).toBe(false);
    expect((await t.api(`/api/v1/calls/${id}/control`, { method: "POST", json: { type: "end-call" } })).status).toBe(
      200,
    );
    const call = await waitFor(() => {
      const c = t.store.calls.get(id)!;
      return c.status === "ended" && c;
    });
    expect(call).toMatchObject({ direction: "outbound", end_reason: "operator_hangup", agent_id: null, messages: [] });
    expect(await sipp.exited, sipp.output()).toBe(0);
  });

  it("an assistant whose provider has no key: the callee hears why, and the call fails with what to do", async () => {
    const sipp = await startSippUas();
    await onlyTrunkTo(t, sipp.port);
    const plain = (
      (await (
        await t.api("/api/v1/assistants", {
          method: "POST",
          json: {
            name: "Defaults only",
            stt_config: { provider: "pocketsphinx", language: "en" },
            llm_config: { provider: "openai", model: "gpt-4o-mini" },
          },
        })
      ).json()) as any
    ).assistant.id;
    const res = await t.api("/api/v1/calls/outbound", {
      method: "POST",
      json: { destination: "+31612345678", assistant_id: plain },
    });
    const id = ((await res.json()) as any).call_id;
    const call = await waitFor(() => {
      const c = t.store.calls.get(id)!;
      return c.status === "failed" && c;
    }, 20_000);
    expect(call).toMatchObject({
      end_reason: "pipeline_error",
      error: "No OpenAI key configured: add one with POST /api/v1/byok",
    });
    expect(call.messages[0].content).toMatch(/not set up correctly/);
    await sipp.exited;
  });

  for (const [code, phrase, error] of [
    [486, "Busy Here", "busy"],
    [603, "Decline", "declined"],
    [404, "Not Found", "not found"],
  ] as const) {
    it(`a ${code} ends the call as failed with the error "${error}"`, async () => {
      const sipp = await startSippUas({ scenarioXml: rejectScenario(code, phrase) });
      await onlyTrunkTo(t, sipp.port);
      const id = await place();
      const call = await waitFor(() => {
        const c = t.store.calls.get(id)!;
        return c.status === "failed" && c;
      });
      expect(call.error).toBe(error);
      expect(call.end_reason).toBe("sip_error");
      expect(await sipp.exited, sipp.output()).toBe(0);
    });
  }
});
