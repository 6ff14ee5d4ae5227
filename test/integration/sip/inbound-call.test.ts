import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestEngine, type TestEngine } from "../../helpers/engine.js";
import { hasKamailio, SHARED, startKamailio, type Kamailio } from "../../support/kamailio.js";
import { hasBaresip, runBaresip } from "../../helpers/baresip.js";
import { maxCrossCorrelation, readWav, toTelephoneWav } from "../../support/audio.js";
import { waitFor } from "../../helpers/wait.js";

describe.skipIf(!hasKamailio || !hasBaresip)(
  "a real softphone calls our number through kamailio (skipped only where kamailio/baresip are not installed)",
  () => {
    let k: Kamailio;
    let t: TestEngine;
    const work = mkdtempSync(join(tmpdir(), "inbound-"));
    const callerWav = join(work, "caller.wav");
    const ourWav = join(work, "ours.wav");
    beforeAll(async () => {
      toTelephoneWav(join(SHARED, "audio", "en-ljspeech-LJ001-0002.wav"), callerWav, 0.5, 1.5);
      toTelephoneWav(join(SHARED, "audio", "en-ljspeech-LJ001-0008.wav"), ourWav, 0, 0);
      k = await startKamailio();
      t = await startTestEngine({ sipRetryBaseMs: 300 });
    });
    afterAll(async () => {
      await t?.stop();
      await k?.stop();
    });

    it("answers, carries audio both ways, and ends the call row when the caller hangs up", async () => {
      const assistant = (
        (await (
          await t.api("/api/v1/assistants", { method: "POST", json: { name: "Front desk", recording_enabled: true } })
        ).json()) as any
      ).assistant;
      const trunk = (
        (await (
          await t.api("/api/v1/sip-trunks", {
            method: "POST",
            json: { name: "Kamailio", host: "127.0.0.1", port: k.port, username: "alice", password: "secret" },
          })
        ).json()) as any
      ).trunk;
      const number = (
        (await (
          await t.api("/api/v1/numbers", {
            method: "POST",
            json: { phone_number: "+15550001111", assistant_id: assistant.id, sip_trunk_id: trunk.id },
          })
        ).json()) as any
      ).number;
      for (let i = 0; i < 200 && t.store.sipTrunks.get(trunk.id)!.registration.status !== "registered"; i++)
        await new Promise((r) => setTimeout(r, 50));
      expect(t.store.sipTrunks.get(trunk.id)!.registration.status).toBe("registered");

      const heard: Int16Array[] = [];
      const ours = readWav(ourWav).samples;
      let answeredCall = "";
      t.engine.telephony!.onAnswered = (callId, _leg, rtp) => {
        answeredCall = callId;
        rtp.on("frame", (f) => heard.push(f.data.slice()));
        rtp.play(ours);
      };

      const phone = await runBaresip({
        account: `<sip:bob@127.0.0.1:${k.port};transport=udp>;regint=0`,
        wav: callerWav,
        dial: `sip:alice@127.0.0.1:${k.port}`,
        seconds: 15,
      });
      const deadline = Date.now() + 20_000;
      let call: any;
      while (Date.now() < deadline) {
        call = answeredCall ? t.store.calls.get(answeredCall) : null;
        if (call?.status === "ended" || call?.status === "failed") break;
        await new Promise((r) => setTimeout(r, 100));
      }
      phone.proc.kill("SIGTERM");
      await phone.exited;
      expect(phone.output()).toMatch(/Call established/);
      expect(call, phone.output()).toBeTruthy();
      expect(call).toMatchObject({
        status: "ended",
        end_reason: "user_hangup",
        direction: "inbound",
        assistant_phone: "+15550001111",
        number_id: number.id,
        agent_id: assistant.id,
      });
      expect(call.duration_seconds).toBeGreaterThanOrEqual(2);
      // What the audio went through, stored with the call: a clean loopback call loses nothing.
      expect(call.metrics.media.packets_received).toBeGreaterThan(100);
      expect(call.metrics.media).toMatchObject({ packets_lost: 0, packets_late: 0, packets_malformed: 0 });

      // What baresip played reached us (G.711 both ways).
      const received = new Int16Array(heard.reduce((n, f) => n + f.length, 0));
      let o = 0;
      for (const f of heard) {
        received.set(f, o);
        o += f.length;
      }
      const source = readWav(callerWav).samples;
      const inbound = maxCrossCorrelation(source, received, 4000);
      expect(inbound.value).toBeGreaterThan(0.9);

      // What we played reached baresip's recording.
      const [recording] = phone.recordings("dec");
      expect(recording, `no recording in ${phone.recordDir}`).toBeTruthy();
      const outbound = maxCrossCorrelation(ours, readWav(recording).samples, 4000);
      expect(outbound.value).toBeGreaterThan(0.9);

      // The call was recorded: stereo WAV behind the API's auth, caller left, agent right.
      expect(call.recording_url).toBe(`${t.url}/api/v1/calls/${call.id}/recording`);
      expect((await fetch(call.recording_url)).status).toBe(401);
      const res = await t.api(`/api/v1/calls/${call.id}/recording`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("audio/wav");
      const wav = Buffer.from(await res.arrayBuffer());
      expect(wav.readUInt16LE(22)).toBe(2);
      expect(wav.readUInt32LE(24)).toBe(8000);
      const stereo = new Int16Array(
        wav.buffer.slice(wav.byteOffset + 44, wav.byteOffset + wav.length - (wav.length % 2)),
      );
      const left = new Int16Array(stereo.length / 2);
      const right = new Int16Array(stereo.length / 2);
      for (let i = 0; i < left.length; i++) {
        left[i] = stereo[2 * i];
        right[i] = stereo[2 * i + 1];
      }
      expect(maxCrossCorrelation(source, left, 4000).value).toBeGreaterThan(0.9);
      expect(maxCrossCorrelation(ours, right, 4000).value).toBeGreaterThan(0.9);

      // The console's <audio> plays it through a signed URL, without a header.
      const signed = (await (await t.api(`/api/v1/calls/${call.id}/recording-url`, { method: "POST" })).json()) as any;
      const played = await fetch(signed.url);
      expect(played.status).toBe(200);
      expect(Buffer.from(await played.arrayBuffer()).equals(wav)).toBe(true);

      // The trunk's SIP log holds the call beside the registration: the INVITE in, our 200 out, the BYE in.
      const log = (await (await t.api(`/api/v1/sip-trunks/${trunk.id}/sip-log`)).json()) as any;
      const ladder = log.messages.map((m: any) => `${m.direction} ${m.first_line}`);
      const invite = ladder.findIndex((l: string) => l.startsWith("in INVITE "));
      expect(invite, ladder.join("\n")).toBeGreaterThan(0);
      const ok = log.messages.findIndex(
        (m: any, i: number) =>
          i > invite &&
          m.direction === "out" &&
          /^SIP\/2\.0 200 /.test(m.first_line) &&
          /^CSeq:\s*\d+ INVITE/im.test(m.text),
      );
      expect(ok, ladder.join("\n")).toBeGreaterThan(invite);
      expect(
        ladder.slice(ok).some((l: string) => l.startsWith("in BYE ")),
        ladder.join("\n"),
      ).toBe(true);
    });

    it("when we hang up (end-call through the control API), the softphone's call ends too", async () => {
      // The trunk and number of the test above; this time our side ends the call.
      let answeredCall = "";
      t.engine.telephony!.onAnswered = (callId) => {
        answeredCall = callId;
      };
      // baresip would stay on the line for 30 s: the call can only end early from our side.
      const phone = await runBaresip({
        account: `<sip:bob@127.0.0.1:${k.port};transport=udp>;regint=0`,
        wav: callerWav,
        dial: `sip:alice@127.0.0.1:${k.port}`,
        seconds: 30,
      });
      try {
        await waitFor(() => answeredCall && t.store.calls.get(answeredCall)!.status === "in-progress", 15_000).catch(
          () => {
            throw new Error(
              `not answered: ${JSON.stringify(t.store.calls.list({ limit: 1, offset: 0 }).calls[0])}\n${phone.output()}`,
            );
          },
        );
        await new Promise((r) => setTimeout(r, 1500));
        const res = await t.api(`/api/v1/calls/${answeredCall}/control`, {
          method: "POST",
          json: { type: "end-call" },
        });
        expect(res.status).toBe(200);
        const call = await waitFor(() => {
          const c = t.store.calls.get(answeredCall)!;
          return c.status === "ended" && c;
        }, 5_000);
        expect(call).toMatchObject({ end_reason: "assistant_hangup", direction: "inbound" });
        // baresip got our BYE: it reports the call terminated while it still has 25 s to run.
        await waitFor(() => /terminated/i.test(phone.output()), 5_000).catch(() => {
          throw new Error(`baresip did not report the call ended:\n${phone.output()}`);
        });
        expect(
          phone.proc.exitCode,
          "baresip is still running: the call ended because of our BYE, not its timer",
        ).toBeNull();
        // A control command on the ended call fails cleanly (400, as api-v1 §5.4 says for a call not active).
        const again = await t.api(`/api/v1/calls/${answeredCall}/control`, {
          method: "POST",
          json: { type: "end-call" },
        });
        expect(again.status).toBe(400);
        expect(((await again.json()) as any).message).toMatch(/in-progress/);
      } finally {
        phone.proc.kill("SIGTERM");
        await phone.exited;
      }
    });
  },
);
