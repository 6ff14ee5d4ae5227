import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEngine, type TestEngine } from "../helpers/engine.js";

// The campaign API (api-v1 §15, the SDK's Campaigns resource) and its local additions, against a real
// engine over HTTP with a real SQLite file. Telephony is off here (sipPort null), and the dispatcher's own
// timer is set to an hour so that statuses change only when a test says so (it runs a pass by hand).
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

describe("campaigns", () => {
  it("POST creates a draft with the documented defaults and 201; GET, list and the counters agree", async () => {
    const r = await call("POST", "/campaigns", {
      name: "Dentist",
      agent_id: agentId,
      system_message_template: "Remind {{name}} of {{date}}.",
      leads: [
        { phone_number: "+31612345678", variables: { name: "Jan", date: "Friday" } },
        { phone_number: "+31612345679", name: "Piet" },
      ],
    });
    expect(r.status).toBe(201);
    expect(r.body.campaign).toMatchObject({
      name: "Dentist",
      agent_id: agentId,
      status: "draft",
      system_message_template: "Remind {{name}} of {{date}}.",
      schedule_start_time: "09:00:00",
      schedule_end_time: "17:00:00",
      timezone: "Europe/Amsterdam",
      total_leads: 2,
      completed_leads: 0,
      failed_leads: 0,
      max_concurrency: 2,
      calls_per_second: 1,
      weekdays: [1, 2, 3, 4, 5, 6, 7],
      last_error: null,
    });
    expect(r.body.campaign.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.body.campaign.created_at).toMatch(/Z$/);
    const got = await call("GET", `/campaigns/${r.body.campaign.id}`);
    expect(got.body.campaign).toEqual(r.body.campaign);
    const list = await call("GET", "/campaigns");
    expect(list.body.campaigns.map((c: any) => c.id)).toContain(r.body.campaign.id);
  });

  it("every invalid input is a 400 {error, message} naming the field", async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ name: "x" }, /agent_id is required/],
      [{ agent_id: agentId }, /body.name is required/],
      [{ name: "x", agent_id: "not-a-uuid" }, /agent_id/],
      [{ name: "x", agent_id: "00000000-0000-4000-8000-000000000000" }, /does not exist/],
      [{ name: "x", agent_id: agentId, schedule_start_time: "25:00:00" }, /schedule_start_time/],
      [{ name: "x", agent_id: agentId, schedule_end_time: "noon" }, /schedule_end_time/],
      [{ name: "x", agent_id: agentId, timezone: "Mars/Olympus" }, /IANA time zone/],
      [{ name: "x", agent_id: agentId, status: "completed" }, /status/],
      [{ name: "x", agent_id: agentId, max_concurrency: 0 }, /max_concurrency/],
      [{ name: "x", agent_id: agentId, weekdays: [8] }, /weekdays/],
      [{ name: "x", agent_id: agentId, leads: [{ phone_number: "0612345678" }] }, /phone_number/],
      [{ name: "x", agent_id: agentId, leads: [{ phone_number: "+31612345678", variables: { n: 3 } }] }, /variables/],
      [
        { name: "x", agent_id: agentId, leads: [{ phone_number: "+31612345678", variables: { timezone: "Nowhere" } }] },
        /timezone/,
      ],
      [{ name: "x", agent_id: agentId, colour: "red" }, /additional properties|colour/],
    ];
    for (const [body, message] of cases) {
      const r = await call("POST", "/campaigns", body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(Object.keys(r.body).sort()).toEqual(expect.arrayContaining(["error", "message"]));
      expect(r.body.message, JSON.stringify(body)).toMatch(message);
    }
    const c = await create();
    for (const body of [
      {},
      { status: "running" },
      { schedule_start_time: "9am" },
      { timezone: "" },
      { calls_per_second: 0 },
    ]) {
      const r = await call("PATCH", `/campaigns/${c.id}`, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error).toBe("Bad Request");
    }
    expect((await call("GET", "/campaigns/00000000-0000-4000-8000-000000000000")).status).toBe(404);
    expect((await call("GET", "/campaigns/nope")).status).toBe(400);
  });

  it("statuses: draft → scheduled ⇄ paused, edits while paused, cancelled and completed are read-only", async () => {
    const c = await create({ leads: [{ phone_number: "+31612345678" }] });
    const go = (body: Record<string, unknown>) => call("PATCH", `/campaigns/${c.id}`, body);
    expect((await go({ status: "scheduled" })).body.campaign.status).toBe("scheduled");
    expect((await go({ status: "paused" })).body.campaign.status).toBe("paused");
    const edited = await go({
      system_message_template: "Hi {{name}}",
      schedule_start_time: "08:30",
      schedule_end_time: "20:00:00",
      timezone: "America/New_York",
      weekdays: [5, 1],
      max_concurrency: 3,
    });
    expect(edited.status).toBe(200);
    expect(edited.body.campaign).toMatchObject({
      status: "paused",
      system_message_template: "Hi {{name}}",
      schedule_start_time: "08:30:00",
      schedule_end_time: "20:00:00",
      timezone: "America/New_York",
      weekdays: [1, 5],
      max_concurrency: 3,
    });
    expect((await go({ status: "scheduled" })).body.campaign.status).toBe("scheduled");
    const done = await go({ status: "completed" });
    expect(done.status).toBe(400);
    expect(done.body.message).toMatch(/set by VoiceDock/);
    expect((await go({ status: "draft" })).status).toBe(409);
    // The engine completes it (no telephony here: set as the dispatcher would), then it is read-only.
    t.store.campaigns.update(c.id, { status: "completed" });
    for (const r of [
      await go({ name: "again" }),
      await call("POST", `/campaigns/${c.id}/leads`, { phone_number: "+31612345670" }),
      await call(
        "DELETE",
        `/campaigns/${c.id}/leads/${(await call("GET", `/campaigns/${c.id}/leads`)).body.leads[0].id}`,
      ),
    ]) {
      expect(r.status).toBe(409);
      expect(r.body.message).toMatch(/completed and can no longer be modified/);
    }
    const x = await create({ leads: [{ phone_number: "+31612345678" }, { phone_number: "+31612345679" }] });
    const cancelled = await call("PATCH", `/campaigns/${x.id}`, { status: "cancelled" });
    expect(cancelled.body.campaign.status).toBe("cancelled");
    expect((await call("GET", `/campaigns/${x.id}/leads`)).body.leads.map((l: any) => l.status)).toEqual([
      "skipped",
      "skipped",
    ]);
    expect((await call("PATCH", `/campaigns/${x.id}`, { status: "scheduled" })).status).toBe(409);
  });

  it("leads: add (duplicates merged), list with paging, delete; a lead being called cannot be removed", async () => {
    const c = await create();
    const a = await call("POST", `/campaigns/${c.id}/leads`, {
      phone_number: "+31612345678",
      name: "Jan",
      variables: { date: "Friday" },
    });
    expect(a.status).toBe(200);
    expect(a.body.lead).toMatchObject({
      campaign_id: c.id,
      phone_number: "+31612345678",
      name: "Jan",
      variables: { date: "Friday" },
      status: "pending",
      attempts: 0,
      last_attempt_at: null,
      call_id: null,
    });
    const again = await call("POST", `/campaigns/${c.id}/leads`, {
      phone_number: "+31612345678",
      variables: { time: "10:00" },
    });
    expect(again.body.lead).toMatchObject({
      id: a.body.lead.id,
      name: "Jan",
      variables: { date: "Friday", time: "10:00" },
    });
    await call("POST", `/campaigns/${c.id}/leads`, { phone_number: "+31612345679" });
    await call("POST", `/campaigns/${c.id}/leads`, { phone_number: "+31612345670" });
    const all = await call("GET", `/campaigns/${c.id}/leads`);
    expect(all.body.leads.map((l: any) => l.phone_number)).toEqual(["+31612345678", "+31612345679", "+31612345670"]);
    expect(all.body.pagination).toMatchObject({ total: 3, offset: 0 });
    const page = await call("GET", `/campaigns/${c.id}/leads?limit=1&offset=1`);
    expect(page.body).toMatchObject({
      leads: [{ phone_number: "+31612345679" }],
      pagination: { total: 3, limit: 1, offset: 1 },
    });
    expect((await call("GET", `/campaigns/${c.id}`)).body.campaign.total_leads).toBe(3);
    expect((await call("DELETE", `/campaigns/${c.id}/leads/${a.body.lead.id}`)).body).toEqual({ success: true });
    expect((await call("DELETE", `/campaigns/${c.id}/leads/${a.body.lead.id}`)).status).toBe(404);
    const busy = all.body.leads[1].id;
    t.store.db.prepare("UPDATE campaign_leads SET status = 'calling' WHERE id = ?").run(busy);
    expect((await call("DELETE", `/campaigns/${c.id}/leads/${busy}`)).status).toBe(409);
    expect((await call("DELETE", `/campaigns/${c.id}`)).status).toBe(409);
    t.store.db.prepare("UPDATE campaign_leads SET status = 'completed' WHERE id = ?").run(busy);
    expect((await call("GET", `/campaigns/${c.id}`)).body.campaign).toMatchObject({
      total_leads: 2,
      completed_leads: 1,
      failed_leads: 0,
    });
    expect((await call("DELETE", `/campaigns/${c.id}`)).body).toEqual({ success: true });
    expect((await call("GET", `/campaigns/${c.id}/leads`)).status).toBe(404);
    expect(t.store.db.prepare("SELECT COUNT(*) FROM campaign_leads WHERE campaign_id = ?").pluck().get(c.id)).toBe(0);
  });

  it("CSV import: header mapping, numbers as people write them, an error per bad row, duplicates merged", async () => {
    const c = await create({ system_message_template: "Hello {{first_name}}" });
    await call("POST", `/campaigns/${c.id}/leads`, { phone_number: "+31612345678", variables: { first_name: "Old" } });
    const csv = [
      "Telefoon,Voornaam,Notes,timezone",
      '+31 6 1234 5678,Jan,"likes ""early"" calls, mornings",',
      "0031612345679,Piet,,Europe/London",
      "06-12345670,Klaas,,",
      ",Nobody,,",
      "+31612345679,Piet2,,",
      "+31612345671,Mia,,Mars/Base",
    ].join("\r\n");
    const r = await call("POST", `/campaigns/${c.id}/leads/import`, {
      csv,
      mapping: { Telefoon: "phone_number", Voornaam: "first_name", Notes: null },
    });
    expect(r.status).toBe(200);
    expect(r.body.columns).toEqual({
      Telefoon: "phone_number",
      Voornaam: "first_name",
      Notes: null,
      timezone: "timezone",
    });
    expect(r.body.imported).toBe(1);
    expect(r.body.merged).toBe(2);
    expect(r.body.errors).toEqual([
      { row: 4, message: "'06-12345670' is not a phone number in international form (E.164, e.g. +31612345678)" },
      { row: 5, message: "no phone number" },
      { row: 7, message: "timezone 'Mars/Base' is not an IANA time zone" },
    ]);
    const leads = (await call("GET", `/campaigns/${c.id}/leads`)).body.leads;
    expect(leads).toEqual([
      expect.objectContaining({ phone_number: "+31612345678", variables: { first_name: "Jan" } }),
      expect.objectContaining({
        phone_number: "+31612345679",
        variables: { first_name: "Piet2", timezone: "Europe/London" },
      }),
    ]);
    const bad = await call("POST", `/campaigns/${c.id}/leads/import`, { csv: "Naam,Stad\nJan,Delft\n" });
    expect(bad.body.errors[0].message).toMatch(/no phone number column/);
    const wrongMap = await call("POST", `/campaigns/${c.id}/leads/import`, {
      csv: "phone\n+31612345678\n",
      mapping: { Phone: "phone_number" },
    });
    expect(wrongMap.body.errors[0].message).toMatch(/mapping names column 'Phone'/);
    expect((await call("POST", `/campaigns/${c.id}/leads/import`, { csv: "" })).status).toBe(400);
  });

  it("the do-not-call list: add, list, remove; numbers must be E.164", async () => {
    const add = await call("POST", "/do-not-call", { phone_number: "+31612340000", reason: "asked on the phone" });
    expect(add.status).toBe(201);
    expect(add.body.number).toMatchObject({ phone_number: "+31612340000", reason: "asked on the phone" });
    expect((await call("POST", "/do-not-call", { phone_number: "12345" })).status).toBe(400);
    expect((await call("GET", "/do-not-call")).body.numbers.map((n: any) => n.phone_number)).toContain("+31612340000");
    expect((await call("DELETE", `/do-not-call/${encodeURIComponent("+31612340000")}`)).body).toEqual({
      success: true,
    });
    expect((await call("DELETE", `/do-not-call/${encodeURIComponent("+31612340000")}`)).status).toBe(404);
  });

  it("a scheduled campaign that cannot dial (no SIP trunk) is paused with the reason, and resumes once fixed", async () => {
    const c = await create({
      leads: [{ phone_number: "+31612345678" }],
      schedule_start_time: "00:00",
      schedule_end_time: "00:00",
    });
    await call("PATCH", `/campaigns/${c.id}`, { status: "scheduled" });
    t.engine.campaigns.tick();
    const paused = (await call("GET", `/campaigns/${c.id}`)).body.campaign;
    expect(paused).toMatchObject({
      status: "paused",
      last_error: expect.stringMatching(/No SIP trunk is configured: add one with POST \/api\/v1\/sip-trunks/),
    });
    expect((await call("GET", `/campaigns/${c.id}/leads`)).body.leads[0]).toMatchObject({
      status: "pending",
      attempts: 0,
    });
    expect(t.store.db.prepare("SELECT COUNT(*) FROM calls").pluck().get()).toBe(0);
    const resumed = (await call("PATCH", `/campaigns/${c.id}`, { status: "scheduled" })).body.campaign;
    expect(resumed).toMatchObject({ status: "scheduled", last_error: null });
    await call("PATCH", `/campaigns/${c.id}`, { status: "cancelled" });
  });

  it("a campaign whose leads are all done completes by itself; one without leads does not", async () => {
    const empty = await create({ status: "scheduled" });
    const c = await create({ leads: [{ phone_number: "+31612345678" }] });
    t.store.db.prepare("UPDATE campaign_leads SET status = 'completed' WHERE campaign_id = ?").run(c.id);
    await call("PATCH", `/campaigns/${c.id}`, { status: "scheduled" });
    t.engine.campaigns.tick();
    expect((await call("GET", `/campaigns/${c.id}`)).body.campaign).toMatchObject({
      status: "completed",
      total_leads: 1,
      completed_leads: 1,
    });
    expect((await call("GET", `/campaigns/${empty.id}`)).body.campaign.status).toBe("scheduled");
  });

  it("the official SDK's campaign calls work unchanged (its headers on every request, DELETE included)", async () => {
    // What hmsovereign-node's Campaigns resource sends: Content-Type and its User-Agent always, the body only when there is one.
    const sdk = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${t.url}/api/v1${path}`, {
        method,
        body: body ? JSON.stringify(body) : undefined,
        headers: {
          Authorization: `Bearer ${t.apiKey}`,
          "Content-Type": "application/json",
          "User-Agent": "hmsovereign-node/1.0.1",
        },
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    };
    const created = await sdk("POST", "/campaigns", {
      name: "SDK",
      agent_id: agentId,
      system_message_template: "Hi {{name}}",
      leads: [{ phone_number: "+31612345678", name: "Jan" }],
    });
    expect(created.status).toBe(201);
    const id = created.body.campaign.id;
    expect((await sdk("GET", "/campaigns")).body.campaigns.some((c: any) => c.id === id)).toBe(true);
    expect((await sdk("GET", `/campaigns/${encodeURIComponent(id)}`)).body.campaign.name).toBe("SDK");
    expect((await sdk("PATCH", `/campaigns/${id}`, { status: "paused" })).body.campaign.status).toBe("paused");
    const lead = (
      await sdk("POST", `/campaigns/${id}/leads`, {
        phone_number: "+31612345679",
        name: "Piet",
        variables: { name: "Piet" },
      })
    ).body.lead;
    expect(lead).toMatchObject({ campaign_id: id, status: "pending", name: "Piet" });
    expect((await sdk("GET", `/campaigns/${id}/leads`)).body.leads).toHaveLength(2);
    expect((await sdk("DELETE", `/campaigns/${id}/leads/${lead.id}`)).body).toEqual({ success: true });
    expect((await sdk("DELETE", `/campaigns/${id}`)).body).toEqual({ success: true });
  });

  it("preflight: sample prompts, missing variables, refused and do-not-call numbers, problems, and whether the list fits the window", async () => {
    const c = await create({
      system_message_template: "Hi {{name}}, see you on {{date}}.",
      leads: [
        { phone_number: "+31612300001", name: "Jan", variables: { date: "Friday" } },
        { phone_number: "+31612300002", variables: { name: "Piet", date: "Monday" } },
        { phone_number: "+31612300003", variables: { name: "Klaas" } },
        { phone_number: "+31612300004", variables: { name: "Mia", date: "Sunday" } },
        { phone_number: "+12125550100", variables: { name: "Sam", date: "Tuesday" } },
      ],
    });
    await call("POST", "/do-not-call", { phone_number: "+31612300004" });
    const before = (await call("POST", `/campaigns/${c.id}/preflight`, {})).body.preflight;
    expect(before.ok).toBe(false);
    expect(before.problems.join(" ")).toMatch(/No SIP trunk is configured/);
    const trunk = (await call("POST", "/sip-trunks", { name: "carrier", host: "127.0.0.1", port: 5099 })).body.trunk;
    await call("POST", "/numbers", { phone_number: "+31850835037", sip_trunk_id: trunk.id });
    const r = await call("POST", `/campaigns/${c.id}/preflight`, { sample: 5, average_call_seconds: 3600 });
    expect(r.status).toBe(200);
    expect(r.body.preflight).toMatchObject({
      ok: false,
      problems: [],
      samples: [
        { phone_number: "+31612300001", system_message: "Hi Jan, see you on Friday." },
        { phone_number: "+31612300002", system_message: "Hi Piet, see you on Monday." },
      ],
      missing_variables: [{ phone_number: "+31612300003", missing: ["date"] }],
      not_allowed: [{ phone_number: "+12125550100" }],
      do_not_call: ["+31612300004"],
      capacity: {
        pending_leads: 5,
        dialable_leads: 2,
        window_seconds: 28800,
        max_concurrency: 2,
        calls_per_window: 16,
        windows_needed: 1,
        fits_one_window: true,
      },
    });
    await call("PATCH", `/campaigns/${c.id}`, {
      max_concurrency: 1,
      schedule_start_time: "09:00",
      schedule_end_time: "10:00",
    });
    expect(
      (await call("POST", `/campaigns/${c.id}/preflight`, { average_call_seconds: 3600 })).body.preflight.capacity,
    ).toMatchObject({ calls_per_window: 1, windows_needed: 2, fits_one_window: false });
    expect((await call("POST", `/campaigns/${c.id}/preflight`, { sample: 99 })).status).toBe(400);
    await call("DELETE", `/do-not-call/${encodeURIComponent("+31612300004")}`);
    for (const n of t.store.numbers.list()) await call("DELETE", `/numbers/${n.id}`);
    await call("DELETE", `/sip-trunks/${trunk.id}`);
  });

  it("the OpenAPI document lists the campaign operations", async () => {
    const doc = (await (await t.api("/api/openapi.json")).json()) as any;
    for (const p of [
      "/api/v1/campaigns",
      "/api/v1/campaigns/{id}",
      "/api/v1/campaigns/{id}/leads",
      "/api/v1/campaigns/{id}/leads/{leadId}",
      "/api/v1/campaigns/{id}/leads/import",
      "/api/v1/campaigns/{id}/preflight",
      "/api/v1/do-not-call",
    ]) {
      expect(doc.paths[p], p).toBeDefined();
    }
  });
});
