import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEngine, type TestEngine } from "../helpers/engine.js";

// The daily window with the dispatcher's injectable clock: a real engine and database, the clock set by the
// test and the dispatcher's pass run by hand (its own timer is set to an hour). Telephony is off, so a lead
// that is dialled gets its call row and then fails ("cannot place calls"): what is checked here is WHEN the
// dial happens, in whose local time.
let now = new Date("2026-12-07T07:59:59Z"); // Monday 08:59:59 in Amsterdam
let t: TestEngine;
let campaignId: string;

beforeAll(async () => {
  t = await startTestEngine({ sipPort: null, campaigns: { clock: () => now, tickMs: 3_600_000 } });
  const agent = (
    (await (await t.api("/api/v1/assistants", { method: "POST", json: { name: "Reminder" } })).json()) as any
  ).assistant.id;
  const trunk = (
    (await (
      await t.api("/api/v1/sip-trunks", { method: "POST", json: { name: "carrier", host: "127.0.0.1", port: 5099 } })
    ).json()) as any
  ).trunk;
  await t.api("/api/v1/numbers", { method: "POST", json: { phone_number: "+31850835037", sip_trunk_id: trunk.id } });
  const created = await t.api("/api/v1/campaigns", {
    method: "POST",
    json: {
      name: "Window",
      agent_id: agent,
      weekdays: [1, 2, 3, 4, 5],
      max_concurrency: 5,
      calls_per_second: 10,
      leads: [
        { phone_number: "+31612340001", name: "Amsterdam" },
        { phone_number: "+31612340002", name: "New York", variables: { timezone: "America/New_York" } },
      ],
    },
  });
  campaignId = ((await created.json()) as any).campaign.id;
  await t.api(`/api/v1/campaigns/${campaignId}`, { method: "PATCH", json: { status: "scheduled" } });
});
afterAll(async () => {
  await t?.stop();
});

const lead = (phone: string) =>
  t.store.db
    .prepare("SELECT status, attempts, call_id, last_attempt_at FROM campaign_leads WHERE phone_number = ?")
    .get(phone) as { status: string; attempts: number; call_id: string | null; last_attempt_at: string | null };
const pass = async (at: string) => {
  now = new Date(at);
  t.engine.campaigns.tick();
  await new Promise((r) => setTimeout(r, 120));
}; // longer than the 100 ms between dials at 10 per second

describe("campaign window (09:00–17:00 Europe/Amsterdam, Monday to Friday)", () => {
  it("a lead is not dialled before its local window opens, and is dialled once it does, in its own time zone", async () => {
    await pass("2026-12-07T07:59:59Z");
    expect(lead("+31612340001").attempts).toBe(0);
    expect(t.store.db.prepare("SELECT COUNT(*) FROM calls").pluck().get()).toBe(0);

    await pass("2026-12-07T08:00:00Z"); // 09:00 in Amsterdam, 03:00 in New York
    expect(lead("+31612340001")).toMatchObject({ attempts: 1, last_attempt_at: "2026-12-07T08:00:00.000Z" });
    expect(t.store.calls.get(lead("+31612340001").call_id!)).toMatchObject({
      destination: "+31612340001",
      direction: "outbound",
    });
    expect(lead("+31612340002")).toMatchObject({ status: "pending", attempts: 0 });

    await pass("2026-12-07T13:59:59Z"); // 08:59:59 in New York
    expect(lead("+31612340002").attempts).toBe(0);
    await pass("2026-12-07T14:00:00Z"); // 09:00 in New York, 15:00 in Amsterdam
    expect(lead("+31612340002")).toMatchObject({ attempts: 1, last_attempt_at: "2026-12-07T14:00:00.000Z" });
  });

  it("the end is exclusive and the weekend is closed; an edit while paused changes the window", async () => {
    const add = (phone: string) =>
      t.api(`/api/v1/campaigns/${campaignId}/leads`, { method: "POST", json: { phone_number: phone } });
    await add("+31612340003");
    await pass("2026-12-07T16:00:00Z"); // 17:00 in Amsterdam
    expect(lead("+31612340003").attempts).toBe(0);
    await pass("2026-12-12T10:00:00Z"); // Saturday 11:00
    expect(lead("+31612340003").attempts).toBe(0);
    await t.api(`/api/v1/campaigns/${campaignId}`, { method: "PATCH", json: { status: "paused" } });
    await t.api(`/api/v1/campaigns/${campaignId}`, { method: "PATCH", json: { weekdays: [6, 7] } });
    await pass("2026-12-12T10:00:00Z");
    expect(lead("+31612340003").attempts).toBe(0); // paused: nothing is dialled
    await t.api(`/api/v1/campaigns/${campaignId}`, { method: "PATCH", json: { status: "scheduled" } });
    await pass("2026-12-12T10:00:00Z");
    expect(lead("+31612340003")).toMatchObject({ attempts: 1, last_attempt_at: "2026-12-12T10:00:00.000Z" });
  });

  it("leads waiting for another zone's window never hold back leads whose window is open", async () => {
    const agent = t.store.campaigns.get(campaignId)!.agent_id;
    const leads = Array.from({ length: 80 }, (_, i) => ({
      phone_number: `+3161235${String(i).padStart(4, "0")}`,
      variables: { timezone: "America/Los_Angeles" },
    }));
    leads.push({ phone_number: "+31612349999", variables: {} as never });
    const c = (
      (await (
        await t.api("/api/v1/campaigns", {
          method: "POST",
          json: { name: "Zones", agent_id: agent, max_concurrency: 1, leads },
        })
      ).json()) as any
    ).campaign;
    await t.api(`/api/v1/campaigns/${c.id}`, { method: "PATCH", json: { status: "scheduled" } });
    await pass("2026-12-08T08:30:00Z"); // Tuesday 09:30 in Amsterdam, 00:30 in Los Angeles
    expect(lead("+31612349999")).toMatchObject({ attempts: 1 });
    expect(t.store.db.prepare("SELECT SUM(attempts) FROM campaign_leads WHERE campaign_id = ?").pluck().get(c.id)).toBe(
      1,
    );
    await t.api(`/api/v1/campaigns/${c.id}`, { method: "PATCH", json: { status: "cancelled" } });
  });
});
