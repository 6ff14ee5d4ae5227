import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import WebSocket from "ws";
import { startTestEngine, type TestEngine } from "../../helpers/engine.js";
import { hasSipp, startSippUas } from "../../helpers/sipp.js";
import { onlyTrunkTo } from "../../helpers/net-telephony.js";
import { waitFor } from "../../helpers/wait.js";
import { canCapture, startCapture, telephoneEvents, type WirePacket } from "../../support/wire-capture.js";

const FIXTURES = join(import.meta.dirname, "..", "..", "fixtures", "sipp");
const scenario = (name: string) => readFileSync(join(FIXTURES, name), "utf8");

describe.skipIf(!hasSipp)(
  "a person's softphone: dial pad and hold on a call to a sipp far end (skipped only where sip-tester is not installed)",
  () => {
    let t: TestEngine;
    let personAssistant: string;
    beforeAll(async () => {
      t = await startTestEngine();
      // No llm_config: no assistant speaks, the call is a person's.
      personAssistant = (
        (await (await t.api("/api/v1/assistants", { method: "POST", json: { name: "Reception desk" } })).json()) as any
      ).assistant.id;
    });
    afterAll(async () => {
      await t?.stop();
    });

    /** Places a call with `assistant` and waits until the far end answered it. */
    async function answeredCall(assistant: string): Promise<string> {
      const res = await t.api("/api/v1/calls/outbound", {
        method: "POST",
        json: { destination: "+31612345678", assistant_id: assistant },
      });
      expect(res.status).toBe(200);
      const id = ((await res.json()) as any).call_id as string;
      await waitFor(() => t.store.calls.get(id)!.status === "in-progress", 10_000);
      return id;
    }

    const post = async (path: string, json: unknown) => {
      const res = await t.api(path, { method: "POST", json });
      return { status: res.status, body: (await res.json()) as any };
    };

    async function hangUp(id: string): Promise<void> {
      expect((await post(`/api/v1/calls/${id}/control`, { type: "end-call" })).status).toBe(200);
      await waitFor(() => t.store.calls.get(id)!.status === "ended");
    }

    it.skipIf(!canCapture)(
      "digits 123# reach the far end's media port as RFC 4733 events on the answered payload type; hold and resume are re-INVITEs the far end checks, answered only once it agreed (skipped where tcpdump cannot capture: not root)",
      async () => {
        const sipp = await startSippUas({ scenarioXml: scenario("person-hold-uas.xml") });
        await onlyTrunkTo(t, sipp.port);
        const ws = new WebSocket(`${t.url.replace("http", "ws")}/api/v1/events?api_key=${t.apiKey}`);
        const holds: any[] = [];
        ws.on("message", (m) => {
          const e = JSON.parse(String(m));
          if (e.type === "call.hold") holds.push(e);
        });
        await new Promise((r) => ws.once("open", r));
        try {
          const id = await answeredCall(personAssistant);
          expect(t.engine.calls.liveCall(id)?.assistantSpeaks).toBe(false);

          const capture = await startCapture(`udp and dst port ${sipp.mediaPort}`);
          let wire: WirePacket[];
          try {
            const dtmf = await post(`/api/v1/calls/${id}/dtmf`, { digits: "123#" });
            expect(dtmf.status, JSON.stringify(dtmf.body)).toBe(200);
            expect(dtmf.body).toMatchObject({ success: true, call_id: id });
            // Four digits of 100 ms, each followed by its end packets and a 40 ms gap: well under a second.
            await new Promise((r) => setTimeout(r, 1200));
          } finally {
            wire = await capture.stop();
          }
          // sipp answered telephone-event on 96 (we offered 101): the answer's number is the one to send with.
          const events = telephoneEvents(wire, 96);
          expect(events, `${wire.length} packets captured`).toEqual([
            { event: 1, ended: true },
            { event: 2, ended: true },
            { event: 3, ended: true },
            { event: 11, ended: true },
          ]);
          expect(telephoneEvents(wire, 101)).toEqual([]);
          expect(
            t.store.calls
              .events(id)
              .filter((e) => e.type === "dtmf_sent")
              .map((e) => e.data.digits),
          ).toEqual(["123#"]);

          // sipp's scenario fails (and exits non-zero) unless this re-INVITE says a=sendonly.
          const held = await post(`/api/v1/calls/${id}/hold`, { hold: true });
          expect(held.status, JSON.stringify(held.body)).toBe(200);
          expect(held.body).toMatchObject({ success: true, call_id: id, on_hold: true });
          const resumed = await post(`/api/v1/calls/${id}/hold`, { hold: false });
          expect(resumed.status, JSON.stringify(resumed.body)).toBe(200);
          expect(resumed.body).toMatchObject({ success: true, call_id: id, on_hold: false });
          await hangUp(id);
          expect(await sipp.exited, sipp.output()).toBe(0);

          const log = t.store.calls.events(id).filter((e) => e.type === "hold" || e.type === "unhold");
          // Only ours: the far end's a=recvonly answer is not the far end holding us.
          expect(log.map((e) => [e.type, e.data.by])).toEqual([
            ["hold", "us"],
            ["unhold", "us"],
          ]);
          await waitFor(() => holds.length >= 2);
          expect(holds.map((e) => [e.call_id, e.on_hold, e.by])).toEqual([
            [id, true, "us"],
            [id, false, "us"],
          ]);
        } finally {
          ws.close();
          sipp.proc.kill("SIGTERM");
        }
      },
    );

    it("a far end that refuses the hold: 409 with its SIP code, and the call goes on as it was", async () => {
      const sipp = await startSippUas({ scenarioXml: scenario("refuse-reinvite-uas.xml") });
      try {
        await onlyTrunkTo(t, sipp.port);
        const id = await answeredCall(personAssistant);
        const held = await post(`/api/v1/calls/${id}/hold`, { hold: true });
        expect(held.status).toBe(409);
        expect(held.body.error).toBe("Conflict");
        expect(held.body.message).toMatch(/488 Not Acceptable Here/);
        expect(t.store.calls.get(id)!.status).toBe("in-progress");
        expect(t.store.calls.events(id).some((e) => e.type === "hold")).toBe(false);
        // Still a working call: digits go out, and our BYE is the one sipp waits for.
        expect((await post(`/api/v1/calls/${id}/dtmf`, { digits: "5" })).status).toBe(200);
        await hangUp(id);
        expect(await sipp.exited, sipp.output()).toBe(0);
      } finally {
        sipp.proc.kill("SIGTERM");
      }
    });

    it("a far end that offered no telephone-event: digits are refused with 409", async () => {
      // sipp's built-in uas answers PCMU alone.
      const sipp = await startSippUas();
      try {
        await onlyTrunkTo(t, sipp.port);
        const id = await answeredCall(personAssistant);
        const res = await post(`/api/v1/calls/${id}/dtmf`, { digits: "1" });
        expect(res.status).toBe(409);
        expect(res.body.message).toMatch(/telephone-event/);
        await hangUp(id);
        await sipp.exited;
      } finally {
        sipp.proc.kill("SIGTERM");
      }
    });

    it("hold while the assistant speaks is refused with 409 and says to take the call over", async () => {
      const sipp = await startSippUas();
      try {
        await onlyTrunkTo(t, sipp.port);
        // Local engines; the LLM is never asked (sipp sends no speech), so its URL may lead nowhere.
        const speaking = (
          (await (
            await t.api("/api/v1/assistants", {
              method: "POST",
              json: {
                name: "Caller",
                stt_config: { provider: "pocketsphinx", language: "en" },
                llm_config: { provider: "openai_compatible", model: "none", base_url: "http://127.0.0.1:9/v1" },
                tts_config: { provider: "local", voice_id: "flite-kal" },
              },
            })
          ).json()) as any
        ).assistant.id;
        const id = await answeredCall(speaking);
        await waitFor(() => t.engine.calls.liveCall(id)?.assistantSpeaks === true);
        const res = await post(`/api/v1/calls/${id}/hold`, { hold: true });
        expect(res.status).toBe(409);
        expect(res.body.message).toMatch(/assistant.*take it over/);
        await hangUp(id);
        expect(await sipp.exited, sipp.output()).toBe(0);
      } finally {
        sipp.proc.kill("SIGTERM");
      }
    });

    it("blind transfer of a person's call: a REFER to the typed number, and the far end's NOTIFY 200 ends the call as transferred; a destination outside the allow-list or a spoken message is refused first", async () => {
      const sipp = await startSippUas({ scenarioXml: scenario("refer-accept-uas.xml") });
      try {
        await onlyTrunkTo(t, sipp.port);
        const id = await answeredCall(personAssistant);

        // Refused before any REFER leaves: the allow-list (only +31 here), and a message no voice would say.
        const far = await post(`/api/v1/calls/${id}/control`, { type: "transfer", destination: "+4930123456" });
        expect(far.status).toBe(403);
        expect(far.body.message).toMatch(/outside the allowed destinations/);
        const spoken = await post(`/api/v1/calls/${id}/control`, {
          type: "transfer",
          destination: "+31201234567",
          message: "Transferring you now",
        });
        expect(spoken.status).toBe(400);
        expect(spoken.body.message).toMatch(/say it yourself/);
        expect(t.store.calls.get(id)!.status).toBe("in-progress");

        // sipp's scenario fails unless the REFER names +31201234567; it then reports 200 OK by NOTIFY.
        const res = await post(`/api/v1/calls/${id}/control`, { type: "transfer", destination: "+31201234567" });
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        const ended = await waitFor(() => {
          const c = t.store.calls.get(id)!;
          return c.status === "ended" && c;
        }, 10_000);
        expect(ended.end_reason).toBe("transferred");
        expect(await sipp.exited, sipp.output()).toBe(0);
        expect(t.store.calls.events(id).find((e) => e.type === "transfer")?.data).toEqual({
          destination: "+31201234567",
          ok: true,
          by: "person",
        });
      } finally {
        sipp.proc.kill("SIGTERM");
      }
    });

    it("bad digits are a 400 with error and message; an unknown call is a 404", async () => {
      for (const digits of ["", "12x", "e", "1".repeat(33)]) {
        const res = await post("/api/v1/calls/nope/dtmf", { digits });
        expect(res.status, digits).toBe(400);
        expect(res.body.error).toBe("Bad Request");
        expect(res.body.message).toMatch(/digits/);
      }
      expect((await post("/api/v1/calls/nope/hold", { hold: "yes" })).status).toBe(400);
      for (const [path, body] of [
        ["dtmf", { digits: "1" }],
        ["hold", { hold: true }],
      ] as const) {
        const res = await post(`/api/v1/calls/no-such-call/${path}`, body);
        expect(res.status).toBe(404);
        expect(res.body).toMatchObject({ error: "Not Found", message: "Call 'no-such-call' does not exist" });
      }
    });
  },
);
