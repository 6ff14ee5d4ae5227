import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEngine, type TestEngine } from "../../helpers/engine.js";
import { hasSipp, rejectScenario, startSippUas, type Sipp } from "../../helpers/sipp.js";
import { waitFor } from "../../helpers/wait.js";


describe.skipIf(!hasSipp)("POST /calls/outbound to a sipp UAS (skipped only where sip-tester is not installed)", () => {
  let t: TestEngine;
  let assistantId: string;
  beforeAll(async () => {
    t = await startTestEngine();
    assistantId = ((await (await t.api("/api/v1/assistants", { method: "POST", json: { name: "Caller" } })).json()) as any).assistant.id;
  });
  afterAll(async () => { await t?.stop(); });

  /** A trunk pointing at this sipp (no registration), and a number on it as caller ID. */
  async function trunkTo(sipp: Sipp): Promise<string> {
    for (const trunk of t.store.sipTrunks.list()) await t.api(`/api/v1/sip-trunks/${trunk.id}`, { method: "DELETE" });
    const trunk = ((await (await t.api("/api/v1/sip-trunks", { method: "POST", json: { name: "sipp", host: "127.0.0.1", port: sipp.port } })).json()) as any).trunk;
    await waitFor(() => t.engine.telephony!.stack.userAgent(trunk.id));
    const numbers = t.store.numbers.list();
    if (numbers.length) await t.api(`/api/v1/numbers/${numbers[0].id}`, { method: "PATCH", json: { sip_trunk_id: trunk.id } });
    else await t.api("/api/v1/numbers", { method: "POST", json: { phone_number: "+31850835037", sip_trunk_id: trunk.id } });
    return trunk.id;
  }

  async function place(): Promise<string> {
    const res = await t.api("/api/v1/calls/outbound", { method: "POST", json: { destination: "+31612345678", assistant_id: assistantId } });
    expect(res.status).toBe(200);
    return ((await res.json()) as any).call_id;
  }

  it("is answered (in-progress), and end-call through the control API sends BYE", async () => {
    const sipp = await startSippUas({ rtpEcho: true });
    await trunkTo(sipp);
    const id = await place();
    await waitFor(() => t.store.calls.get(id)!.status === "in-progress");
    // Speaking needs the voice pipeline (issue #5): refused clearly, and the call goes on.
    const say = await t.api(`/api/v1/calls/${id}/control`, { method: "POST", json: { type: "say", content: "Hello", end_after: false } });
    expect(say.status).toBe(501);
    expect(((await say.json()) as any).message).toMatch(/needs the voice pipeline/);
    const res = await t.api(`/api/v1/calls/${id}/control`, { method: "POST", json: { type: "end-call" } });
    expect(res.status).toBe(200);
    const call = await waitFor(() => { const c = t.store.calls.get(id)!; return c.status === "ended" && c; });
    expect(call).toMatchObject({ direction: "outbound", end_reason: "assistant_hangup", caller_phone: "+31612345678", assistant_phone: "+31850835037" });
    expect(await sipp.exited, sipp.output()).toBe(0);
  });

  for (const [code, phrase, error] of [[486, "Busy Here", "busy"], [603, "Decline", "declined"], [404, "Not Found", "not found"]] as const) {
    it(`a ${code} ends the call as failed with the error "${error}"`, async () => {
      const sipp = await startSippUas({ scenarioXml: rejectScenario(code, phrase) });
      await trunkTo(sipp);
      const id = await place();
      const call = await waitFor(() => { const c = t.store.calls.get(id)!; return c.status === "failed" && c; });
      expect(call.error).toBe(error);
      expect(call.end_reason).toBe("sip_error");
      expect(await sipp.exited, sipp.output()).toBe(0);
    });
  }
});
