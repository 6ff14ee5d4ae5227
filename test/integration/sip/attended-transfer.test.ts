import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestEngine, type TestEngine } from "../../helpers/engine.js";
import { hasSipp, startSippUas } from "../../helpers/sipp.js";
import { onlyTrunkTo } from "../../helpers/net-telephony.js";
import { waitFor } from "../../helpers/wait.js";
import { freeUdpPort } from "../../support/ports.js";
import { SHARED } from "../../support/kamailio.js";
import { A_NUMBER, B_NUMBER, attendedUas as scenario } from "../../helpers/sipp-attended.js";
import { maxCrossCorrelation, readWav, toTelephoneWav } from "../../support/audio.js";
import { RtpSession } from "../../../main/engine/media/rtp-session.js";
import { PCMU } from "../../../main/engine/media/codecs/g711.js";

/**
 * A far end's phone audio, beside sipp's signalling: a real RTP endpoint on the port sipp's SDP names. It
 * latches to where our RTP comes from and keeps what it hears from `listen()` on.
 */
async function phone(): Promise<{ port: number; rtp: RtpSession; listen(): void; heard(): Int16Array }> {
  const rtp = new RtpSession();
  const port = await rtp.open("127.0.0.1", { min: 40000, max: 49998 });
  // Port 9 (discard) until our first packet arrives and the session latches to its source.
  rtp.configure({ address: "127.0.0.1", port: 9 }, PCMU, 0, 101);
  const frames: Int16Array[] = [];
  let listening = false;
  rtp.on("frame", (f) => {
    if (listening) frames.push(f.data.slice());
  });
  return {
    port,
    rtp,
    listen: () => {
      listening = true;
    },
    heard: () => {
      const all = new Int16Array(frames.reduce((n, f) => n + f.length, 0));
      let o = 0;
      for (const f of frames) {
        all.set(f, o);
        o += f.length;
      }
      return all;
    },
  };
}

describe.skipIf(!hasSipp)(
  "attended transfer of a person's call between two sipp far ends (skipped only where sip-tester is not installed)",
  () => {
    let t: TestEngine;
    const work = mkdtempSync(join(tmpdir(), "attended-"));
    const aWav = join(work, "a.wav");
    const bWav = join(work, "b.wav");
    beforeAll(async () => {
      t = await startTestEngine();
      // Two different voices, so each side's audio can be told from the other's at the far end.
      toTelephoneWav(join(SHARED, "audio", "en-ljspeech-LJ001-0002.wav"), aWav, 0, 1);
      toTelephoneWav(join(SHARED, "audio", "en-ljspeech-LJ001-0008.wav"), bWav, 0, 1);
    });
    afterAll(async () => {
      await t?.stop();
    });

    const post = async (path: string, json: unknown) => {
      const res = await t.api(path, { method: "POST", json });
      return { status: res.status, body: (await res.json()) as any };
    };

    /** A person's call to A (no assistant), answered. */
    async function personCall(): Promise<string> {
      const res = await post("/api/v1/calls/outbound", { destination: A_NUMBER, handled_by: "person" });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const id = res.body.call_id as string;
      await waitFor(() => t.store.calls.get(id)!.status === "in-progress", 10_000);
      await waitFor(() => t.engine.calls.liveCall(id)?.owner === "person");
      return id;
    }

    async function consult(id: string): Promise<string> {
      const res = await post(`/api/v1/calls/${id}/consult`, { destination: B_NUMBER });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toMatchObject({ success: true, call_id: id, consult_call_id: expect.any(String) });
      return res.body.consult_call_id;
    }

    const holds = (id: string) =>
      t.store.calls
        .events(id)
        .filter((e) => e.type === "hold" || e.type === "unhold")
        .map((e) => `${e.type}:${e.data.by}`);

    it("Attended transfer between two sipp legs completes: A held while B is consulted, then A resumed and joined to B — each hears the other's audio — both rows end as transferred, and A's BYE brings B ours", async () => {
      const pa = await phone();
      const pb = await phone();
      // A: held by the consultation, resumed by the completion, then hangs up 4.5 s later. B rings 1.5 s, waits for our BYE.
      const sipp = await startSippUas({
        scenarioXml: scenario(["hold", "resume", { hangUpAfterMs: 4500 }], ["bye"], 1500),
        calls: 2,
        vars: { rtpa: pa.port, rtpb: pb.port },
      });
      try {
        await onlyTrunkTo(t, sipp.port);
        const a = await personCall();
        // The number moves to another trunk (where nothing answers): the consultation still goes out on A's own.
        const decoy = (
          (await (
            await t.api("/api/v1/sip-trunks", {
              method: "POST",
              json: { name: "elsewhere", host: "127.0.0.1", port: await freeUdpPort() },
            })
          ).json()) as any
        ).trunk;
        await waitFor(() => t.engine.telephony!.stack.hasTrunk(decoy.id));
        const number = t.store.numbers.list()[0];
        await t.api(`/api/v1/numbers/${number.id}`, { method: "PATCH", json: { sip_trunk_id: decoy.id } });
        const b = await consult(a);
        // The hold was a re-INVITE sipp accepted (its scenario checks a=sendonly) before the answer came.
        expect(holds(a)).toEqual(["hold:us"]);
        const row = t.store.calls.get(b)!;
        expect(row).toMatchObject({
          direction: "outbound",
          destination: B_NUMBER,
          metadata: { consult_for_call_id: a },
        });
        expect(t.store.calls.events(a).find((e) => e.type === "consult_started")?.data).toEqual({
          consult_call_id: b,
          destination: B_NUMBER,
        });
        expect(t.store.calls.events(b).find((e) => e.type === "consult_for")?.data).toEqual({ call_id: a });

        // B still rings: nothing to join yet.
        const early = await post(`/api/v1/calls/${a}/transfer/complete`, { consult_call_id: b });
        expect(early.status).toBe(409);
        expect(early.body).toMatchObject({
          error: "Conflict",
          message: expect.stringMatching(/not been answered yet/),
        });

        await waitFor(() => t.engine.calls.liveCall(b)?.owner === "person", 10_000);
        // Answered by A's sipp, from the same number as A.
        expect(t.store.calls.get(b)!.assistant_phone).toBe(t.store.calls.get(a)!.assistant_phone);

        const done = await post(`/api/v1/calls/${a}/transfer/complete`, { consult_call_id: b });
        expect(done.status, JSON.stringify(done.body)).toBe(200);
        expect(done.body).toMatchObject({ success: true, call_id: a, consult_call_id: b });
        for (const id of [a, b])
          expect(t.store.calls.get(id)).toMatchObject({ status: "ended", end_reason: "transferred" });
        expect(holds(a)).toEqual(["hold:us", "unhold:us"]);

        // Each far end talks; each hears the other through the bridge in the media worker.
        const aSaid = readWav(aWav).samples;
        const bSaid = readWav(bWav).samples;
        pa.listen();
        pb.listen();
        pa.rtp.play(aSaid);
        pb.rtp.play(bSaid);
        await new Promise((r) => setTimeout(r, 3000));
        const window = 8000 * 2;
        const bHeardA = maxCrossCorrelation(aSaid.subarray(0, window), pb.heard(), 4000);
        const aHeardB = maxCrossCorrelation(bSaid.subarray(0, window), pa.heard(), 4000);
        expect(bHeardA.value, "B hears A").toBeGreaterThan(0.9);
        expect(aHeardB.value, "A hears B").toBeGreaterThan(0.9);
        // And not merely itself: what A hears is not A's own voice.
        expect(maxCrossCorrelation(aSaid.subarray(0, window), pa.heard(), 4000).value).toBeLessThan(0.5);

        // A hangs up; B gets our BYE, which is the last thing sipp waits for.
        expect(await sipp.exited, sipp.output()).toBe(0);
        for (const id of [a, b])
          expect(t.store.calls.events(id).find((e) => e.type === "bridge_ended")?.data).toMatchObject({ by: "caller" });
        expect(t.store.calls.events(a).find((e) => e.type === "transfer_completed")?.data).toEqual({
          method: "bridge",
          consult_call_id: b,
        });
      } finally {
        sipp.proc.kill("SIGTERM");
        pa.rtp.close();
        pb.rtp.close();
      }
    }, 45_000);

    it("cancel: the consultation gets our BYE and A is taken off hold (a=sendrecv); the call goes on", async () => {
      const pa = await phone();
      const pb = await phone();
      const sipp = await startSippUas({
        scenarioXml: scenario(["hold", "resume", "bye"], ["bye"]),
        calls: 2,
        vars: { rtpa: pa.port, rtpb: pb.port },
      });
      try {
        await onlyTrunkTo(t, sipp.port);
        const a = await personCall();
        const b = await consult(a);
        await waitFor(() => t.store.calls.get(b)!.status === "in-progress", 10_000);
        const res = await post(`/api/v1/calls/${a}/transfer/cancel`, { consult_call_id: b });
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        expect(t.store.calls.get(b)).toMatchObject({ status: "ended", end_reason: "operator_hangup" });
        expect(t.store.calls.get(a)!.status).toBe("in-progress");
        expect(holds(a)).toEqual(["hold:us", "unhold:us"]);
        expect(t.store.calls.events(a).some((e) => e.type === "consult_cancelled")).toBe(true);
        // No longer linked: a second cancel or a completion is a 409.
        expect((await post(`/api/v1/calls/${a}/transfer/complete`, { consult_call_id: b })).status).toBe(409);
        // Still the person's call: it ends with our BYE, the last thing sipp waits for.
        expect((await post(`/api/v1/calls/${a}/control`, { type: "end-call" })).status).toBe(200);
        expect(await sipp.exited, sipp.output()).toBe(0);
      } finally {
        sipp.proc.kill("SIGTERM");
        pa.rtp.close();
        pb.rtp.close();
      }
    }, 40_000);

    it("swap: the person switches between A and B, each time holding one and resuming the other; completing then joins them, and B's BYE brings A ours", async () => {
      const pa = await phone();
      const pb = await phone();
      // A: held (consult), resumed (swap), held (swap), resumed (complete). B: held (swap), resumed (swap), hangs up.
      const sipp = await startSippUas({
        scenarioXml: scenario(["hold", "resume", "hold", "resume", "bye"], ["hold", "resume", { hangUpAfterMs: 1500 }]),
        calls: 2,
        vars: { rtpa: pa.port, rtpb: pb.port },
      });
      try {
        await onlyTrunkTo(t, sipp.port);
        const a = await personCall();
        const b = await consult(a);
        await waitFor(() => t.engine.calls.liveCall(b)?.owner === "person", 10_000);
        const first = await post(`/api/v1/calls/${a}/transfer/swap`, { consult_call_id: b });
        expect(first.status, JSON.stringify(first.body)).toBe(200);
        expect(first.body).toMatchObject({ success: true, call_id: a, consult_call_id: b, active_call_id: a });
        expect(holds(b)).toEqual(["hold:us"]);
        expect(holds(a)).toEqual(["hold:us", "unhold:us"]);
        const second = await post(`/api/v1/calls/${a}/transfer/swap`, { consult_call_id: b });
        expect(second.body).toMatchObject({ active_call_id: b });
        expect(holds(a)).toEqual(["hold:us", "unhold:us", "hold:us"]);
        expect(holds(b)).toEqual(["hold:us", "unhold:us"]);

        const done = await post(`/api/v1/calls/${a}/transfer/complete`, { consult_call_id: b });
        expect(done.status, JSON.stringify(done.body)).toBe(200);
        // Only A was held: only A was resumed.
        expect(holds(a)).toEqual(["hold:us", "unhold:us", "hold:us", "unhold:us"]);
        expect(holds(b)).toEqual(["hold:us", "unhold:us"]);
        expect(await sipp.exited, sipp.output()).toBe(0);
        for (const id of [a, b]) {
          expect(t.store.calls.get(id)).toMatchObject({ status: "ended", end_reason: "transferred" });
          expect(t.store.calls.events(id).find((e) => e.type === "bridge_ended")?.data).toMatchObject({ by: "target" });
        }
      } finally {
        sipp.proc.kill("SIGTERM");
        pa.rtp.close();
        pb.rtp.close();
      }
    }, 40_000);

    it("a far end that refuses the hold: consult is a 409 with its SIP code, and no consultation is dialled", async () => {
      const sipp = await startSippUas({
        scenarioXml: readFileSync(
          join(import.meta.dirname, "..", "..", "fixtures", "sipp", "refuse-reinvite-uas.xml"),
          "utf8",
        ),
      });
      try {
        await onlyTrunkTo(t, sipp.port);
        const before = t.store.calls.list({ limit: 1000, offset: 0 }).total;
        const a = await personCall();
        const res = await post(`/api/v1/calls/${a}/consult`, { destination: B_NUMBER });
        expect(res.status).toBe(409);
        expect(res.body).toMatchObject({
          error: "Conflict",
          message: expect.stringMatching(/488 Not Acceptable Here/),
        });
        expect(t.store.calls.list({ limit: 1000, offset: 0 }).total).toBe(before + 1);
        expect(t.store.calls.get(a)!.status).toBe("in-progress");
        expect((await post(`/api/v1/calls/${a}/control`, { type: "end-call" })).status).toBe(200);
        expect(await sipp.exited, sipp.output()).toBe(0);
      } finally {
        sipp.proc.kill("SIGTERM");
      }
    }, 30_000);

    it("a call its assistant speaks on is not a person's: consult is a 409 that says to take it over", async () => {
      const sipp = await startSippUas();
      try {
        await onlyTrunkTo(t, sipp.port);
        // Local engines; the LLM is never asked (sipp sends no speech), so its URL may lead nowhere.
        const assistant = (
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
        const res = await post("/api/v1/calls/outbound", { destination: A_NUMBER, assistant_id: assistant });
        const id = res.body.call_id as string;
        await waitFor(() => t.engine.calls.liveCall(id)?.assistantSpeaks === true, 10_000);
        const refused = await post(`/api/v1/calls/${id}/consult`, { destination: B_NUMBER });
        expect(refused.status).toBe(409);
        expect(refused.body.message).toMatch(/not a person's call.*take it over/);
        expect(t.store.calls.events(id).some((e) => e.type === "hold")).toBe(false);
        expect((await post(`/api/v1/calls/${id}/control`, { type: "end-call" })).status).toBe(200);
        await sipp.exited;
      } finally {
        sipp.proc.kill("SIGTERM");
      }
    }, 30_000);

    it("errors: 400 with error and message for bad bodies, 404 for unknown calls, 409 for calls that are not a person's live call or not linked", async () => {
      for (const [path, body] of [
        ["consult", { destination: "12345" }],
        ["consult", {}],
        ["consult", { destination: B_NUMBER, extra: 1 }],
        ["transfer/complete", {}],
        ["transfer/cancel", { consult_call_id: "" }],
        ["transfer/swap", { consult_call_id: 5 }],
      ] as const) {
        const res = await post(`/api/v1/calls/any/${path}`, body);
        expect(res.status, `${path} ${JSON.stringify(body)}`).toBe(400);
        expect(res.body).toMatchObject({ error: "Bad Request", message: expect.any(String) });
      }
      for (const path of ["transfer/complete", "transfer/cancel", "transfer/swap"]) {
        const res = await post(`/api/v1/calls/no-such-call/${path}`, { consult_call_id: "x" });
        expect(res.status).toBe(404);
        expect(res.body).toMatchObject({ error: "Not Found", message: "Call 'no-such-call' does not exist" });
      }
      expect((await post("/api/v1/calls/no-such-call/consult", { destination: B_NUMBER })).status).toBe(404);

      // Calls of the earlier tests, all ended now.
      const [x, y] = t.store.calls.list({ limit: 2, offset: 0 }).calls.map((c) => c.id);
      const unknownConsult = await post(`/api/v1/calls/${x}/transfer/complete`, { consult_call_id: "no-such-call" });
      expect(unknownConsult.status).toBe(404);
      const ended = await post(`/api/v1/calls/${x}/consult`, { destination: B_NUMBER });
      expect(ended.status).toBe(409);
      expect(ended.body.message).toMatch(/only a person's call in progress/);
      for (const path of ["transfer/complete", "transfer/cancel", "transfer/swap"]) {
        const res = await post(`/api/v1/calls/${x}/${path}`, { consult_call_id: y });
        expect(res.status, path).toBe(409);
        expect(res.body.message).toMatch(/not an open consultation/);
      }
    });
  },
);
