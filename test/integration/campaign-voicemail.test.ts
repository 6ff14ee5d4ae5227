import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEngine, type TestEngine } from "../helpers/engine.js";
import { waitFor } from "../helpers/wait.js";

// A campaign lead that reaches an answering machine every time (issue #17's policy "voicemail: the
// message left only on the last try"): a real engine, database and dispatcher with its injectable clock; the
// dialer is replaced by one that "answers" and ends each call `voicemail` (what the voice session does on a
// machine, tested in test/unit/voice-voicemail.test.ts and test/integration/sip/voicemail.test.ts), and
// records which voicemail_message each attempt's assistant carried.
const MESSAGE = "Hi, this is Acme Dental about your appointment. Please call us back.";
let now = new Date("2026-12-07T10:00:00Z"); // Monday 11:00 in Amsterdam
let t: TestEngine;
const dials: { destination: string; message: unknown; detection: unknown }[] = [];

beforeAll(async () => {
  t = await startTestEngine({
    sipPort: null,
    campaigns: { clock: () => now, tickMs: 3_600_000, retry: { voicemail: { maxAttempts: 3, delayMs: 60_000 } } },
  });
  t.engine.calls.setDialer({
    async dial(req) {
      dials.push({
        destination: req.destination,
        message: req.assistant.voicemail_message,
        detection: req.assistant.voicemail_detection,
      });
      t.engine.calls.transition(req.callId, "in-progress");
      t.engine.calls.transition(req.callId, "ended", { end_reason: "voicemail" });
    },
  });
});
afterAll(async () => {
  await t?.stop();
});

describe("campaign: a lead that reaches voicemail", () => {
  it("is tried 3 times; only the last attempt leaves the message, which completes the lead", async () => {
    const agent = (
      (await (
        await t.api("/api/v1/assistants", {
          method: "POST",
          json: { name: "Reminder", voicemail_detection: true, voicemail_message: MESSAGE },
        })
      ).json()) as any
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
        name: "Reminders",
        agent_id: agent,
        calls_per_second: 10,
        leads: [{ phone_number: "+31612340001", name: "Mark" }],
      },
    });
    const id = ((await created.json()) as any).campaign.id;
    await t.api(`/api/v1/campaigns/${id}`, { method: "PATCH", json: { status: "scheduled" } });
    const lead = () =>
      t.store.db.prepare("SELECT status, attempts, last_outcome FROM campaign_leads WHERE campaign_id = ?").get(id) as {
        status: string;
        attempts: number;
        last_outcome: string | null;
      };

    for (let attempt = 1; attempt <= 3; attempt++) {
      await new Promise((r) => setTimeout(r, 120)); // longer than the 100 ms between dials at 10 per second
      t.engine.campaigns.tick();
      await waitFor(() => lead().status !== "calling" && lead().attempts === attempt && lead()).catch((e) => {
        throw new Error(
          `${e.message}: ${JSON.stringify({ lead: lead(), dials, calls: t.store.db.prepare("SELECT status, end_reason, error FROM calls").all(), campaign: t.store.campaigns.get(id) })}`,
        );
      });
      if (attempt < 3) {
        expect(lead()).toMatchObject({ status: "pending", last_outcome: "voicemail" });
        // Not again before the retry delay.
        await new Promise((r) => setTimeout(r, 120));
        t.engine.campaigns.tick();
        await new Promise((r) => setTimeout(r, 50));
        expect(lead().attempts).toBe(attempt);
        now = new Date(now.getTime() + 60_000);
      }
    }
    expect(dials).toEqual([
      { destination: "+31612340001", message: null, detection: true },
      { destination: "+31612340001", message: null, detection: true },
      { destination: "+31612340001", message: MESSAGE, detection: true },
    ]);
    expect(lead()).toMatchObject({ status: "completed", attempts: 3, last_outcome: "voicemail" });
    await waitFor(() =>
      (t.store.campaigns.get(id) as any)?.status === "completed" ? true : (t.engine.campaigns.tick(), false),
    );
  });
});
