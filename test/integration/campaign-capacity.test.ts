import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEngine, type TestEngine } from "../helpers/engine.js";
import { newCallId } from "../../main/engine/util/ids.js";

// Issue #17: "the dispatcher respects the trunk's capacity, and shares it with inbound calls (inbound has
// priority)". A real engine, database and dispatcher; the dialer is replaced by one that answers each call
// and keeps it up until the test ends it, and inbound calls are rows on the trunk's number as telephony
// writes them (connecting while they ring, in-progress once answered), so the count is what the
// dispatcher reads from the store.
let t: TestEngine;
const dialled: string[] = [];

beforeAll(async () => {
  t = await startTestEngine({ sipPort: null, campaigns: { tickMs: 3_600_000 } });
  t.engine.calls.setDialer({
    async dial(req) {
      dialled.push(req.callId);
      t.engine.calls.transition(req.callId, "in-progress");
    },
  });
});
afterAll(async () => {
  await t?.stop();
});

const post = async (path: string, json: unknown) => (await t.api(path, { method: "POST", json })).json() as any;

describe("campaign calls share the trunk with inbound calls", () => {
  it("keeps one channel free for inbound, counts inbound calls, and does not dial while one rings", async () => {
    const trunk = (
      await post("/api/v1/sip-trunks", { name: "carrier", host: "127.0.0.1", port: 5099, max_channels: 3 })
    ).trunk;
    expect(trunk.max_channels).toBe(3);
    const number = (await post("/api/v1/numbers", { phone_number: "+31850835037", sip_trunk_id: trunk.id })).number;
    const agent = (await post("/api/v1/assistants", { name: "Reminder" })).assistant.id;
    const leads = Array.from({ length: 6 }, (_, i) => ({ phone_number: `+3161234000${i}` }));
    const id = (
      await post("/api/v1/campaigns", {
        name: "Reminders",
        agent_id: agent,
        number_id: number.id,
        schedule_start_time: "00:00:00",
        schedule_end_time: "00:00:00",
        max_concurrency: 5,
        calls_per_second: 10,
        leads,
      })
    ).campaign.id;
    await t.api(`/api/v1/campaigns/${id}`, { method: "PATCH", json: { status: "scheduled" } });
    // Passes enough to dial every lead that has room, each past the 100 ms between dials at 10 per second.
    const tick = async () => {
      for (let i = 0; i < 4; i++) {
        await new Promise((r) => setTimeout(r, 105));
        t.engine.campaigns.tick();
      }
    };
    const inbound = (status: "connecting" | "in-progress") =>
      t.engine.calls.create({
        id: newCallId("inbound"),
        status,
        direction: "inbound",
        number_id: number.id,
        caller_phone: "+31201234567",
      });
    const campaignCalls = () => t.store.campaigns.countByStatus(id, "calling");

    // A person is on an inbound call: 3 channels − 1 kept free − 1 in use leave one for the campaign.
    const first = inbound("in-progress");
    await tick();
    expect(campaignCalls()).toBe(1);
    expect(t.store.sipTrunks.load(trunk.id)).toEqual({ calls: 2, inboundRinging: 0 });

    // The inbound call ends: two campaign calls, never the third channel.
    t.engine.calls.transition(first.id, "ended", { end_reason: "customer_hangup" });
    await tick();
    expect(campaignCalls()).toBe(2);

    // An inbound call rings: a channel frees up, but nothing is dialled while it is being set up.
    const ringing = inbound("connecting");
    t.engine.calls.transition(dialled[0], "ended", { end_reason: "customer_hangup" });
    await tick();
    expect(campaignCalls()).toBe(1);
    // Answered, it holds its channel: 1 campaign call + 1 inbound = the 2 usable channels.
    t.engine.calls.transition(ringing.id, "in-progress");
    await tick();
    expect(campaignCalls()).toBe(1);
    t.engine.calls.transition(ringing.id, "ended", { end_reason: "customer_hangup" });
    await tick();
    expect(campaignCalls()).toBe(2);
    // At no point did the trunk carry more than its 3 channels; the campaign never took the last one.
    expect(dialled).toHaveLength(3);
  });

  it("max_channels is validated and can be cleared (null: no limit)", async () => {
    const bad = await t.api("/api/v1/sip-trunks", {
      method: "POST",
      json: { name: "x", host: "127.0.0.1", max_channels: 0 },
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).message).toMatch(/max_channels/);
    const trunk = (await post("/api/v1/sip-trunks", { name: "y", host: "127.0.0.1", max_channels: 10 })).trunk;
    const cleared = await t.api(`/api/v1/sip-trunks/${trunk.id}`, { method: "PATCH", json: { max_channels: null } });
    expect(cleared.status).toBe(200);
    expect(((await cleared.json()) as any).trunk.max_channels).toBeNull();
  });
});
