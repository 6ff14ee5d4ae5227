import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEngine, type TestEngine } from "../helpers/engine.js";

describe("GET /api/v1/calls?q= searches numbers, number names, assistant names and transcripts", () => {
  let t: TestEngine;
  const at = (h: number) => `2026-11-0${h}T10:00:00.000Z`;
  beforeAll(async () => {
    t = await startTestEngine({ sipPort: null });
    const sales = t.store.numbers.create({ phone_number: "+31201234567", name: "Sales line" });
    // As telephony writes a call: the row, then lines through the write queue while live, then the end.
    const line = (id: string, role: string, content: string) =>
      t.store.calls.addMessage(id, { role, content, at: new Date().toISOString() } as never);
    t.store.calls.create({
      id: "call-a",
      status: "in-progress",
      direction: "inbound",
      caller_phone: "+31612345678",
      assistant_phone: "+31201234567",
      number_id: sales.id,
      agent_name: "Reception Robin",
      created_at: at(1),
    });
    line("call-a", "user", "I would like to cancel my invoice, it is for the café");
    line("call-a", "assistant", "Sure, the invoice is cancelled.");
    t.store.calls.update("call-a", { status: "ended", ended_at: at(1) });
    t.store.calls.create({
      id: "call-b",
      status: "in-progress",
      direction: "outbound",
      assistant_phone: "+4930555000",
      destination: "+4930555000",
      agent_name: "Sales Sam",
      created_at: at(2),
    });
    line("call-b", "assistant", "Your delivery arrives on Tuesday.");
    t.store.calls.update("call-b", { status: "ended", ended_at: at(2) });
    t.store.calls.create({
      id: "call-c",
      status: "in-progress",
      direction: "inbound",
      caller_phone: "+31699999999",
      agent_name: "Reception Robin",
      created_at: at(3),
    });
    line("call-c", "user", "Another invoice question while we talk");
  });
  afterAll(async () => {
    await t?.stop();
  });

  async function search(query: string): Promise<{ ids: string[]; total: number; status: number }> {
    const res = await t.api(`/api/v1/calls?${query}`);
    const body = (await res.json()) as any;
    return { status: res.status, ids: (body.calls ?? []).map((c: any) => c.id), total: body.pagination?.total };
  }

  it("finds finished calls by transcript words, all words required, as prefixes, diacritics ignored", async () => {
    expect(await search("q=invoice")).toMatchObject({ ids: ["call-a"], total: 1 });
    expect((await search("q=cancel%20invoice")).ids).toEqual(["call-a"]);
    expect((await search("q=canc")).ids).toEqual(["call-a"]);
    expect((await search("q=cafe")).ids).toEqual(["call-a"]);
    expect((await search("q=TUESDAY")).ids).toEqual(["call-b"]);
    expect(await search("q=invoice%20tuesday")).toMatchObject({ ids: [], total: 0 });
  });

  it("finds calls by number, by the name of the number they came in on, and by assistant name", async () => {
    expect((await search(`q=${encodeURIComponent("+3161234")}`)).ids).toEqual(["call-a"]);
    expect((await search("q=4930555")).ids).toEqual(["call-b"]);
    // "Sales": call-a came in on the "Sales line" number, call-b's assistant is "Sales Sam".
    expect(await search("q=sales")).toMatchObject({ ids: ["call-b", "call-a"], total: 2 });
    expect((await search("q=robin")).ids).toEqual(["call-c", "call-a"]);
  });

  it("works with the other filters and pagination", async () => {
    expect(await search("q=sales&limit=1")).toMatchObject({ ids: ["call-b"], total: 2 });
    expect(await search("q=sales&limit=1&offset=1")).toMatchObject({ ids: ["call-a"], total: 2 });
    expect(await search("q=robin&status=in-progress")).toMatchObject({ ids: ["call-c"], total: 1 });
    expect(await search("q=sales&end_date=2026-11-01")).toMatchObject({ ids: ["call-a"], total: 1 });
  });

  it("indexes a live call's transcript when it ends, and a line that arrives after the end", async () => {
    expect((await search("q=question")).ids).toEqual([]);
    t.store.calls.update("call-c", { status: "ended", ended_at: at(3) });
    expect((await search("q=question")).ids).toEqual(["call-c"]);
    t.store.calls.addMessage("call-a", { role: "user", content: "and a refund please", at: at(1) } as never);
    expect((await search("q=refund")).ids).toEqual(["call-a"]);
  });

  it("takes search syntax as text and refuses an overlong query with {error, message}", async () => {
    for (const q of ['"', "NEAR(a b)", "invoice*", "transcript:invoice", "AND OR NOT", "%_\\"]) {
      const r = await search(`q=${encodeURIComponent(q)}`);
      expect(r.status, q).toBe(200);
    }
    // Column filters and operators are words like any other: "transcript" is in no call, "invoice*" is "invoice".
    expect((await search(`q=${encodeURIComponent("transcript:invoice")}`)).ids).toEqual([]);
    expect((await search(`q=${encodeURIComponent('"invoice*')}`)).ids).toEqual(["call-c", "call-a"]);
    const res = await t.api(`/api/v1/calls?q=${"x".repeat(201)}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).message).toMatch(/q/);
  });
});
