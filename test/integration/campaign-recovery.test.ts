import { afterAll, describe, expect, it } from "vitest";
import { rmSync } from "node:fs";
import { startTestEngine, type TestEngine } from "../helpers/engine.js";
import { newCallId } from "../../main/engine/util/ids.js";

// Recovery of leads left `calling` by an engine that stopped, from what their call rows say, on a real
// database reopened by a new engine. The rows are written as the dispatcher writes them (the claim
// transaction, then the `invite` event the dialer writes before the INVITE leaves); the real-process
// SIGKILL version is test/integration/sip/campaign-crash.test.ts.
describe("campaign recovery at start", () => {
  let t: TestEngine | undefined;
  afterAll(async () => {
    if (t) {
      const dir = t.dataDir;
      await t.stop({ keepData: true });
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("never dialled → pending, attempt not counted; dialled and cut → retried as the next attempt; ended → its outcome", async () => {
    t = await startTestEngine({ sipPort: null, campaigns: { tickMs: 3_600_000 } });
    const agent = ((await (await t.api("/api/v1/assistants", { method: "POST", json: { name: "A" } })).json()) as any)
      .assistant.id;
    const c = (
      (await (
        await t.api("/api/v1/campaigns", {
          method: "POST",
          json: {
            name: "R",
            agent_id: agent,
            status: "paused",
            leads: ["+31612340001", "+31612340002", "+31612340003", "+31612340004"].map((phone_number) => ({
              phone_number,
            })),
          },
        })
      ).json()) as any
    ).campaign;
    const leads = t.store.campaigns.leads(c.id, 10, 0).leads;
    const claim = (i: number) =>
      t!.store.durableTx(() => {
        const call = t!.engine.calls.create({
          id: newCallId("outbound"),
          status: "connecting",
          direction: "outbound",
          destination: leads[i].phone_number,
          metadata: { lead_id: leads[i].id },
        } as never);
        t!.store.campaigns.markCalling(leads[i].id, call.id, new Date().toISOString());
        return call.id;
      });
    claim(0); // claimed, crashed before the INVITE
    const cut = claim(1);
    t.store.calls.addEvent(cut, "invite"); // INVITE sent, crashed while it rang
    const answered = claim(2);
    t.store.calls.addEvent(answered, "invite");
    t.engine.calls.transition(answered, "in-progress");
    // The end is on disk but the engine died before it settled the lead (simulated: the settle is undone).
    t.engine.calls.transition(answered, "ended", { end_reason: "user_hangup" });
    t.store.db
      .prepare("UPDATE campaign_leads SET status = 'calling', last_outcome = NULL WHERE call_id = ?")
      .run(answered);

    const dataDir = t.dataDir;
    await t.stop({ keepData: true });
    t = await startTestEngine({ sipPort: null, dataDir, campaigns: { tickMs: 3_600_000 } });
    const after = new Map(t.store.campaigns.leads(c.id, 10, 0).leads.map((l) => [l.phone_number, l]));
    expect(after.get("+31612340001")).toMatchObject({
      status: "pending",
      attempts: 0,
      call_id: null,
      last_outcome: "not dialled (engine restart)",
    });
    expect(after.get("+31612340002")).toMatchObject({
      status: "pending",
      attempts: 1,
      call_id: cut,
      last_outcome: "interrupted",
    });
    expect(t.store.calls.get(cut)).toMatchObject({ status: "failed", end_reason: "engine_restart" });
    expect(after.get("+31612340003")).toMatchObject({
      status: "completed",
      attempts: 1,
      call_id: answered,
      last_outcome: "answered",
    });
    expect(after.get("+31612340004")).toMatchObject({ status: "pending", attempts: 0 });
    expect(t.store.campaigns.callingLeads()).toEqual([]);
  });

  it("a call that ends after its campaign was cancelled is not retried: its lead is skipped", async () => {
    const agent = ((await (await t!.api("/api/v1/assistants", { method: "POST", json: { name: "B" } })).json()) as any)
      .assistant.id;
    const c = (
      (await (
        await t!.api("/api/v1/campaigns", {
          method: "POST",
          json: { name: "C", agent_id: agent, status: "paused", leads: [{ phone_number: "+31612340009" }] },
        })
      ).json()) as any
    ).campaign;
    const lead = t!.store.campaigns.leads(c.id, 10, 0).leads[0];
    const callId = t!.store.durableTx(() => {
      const call = t!.engine.calls.create({
        id: newCallId("outbound"),
        status: "connecting",
        direction: "outbound",
        destination: lead.phone_number,
      } as never);
      t!.store.campaigns.markCalling(lead.id, call.id, new Date().toISOString());
      return call.id;
    });
    await t!.api(`/api/v1/campaigns/${c.id}`, { method: "PATCH", json: { status: "cancelled" } });
    expect(t!.store.campaigns.lead(lead.id)!.status).toBe("calling"); // the call in progress finishes
    t!.engine.calls.transition(callId, "failed", { end_reason: "no_answer", error: "no answer after 60 s" });
    expect(t!.store.campaigns.lead(lead.id)).toMatchObject({
      status: "skipped",
      attempts: 1,
      last_outcome: "no_answer; campaign cancelled",
    });
  });
});
