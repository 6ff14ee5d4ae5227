import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEngine, type TestEngine } from "../helpers/engine.js";

// The read-only additions the console's campaign pages use (issue #17 point 4): the CSV import's dry run and
// a campaign's progress, against a real engine and SQLite file. The dispatcher's timer is an hour, so leads
// move only when the test moves them.
let t: TestEngine;
let agentId: string;
beforeAll(async () => {
  t = await startTestEngine({ sipPort: null, campaigns: { tickMs: 3_600_000 } });
  agentId = ((await (await t.api("/api/v1/assistants", { method: "POST", json: { name: "Reminder" } })).json()) as any)
    .assistant.id;
});
afterAll(async () => {
  await t.stop();
});

async function call(method: string, path: string, json?: unknown) {
  const res = await t.api(`/api/v1${path}`, { method, ...(json !== undefined ? { json } : {}) });
  return { status: res.status, body: (await res.json()) as any };
}
const create = async (extra: Record<string, unknown> = {}) =>
  (await call("POST", "/campaigns", { name: "Reminders", agent_id: agentId, ...extra })).body.campaign;

const CSV = [
  "phone,name,appointment_dat,city",
  "+31 6 1234 0001,Jan,Friday,Utrecht",
  "06-12340002,Piet,Monday,Delft",
  "0031612340001,,Saturday,", // the first row again: merged into it
  "+31612340009,Kees,Tuesday,Breda", // already a lead of the campaign
  "+31612340003,Anna,Tuesday,Gouda,extra",
].join("\n");

describe("CSV import dry run", () => {
  it("previews rows, errors, merges and template variables no column feeds, and adds nothing", async () => {
    const c = await create({
      system_message_template: "Remind {{name}} of {{appointment_date}} in {{city}}.",
      leads: [{ phone_number: "+31612340009", name: "Kees", variables: { appointment_date: "Monday" } }],
    });
    const r = await call("POST", `/campaigns/${c.id}/leads/import?dry_run=true`, { csv: CSV });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      dry_run: true,
      imported: 1,
      merged: 2,
      columns: { phone: "phone_number", name: "name", appointment_dat: "appointment_dat", city: "city" },
      template_variables_without_column: ["appointment_date"],
    });
    expect(r.body.errors).toEqual([
      { row: 3, message: expect.stringContaining("'06-12340002' is not a phone number") },
      { row: 6, message: expect.stringContaining("5 fields but 4 columns") },
    ]);
    expect(r.body.preview).toEqual([
      {
        row: 2,
        phone_number: "+31612340001",
        name: "Jan",
        variables: { appointment_dat: "Friday", city: "Utrecht" },
        merge: "new",
        merged_with_row: null,
        missing_variables: ["appointment_date"],
      },
      {
        row: 4,
        phone_number: "+31612340001",
        name: null,
        variables: { appointment_dat: "Saturday" },
        merge: "file",
        merged_with_row: 2,
        // Merged with row 2, the lead keeps Jan's name and city.
        missing_variables: ["appointment_date"],
      },
      {
        row: 5,
        phone_number: "+31612340009",
        name: "Kees",
        variables: { appointment_dat: "Tuesday", city: "Breda" },
        merge: "existing",
        merged_with_row: null,
        // The campaign's lead already has appointment_date: the merged lead lacks nothing.
        missing_variables: [],
      },
    ]);
    const leads = await call("GET", `/campaigns/${c.id}/leads`);
    expect(leads.body.leads.map((l: any) => l.phone_number)).toEqual(["+31612340009"]);

    // The same file with the header mapped imports what the dry run announced.
    const real = await call("POST", `/campaigns/${c.id}/leads/import`, {
      csv: CSV,
      mapping: { appointment_dat: "appointment_date" },
    });
    expect(real.body).toMatchObject({ imported: 1, merged: 2 });
    expect(real.body.preview).toBeUndefined();
    expect(real.body.dry_run).toBeUndefined();
    expect((await call("GET", `/campaigns/${c.id}`)).body.campaign.total_leads).toBe(2);
  });

  it("refuses a dry_run that is not a boolean, and a read-only campaign, with {error, message}", async () => {
    const c = await create();
    const bad = await call("POST", `/campaigns/${c.id}/leads/import?dry_run=perhaps`, { csv: "phone\n+31612340001" });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: expect.any(String), message: expect.stringContaining("dry_run") });
    await call("PATCH", `/campaigns/${c.id}`, { status: "cancelled" });
    const ro = await call("POST", `/campaigns/${c.id}/leads/import?dry_run=true`, { csv: "phone\n+31612340001" });
    expect(ro.status).toBe(409);
    expect(ro.body.message).toContain("cancelled");
  });
});

describe("campaign progress", () => {
  it("counts leads by status, calls in flight and retries waiting, and estimates the time left", async () => {
    const c = await create({
      max_concurrency: 2,
      calls_per_second: 1,
      schedule_start_time: "00:00",
      schedule_end_time: "00:00",
      leads: ["+31612340101", "+31612340102", "+31612340103", "+31612340104", "+31612340105"].map((phone_number) => ({
        phone_number,
      })),
    });
    const first = await call("GET", `/campaigns/${c.id}/progress`);
    expect(first.status).toBe(200);
    expect(first.body.progress).toEqual({
      leads_by_status: { pending: 5, calling: 0, completed: 0, failed: 0, skipped: 0 },
      calls_in_flight: 0,
      retry_waiting: 0,
      window_open_now: true,
      attempts_ended: 0,
      average_attempt_seconds: 120,
      eta_basis: "assumed",
      // 5 leads, 2 at a time: 3 waves of the assumed 120 s.
      eta_seconds: 360,
    });

    // Move leads as the dispatcher would: one ended attempt of 30 s, one call in flight, one retry waiting.
    const leads = (await call("GET", `/campaigns/${c.id}/leads`)).body.leads as { id: string }[];
    const started = new Date(Date.now() - 30_000).toISOString();
    t.store.calls.create({
      id: "call-progress-1",
      status: "connecting",
      direction: "outbound",
      metadata: { campaign_id: c.id, lead_id: leads[0].id },
      created_at: started,
    } as any);
    t.store.calls.update("call-progress-1", { status: "ended", ended_at: new Date().toISOString() } as any);
    t.store.campaigns.markCalling(leads[0].id, "call-progress-1", started);
    t.store.campaigns.settle(leads[0].id, "completed", "answered");
    t.store.campaigns.markCalling(leads[1].id, "call-progress-2", new Date().toISOString());
    t.store.campaigns.settle(leads[2].id, "pending", "busy", new Date(Date.now() + 900_000).toISOString());
    t.store.campaigns.settle(leads[3].id, "skipped", "do_not_call");

    const p = (await call("GET", `/campaigns/${c.id}/progress`)).body.progress;
    expect(p.leads_by_status).toEqual({ pending: 2, calling: 1, completed: 1, failed: 0, skipped: 1 });
    expect(p.calls_in_flight).toBe(1);
    expect(p.retry_waiting).toBe(1);
    expect(p.attempts_ended).toBe(1);
    expect(p.eta_basis).toBe("observed");
    expect(p.average_attempt_seconds).toBeGreaterThanOrEqual(29.5);
    expect(p.average_attempt_seconds).toBeLessThan(40);
    // 3 leads left, 2 at a time: 2 waves of the observed attempt length.
    expect(p.eta_seconds).toBe(Math.ceil(2 * p.average_attempt_seconds));

    await call("PATCH", `/campaigns/${c.id}`, { status: "cancelled" });
    expect((await call("GET", `/campaigns/${c.id}/progress`)).body.progress.eta_seconds).toBeNull();
  });

  it("answers 404 for an unknown campaign and 400 for an id that is not a uuid", async () => {
    expect((await call("GET", "/campaigns/00000000-0000-4000-8000-000000000000/progress")).status).toBe(404);
    const bad = await call("GET", "/campaigns/nope/progress");
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: expect.any(String), message: expect.any(String) });
  });

  it("is in the OpenAPI document, with the import's dry_run parameter", async () => {
    const doc = (await (await t.api("/api/openapi.json")).json()) as any;
    expect(doc.paths["/api/v1/campaigns/{id}/progress"]?.get).toBeDefined();
    const params = doc.paths["/api/v1/campaigns/{id}/leads/import"].post.parameters as { name: string }[];
    expect(params.map((p) => p.name)).toContain("dry_run");
  });
});
