import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import { startTestEngine, type TestEngine } from "../../helpers/engine.js";
import { hasKamailio, SHARED, startKamailio, type Kamailio } from "../../support/kamailio.js";
import { hasBaresip, runBaresip } from "../../helpers/baresip.js";
import { maxCrossCorrelation, readWav, toTelephoneWav } from "../../support/audio.js";
import { waitFor } from "../../helpers/wait.js";

/** The events stream as a console opens it, keeping every event. */
async function openConsole(t: TestEngine): Promise<{ ws: WebSocket; events: any[] }> {
  const ws = new WebSocket(`${t.url.replace("http", "ws")}/api/v1/events?role=console&api_key=${t.apiKey}`);
  const events: any[] = [];
  ws.on("message", (d) => events.push(JSON.parse(String(d))));
  await waitFor(() => events.some((e) => e.type === "hello"));
  return { ws, events };
}

describe.skipIf(!hasKamailio || !hasBaresip)(
  "a number without an assistant rings the console, and a person takes the call (skipped only where kamailio/baresip are not installed)",
  () => {
    let k: Kamailio;
    let t: TestEngine;
    const work = mkdtempSync(join(tmpdir(), "console-answer-"));
    const callerWav = join(work, "caller.wav");
    const personWav = join(work, "person.wav");
    beforeAll(async () => {
      toTelephoneWav(join(SHARED, "audio", "en-ljspeech-LJ001-0002.wav"), callerWav, 0.5, 1.5);
      toTelephoneWav(join(SHARED, "audio", "en-ljspeech-LJ001-0008.wav"), personWav, 0, 0);
      k = await startKamailio();
      t = await startTestEngine({ sipRetryBaseMs: 300, consoleRingSeconds: 3 });
      const trunk = (
        (await (
          await t.api("/api/v1/sip-trunks", {
            method: "POST",
            json: { name: "Kamailio", host: "127.0.0.1", port: k.port, username: "alice", password: "secret" },
          })
        ).json()) as any
      ).trunk;
      const res = await t.api("/api/v1/numbers", {
        method: "POST",
        json: { phone_number: "+15550001111", sip_trunk_id: trunk.id },
      });
      expect(res.status).toBe(201);
      await waitFor(() => t.store.sipTrunks.get(trunk.id)!.registration.status === "registered", 10_000);
    });
    afterAll(async () => {
      await t?.stop();
      await k?.stop();
    });

    const dial = (seconds: number) =>
      runBaresip({
        account: `<sip:bob@127.0.0.1:${k.port};transport=udp>;regint=0`,
        wav: callerWav,
        dial: `sip:alice@127.0.0.1:${k.port}`,
        seconds,
      });
    const inboundCalls = () =>
      t.store.calls.list({ limit: 100, offset: 0 }).calls.filter((c) => c.direction === "inbound");

    it("with no console open the caller hears 480 at once, nothing rings, and the history keeps a missed call", async () => {
      const phone = await dial(4);
      await phone.exited;
      expect(phone.output()).toMatch(/480 Temporarily Unavailable/);
      const rows = inboundCalls();
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ status: "ended", end_reason: "unavailable", started_at: null, agent_id: null });
      const missed = await t.api("/api/v1/calls?missed=true");
      const body = (await missed.json()) as { calls: { id: string }[] };
      expect(body.calls.map((c) => c.id)).toEqual([rows[0].id]);
    }, 20_000);

    it("a console answers: the person hears the caller, the caller hears the person, and the person hangs up", async () => {
      const { ws, events } = await openConsole(t);
      const phone = await dial(25);
      try {
        const incoming = await waitFor(() => events.find((e) => e.type === "call.incoming"), 10_000);
        expect(incoming.call).toMatchObject({
          status: "connecting",
          direction: "inbound",
          assistant_phone: "+15550001111",
          agent_id: null,
        });
        expect(phone.output(), "answered before anyone pressed answer").not.toMatch(/Call established/);
        const id = incoming.call.id as string;

        const answered = await t.api(`/api/v1/calls/${id}/answer`, { method: "POST" });
        expect(answered.status).toBe(200);
        expect(await answered.json()).toEqual({ success: true, call_id: id, message: "Answering" });
        // Answering twice is a conflict, not a second answer.
        expect((await t.api(`/api/v1/calls/${id}/answer`, { method: "POST" })).status).toBe(409);
        await waitFor(() => t.store.calls.get(id)!.status === "in-progress", 5000);

        // The person's side: the call's audio socket, 20 ms PCM frames each way.
        const audio = new WebSocket(`${t.url.replace("http", "ws")}/api/v1/calls/${id}/audio?api_key=${t.apiKey}`);
        const heard: Buffer[] = [];
        let ready: any = null;
        audio.on("message", (d, isBinary) => {
          if (isBinary) heard.push(d as Buffer);
          else ready = JSON.parse(String(d));
        });
        await waitFor(() => ready);
        expect(ready).toMatchObject({ type: "ready", talk: true, sample_rate: 8000, frame_bytes: 320 });

        const voice = readWav(personWav).samples;
        for (let off = 0; off < voice.length; off += 160) {
          const frame = Buffer.alloc(320);
          for (let i = 0; i < 160 && off + i < voice.length; i++) frame.writeInt16LE(voice[off + i], i * 2);
          audio.send(frame);
          await new Promise((r) => setTimeout(r, 19));
        }
        await waitFor(() => heard.length * 160 >= readWav(callerWav).samples.length, 15_000);

        const end = await t.api(`/api/v1/calls/${id}/control`, { method: "POST", json: { type: "end-call" } });
        expect(end.status).toBe(200);
        await waitFor(() => /terminated/i.test(phone.output()), 5000);
        const call = await waitFor(() => {
          const c = t.store.calls.get(id)!;
          return c.status === "ended" && c;
        });
        expect(call).toMatchObject({ end_reason: "operator_hangup", assistant_phone: "+15550001111" });
        await new Promise<void>((r) => {
          if (audio.readyState === WebSocket.CLOSED) r();
          else audio.once("close", () => r());
        });

        // What baresip played reached the person ...
        const pcm = Buffer.concat(heard);
        const received = new Int16Array(pcm.length / 2);
        for (let i = 0; i < received.length; i++) received[i] = pcm.readInt16LE(i * 2);
        expect(maxCrossCorrelation(readWav(callerWav).samples, received, 4000).value).toBeGreaterThan(0.9);
        // ... and what the person said reached baresip's recording.
        phone.proc.kill("SIGTERM");
        await phone.exited;
        const [recording] = phone.recordings("dec");
        expect(recording, phone.output()).toBeTruthy();
        expect(maxCrossCorrelation(voice, readWav(recording).samples, 4000).value).toBeGreaterThan(0.9);
      } finally {
        phone.proc.kill("SIGTERM");
        ws.close();
      }
    }, 60_000);

    it("a console declines (603), or nobody answers in the ring time (480): the row says which", async () => {
      const { ws, events } = await openConsole(t);
      try {
        const first = await dial(8);
        const incoming = await waitFor(() => events.find((e) => e.type === "call.incoming"), 10_000);
        expect((await t.api(`/api/v1/calls/${incoming.call.id}/decline`, { method: "POST" })).status).toBe(200);
        await first.exited;
        expect(first.output()).toMatch(/603 Decline/);
        expect(t.store.calls.get(incoming.call.id)).toMatchObject({ status: "ended", end_reason: "declined" });
        // Declining a call that no longer rings is a conflict; an unknown call is 404.
        expect((await t.api(`/api/v1/calls/${incoming.call.id}/decline`, { method: "POST" })).status).toBe(409);
        expect((await t.api(`/api/v1/calls/call_nope/answer`, { method: "POST" })).status).toBe(404);

        events.length = 0;
        const second = await dial(8);
        const ringing = await waitFor(() => events.find((e) => e.type === "call.incoming"), 10_000);
        await second.exited;
        expect(second.output()).toMatch(/480 No Answer/);
        expect(t.store.calls.get(ringing.call.id)).toMatchObject({ status: "ended", end_reason: "no_answer" });
        // Both are missed calls in the history; the call a person answered (the test before) is not.
        const missed = ((await (await t.api("/api/v1/calls?missed=true")).json()) as { calls: any[] }).calls;
        expect(missed.map((c) => c.id)).toEqual(expect.arrayContaining([incoming.call.id, ringing.call.id]));
        expect(missed.every((c) => c.started_at === null && c.direction === "inbound")).toBe(true);
        const answered = inboundCalls().filter((c) => c.started_at !== null);
        expect(answered.length).toBeGreaterThan(0);
        for (const c of answered) expect(missed.map((m) => m.id)).not.toContain(c.id);
      } finally {
        ws.close();
      }
    }, 40_000);
  },
);
