import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startTestEngine, type TestEngine } from "../helpers/engine.js";

/** A real WAV file: 16-bit stereo 8 kHz, 0.1 s of a ramp (what the recorder writes, shorter). */
function wav(): Buffer {
  const samples = 800;
  const data = Buffer.alloc(samples * 4);
  for (let i = 0; i < samples; i++) data.writeInt16LE((i * 37) % 30000, i * 4);
  const h = Buffer.alloc(44);
  h.write("RIFF", 0);
  h.writeUInt32LE(36 + data.length, 4);
  h.write("WAVEfmt ", 8);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(2, 22);
  h.writeUInt32LE(8000, 24);
  h.writeUInt32LE(8000 * 4, 28);
  h.writeUInt16LE(4, 32);
  h.writeUInt16LE(16, 34);
  h.write("data", 36);
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

describe("signed recording URLs for an <audio> element", () => {
  let t: TestEngine;
  const file = wav();
  beforeAll(async () => {
    t = await startTestEngine({ sipPort: null });
    for (const id of ["rec-1", "rec-2", "no-rec"])
      t.store.calls.create({ id, status: "in-progress", direction: "inbound", caller_phone: "+31612345678" });
    mkdirSync(join(t.dataDir, "recordings"), { recursive: true });
    for (const id of ["rec-1", "rec-2"]) {
      writeFileSync(join(t.dataDir, "recordings", `${id}.wav`), file);
      t.store.calls.update(id, { status: "ended", recording_url: `${t.url}/api/v1/calls/${id}/recording` });
    }
    t.store.calls.update("no-rec", { status: "ended" });
  });
  afterAll(async () => {
    await t?.stop();
  });

  const signed = async (id: string) => {
    const res = await t.api(`/api/v1/calls/${id}/recording-url`, { method: "POST" });
    return { status: res.status, body: (await res.json()) as any };
  };

  it("gives a URL that plays the recording without a key, for 5 minutes", async () => {
    const before = Date.now();
    const { status, body } = await signed("rec-1");
    expect(status).toBe(200);
    expect(body.url).toMatch(new RegExp(`^${t.url}/api/v1/calls/rec-1/recording\\?token=\\d+\\.[A-Za-z0-9_-]{43}$`));
    const expires = Date.parse(body.expires_at);
    expect(expires).toBeGreaterThan(before + 4 * 60_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 5 * 60_000);
    // As an <audio> element fetches it: no Authorization header.
    const audio = await fetch(body.url);
    expect(audio.status).toBe(200);
    expect(audio.headers.get("content-type")).toBe("audio/wav");
    expect(Buffer.from(await audio.arrayBuffer()).equals(file)).toBe(true);
  });

  it("refuses a token for another call, a changed token, and no token, each with {error, message}", async () => {
    const { body } = await signed("rec-1");
    const token = new URL(body.url).searchParams.get("token")!;
    const other = await fetch(`${t.url}/api/v1/calls/rec-2/recording?token=${token}`);
    expect(other.status).toBe(401);
    expect(((await other.json()) as any).message).toMatch(/expired or is not valid/);
    const [exp, mac] = token.split(".");
    const changed = await fetch(`${t.url}/api/v1/calls/rec-1/recording?token=${Number(exp) + 3600}.${mac}`);
    expect(changed.status).toBe(401);
    const none = await fetch(`${t.url}/api/v1/calls/rec-1/recording`);
    expect(none.status).toBe(401);
    expect(((await none.json()) as any).error).toBe("Unauthorized");
    // The key still works as before.
    expect((await t.api("/api/v1/calls/rec-2/recording")).status).toBe(200);
  });

  it("needs a key to sign, and a recording to sign for", async () => {
    expect((await t.api("/api/v1/calls/rec-1/recording-url", { method: "POST", auth: false })).status).toBe(401);
    const none = await signed("no-rec");
    expect(none.status).toBe(404);
    expect(none.body.message).toMatch(/Recording of call 'no-rec'/);
    expect((await signed("missing")).status).toBe(404);
  });
});
