import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { startTestEngine, type TestEngine } from "../helpers/engine.js";
import { waitFor, waitForAsync } from "../helpers/wait.js";

// The endpoints the console's Keys, Models and Webhooks pages need, against a real engine and a real
// webhook receiver on 127.0.0.1.

const SECRET = "whsec_console_test_51";

interface Hit {
  headers: IncomingHttpHeaders;
  raw: string;
}

let t: TestEngine;
let receiver: Server;
let receiverUrl = "";
let answer = 200;
const hits: Hit[] = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let raw = "";
    req.setEncoding("utf8");
    req.on("data", (d: string) => (raw += d));
    req.on("end", () => {
      hits.push({ headers: req.headers, raw });
      res.writeHead(answer).end("{}");
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
  t = await startTestEngine({ sipPort: null, webhookRetry: { maxAttempts: 1 } });
});

afterAll(async () => {
  await t?.stop();
  receiver?.closeAllConnections();
  await new Promise((r) => receiver?.close(r));
});

async function json(res: Response) {
  return { status: res.status, body: (await res.json()) as any };
}

describe("API keys", () => {
  it("creates a key shown once, lists it by prefix only, and revokes it so it no longer works", async () => {
    const created = await json(await t.api("/api/v1/api-keys", { method: "POST", json: { name: "Zapier" } }));
    expect(created.status).toBe(201);
    const key: string = created.body.key;
    expect(key).toMatch(/^vd_live_/);
    expect(created.body.api_key).toMatchObject({ name: "Zapier", prefix: key.slice(0, 12), revoked_at: null });

    const list = await json(await t.api("/api/v1/api-keys"));
    expect(list.status).toBe(200);
    expect(JSON.stringify(list.body)).not.toContain(key);
    const mine = list.body.api_keys.find((k: any) => k.id === created.body.api_key.id);
    expect(mine).toMatchObject({ prefix: key.slice(0, 12), current: false });
    expect(list.body.api_keys.filter((k: any) => k.current)).toHaveLength(1);

    expect((await t.api("/api/v1/api-keys", { auth: key })).status).toBe(200);
    const revoked = await json(await t.api(`/api/v1/api-keys/${mine.id}`, { method: "DELETE" }));
    expect(revoked).toEqual({ status: 200, body: { success: true } });
    expect((await t.api("/api/v1/api-keys", { auth: key })).status).toBe(401);
    const after = await json(await t.api("/api/v1/api-keys"));
    expect(after.body.api_keys.find((k: any) => k.id === mine.id).revoked_at).toMatch(/^\d{4}-/);
    // Revoking twice: nothing active by that id any more.
    expect((await t.api(`/api/v1/api-keys/${mine.id}`, { method: "DELETE" })).status).toBe(404);
  });

  it("refuses to revoke the key of the request itself, and rejects bad input with {error, message}", async () => {
    const list = await json(await t.api("/api/v1/api-keys"));
    const current = list.body.api_keys.find((k: any) => k.current);
    const self = await json(await t.api(`/api/v1/api-keys/${current.id}`, { method: "DELETE" }));
    expect(self.status).toBe(409);
    expect(self.body).toMatchObject({ error: "Conflict", message: expect.stringContaining("another key") });

    const empty = await json(await t.api("/api/v1/api-keys", { method: "POST", json: { name: "" } }));
    expect(empty.status).toBe(400);
    expect(empty.body).toMatchObject({ error: expect.any(String), message: expect.stringContaining("name") });
    expect((await t.api("/api/v1/api-keys/not-a-uuid", { method: "DELETE" })).status).toBe(400);
    expect((await t.api("/api/v1/api-keys", { auth: false })).status).toBe(401);
  });
});

describe("model storage", () => {
  it("reports used, partial and free bytes of the models folder", async () => {
    const { status, body } = await json(await t.api("/api/v1/models/storage"));
    expect(status).toBe(200);
    expect(body.storage.used_bytes).toBe(0);
    expect(body.storage.partial_bytes).toBe(0);
    expect(body.storage.free_bytes).toBeGreaterThan(0);
    expect(body.storage.total_bytes).toBeGreaterThanOrEqual(body.storage.free_bytes);
  });
});

describe("webhook test event and the filtered delivery log", () => {
  let assistantId = "";

  it("sends a signed test event to the assistant's webhook, never returning the secret", async () => {
    const a = await json(
      await t.api("/api/v1/assistants", {
        method: "POST",
        json: { name: "Hooked", webhook_url: receiverUrl, webhook_secret: SECRET },
      }),
    );
    expect(a.status).toBe(201);
    assistantId = a.body.assistant?.id ?? a.body.id;

    const sent = await json(
      await t.api("/api/v1/webhooks/test", { method: "POST", json: { assistant_id: assistantId } }),
    );
    expect(sent.status).toBe(202);
    expect(sent.body.url).toBe(receiverUrl);
    const hit = await waitFor(() => hits[0], 10_000);
    expect(hit.headers["x-webhook-event"]).toBe("test");
    expect(hit.headers["x-webhook-delivery"]).toBe(sent.body.delivery_id);
    const ts = String(hit.headers["x-webhook-timestamp"]);
    const expected = createHmac("sha256", SECRET).update(`${ts}.${hit.raw}`).digest("hex");
    expect(String(hit.headers["x-webhook-signature"]).replace(/^sha256=/, "")).toBe(expected);
    expect(JSON.parse(hit.raw).message).toMatchObject({ type: "test", assistant: { id: assistantId } });

    const detail = await waitForAsync(async () => {
      const d = await json(await t.api(`/api/v1/webhook-deliveries/${sent.body.delivery_id}`));
      return d.body.delivery?.status === "delivered" ? d.body.delivery : undefined;
    }, 10_000);
    expect(detail.attempt_log).toEqual([expect.objectContaining({ attempt: 1, status_code: 200, error: null })]);
    expect(JSON.stringify(detail)).not.toContain(SECRET);
  });

  it("filters deliveries by event, status, assistant and time", async () => {
    answer = 500;
    const failed = await json(
      await t.api("/api/v1/webhooks/test", { method: "POST", json: { assistant_id: assistantId } }),
    );
    await waitForAsync(async () => {
      const d = await json(await t.api(`/api/v1/webhook-deliveries/${failed.body.delivery_id}`));
      return d.body.delivery.status === "failed" ? true : undefined;
    }, 10_000);
    answer = 200;

    const ids = async (q: string) =>
      (await json(await t.api(`/api/v1/webhook-deliveries?${q}`))).body.deliveries.map((d: any) => d.id);
    expect(await ids("event=test")).toHaveLength(2);
    expect(await ids("event=status-update")).toEqual([]);
    expect(await ids("event=test&status=failed")).toEqual([failed.body.delivery_id]);
    expect(await ids("start_date=2000-01-01&end_date=2000-01-02")).toEqual([]);
    expect(await ids(`start_date=${new Date(Date.now() - 60_000).toISOString()}`)).toHaveLength(2);
    // Test events belong to no call, so an assistant filter (which goes through the assistant's calls) skips them.
    expect(await ids(`assistant_id=${assistantId}`)).toEqual([]);

    const resent = await json(
      await t.api(`/api/v1/webhook-deliveries/${failed.body.delivery_id}/redeliver`, { method: "POST" }),
    );
    expect(resent.status).toBe(200);
    await waitForAsync(async () => {
      const d = await json(await t.api(`/api/v1/webhook-deliveries/${failed.body.delivery_id}`));
      return d.body.delivery.status === "delivered" ? true : undefined;
    }, 10_000);
  });

  it("answers bad input with 400/404 {error, message}", async () => {
    const bad = await json(await t.api("/api/v1/webhook-deliveries?start_date=yesterday"));
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain("start_date");
    expect((await t.api("/api/v1/webhook-deliveries?assistant_id=nope")).status).toBe(400);
    const none = await json(
      await t.api("/api/v1/webhooks/test", {
        method: "POST",
        json: { assistant_id: "00000000-0000-4000-8000-000000000000" },
      }),
    );
    expect(none.status).toBe(404);
    expect(none.body).toMatchObject({ error: "Not Found", message: expect.any(String) });
    const noUrl = await json(await t.api("/api/v1/assistants", { method: "POST", json: { name: "Quiet" } }));
    const quietId = noUrl.body.assistant?.id ?? noUrl.body.id;
    const noHook = await json(
      await t.api("/api/v1/webhooks/test", { method: "POST", json: { assistant_id: quietId } }),
    );
    expect(noHook.status).toBe(400);
    expect(noHook.body.message).toContain("webhook_url");
    expect((await t.api("/api/v1/webhooks/test", { method: "POST", json: {} })).status).toBe(400);
  });
});

describe("provider key test", () => {
  it("asks an OpenAI-compatible server at the saved base_url with the saved key, and reports a wrong key", async () => {
    const seen: (string | undefined)[] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers.authorization);
      if (req.url !== "/v1/models") return void res.writeHead(404).end();
      if (req.headers.authorization !== "Bearer sk-right")
        return void res.writeHead(401, { "content-type": "application/json" }).end('{"error":"bad key"}');
      res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ object: "list", data: [{ id: "llama3.2", object: "model" }] }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
    try {
      const save = (api_key: string) =>
        t.api("/api/v1/byok", { method: "POST", json: { provider: "openai_compatible", api_key, base_url: base } });
      expect((await save("sk-right")).status).toBe(200);
      const good = await json(
        await t.api("/api/v1/byok/test", { method: "POST", json: { provider: "openai_compatible" } }),
      );
      expect(good.status).toBe(200);
      expect(good.body).toMatchObject({ provider: "openai_compatible", ok: true, model: "llama3.2" });
      expect(seen.at(-1)).toBe("Bearer sk-right");
      const settings = await json(await t.api("/api/v1/byok/settings"));
      expect(settings.body.settings.openai_compatible).toEqual({ base_url: base });
      expect(JSON.stringify(settings.body)).not.toContain("sk-right");

      expect((await save("sk-wrong")).status).toBe(200);
      const bad = await json(
        await t.api("/api/v1/byok/test", { method: "POST", json: { provider: "openai_compatible" } }),
      );
      expect(bad.body.ok).toBe(false);
      expect(bad.body.detail).not.toContain("sk-wrong");
      expect(JSON.stringify((await json(await t.api("/api/v1/byok"))).body)).not.toContain("sk-wrong");
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
    const unknown = await json(await t.api("/api/v1/byok/test", { method: "POST", json: { provider: "nope" } }));
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ error: expect.any(String), message: expect.stringContaining("provider") });
  });
});
