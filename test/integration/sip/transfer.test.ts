import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestEngine, type TestEngine } from "../../helpers/engine.js";
import { hasSipp, rejectScenario, startSippUas } from "../../helpers/sipp.js";
import { hasKamailio, SHARED, startKamailio, type Kamailio } from "../../support/kamailio.js";
import { hasBaresip, runBaresip } from "../../helpers/baresip.js";
import { freeUdpPort } from "../../support/ports.js";
import { waitFor } from "../../helpers/wait.js";
import { maxCrossCorrelation, readWav, toTelephoneWav, windowedCorrelation } from "../../support/audio.js";
import { RtpSession } from "../../../main/engine/media/rtp-session.js";
import { PCMU } from "../../../main/engine/media/codecs/g711.js";

const FIXTURES = join(import.meta.dirname, "..", "..", "fixtures", "sipp");

/** Runs a sipp UAC scenario from test/fixtures/sipp against `remote`; resolves with its exit code and output. */
function runSippUac(o: {
  scenario: string;
  service: string;
  remote: string;
  localPort: number;
  vars: Record<string, number>;
}): { exited: Promise<{ code: number | null; out: string }> } {
  const args = ["-sf", join(FIXTURES, o.scenario), "-s", o.service, "-i", "127.0.0.1", "-p", String(o.localPort)];
  for (const [k, v] of Object.entries(o.vars)) args.push("-set", k, String(v));
  args.push("-m", "1", "-nostdin", "-timeout", "30s", o.remote);
  const proc = spawn("sipp", args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  proc.stdout.on("data", (d) => {
    out += d;
  });
  proc.stderr.on("data", (d) => {
    out += d;
  });
  return { exited: new Promise((r) => proc.on("exit", (code) => r({ code, out }))) };
}

/**
 * The caller's phone audio, beside sipp's signalling: a real RTP endpoint on the port sipp's SDP names.
 * It learns where our RTP comes from (symmetric RTP) and keeps what it hears from `listen()` on.
 */
async function callerPhone(): Promise<{ port: number; rtp: RtpSession; listen(): void; heard(): Int16Array }> {
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

describe.skipIf(!hasSipp)("call transfer (skipped only where sip-tester is not installed)", () => {
  let t: TestEngine;
  let answered: string[] = [];
  beforeAll(async () => {
    t = await startTestEngine({ sipRetryBaseMs: 300 });
    // The SIP legs are under test: no assistant pipeline speaks (or hangs up) on these calls.
    t.engine.telephony!.onAnswered = (callId) => {
      answered.push(callId);
    };
  });
  afterAll(async () => {
    await t?.stop();
  });

  async function assistantId(): Promise<string> {
    return ((await (await t.api("/api/v1/assistants", { method: "POST", json: { name: "Front desk" } })).json()) as any)
      .assistant.id;
  }

  it("blind transfer: the caller's phone takes the REFER, reports 200 OK by NOTIFY, and the call ends as transferred", async () => {
    answered = [];
    const sippPort = await freeUdpPort();
    const trunk = (
      (await (
        await t.api("/api/v1/sip-trunks", {
          method: "POST",
          json: { name: "sipp caller", host: "127.0.0.1", port: sippPort },
        })
      ).json()) as any
    ).trunk;
    await t.api("/api/v1/numbers", {
      method: "POST",
      json: { phone_number: "+15550002222", assistant_id: await assistantId(), sip_trunk_id: trunk.id },
    });
    await waitFor(() => t.engine.telephony!.stack.hasTrunk(trunk.id));
    const phone = await callerPhone();
    try {
      // sipp checks the Refer-To (sip:+31201234567@<trunk host>) and that our BYE follows its final NOTIFY.
      const sipp = runSippUac({
        scenario: "refer-accept-uac.xml",
        service: "+15550002222",
        remote: `127.0.0.1:${t.engine.telephony!.sipAddress!.port}`,
        localPort: sippPort,
        vars: { rtp: phone.port },
      });
      const callId = await Promise.race([
        waitFor(() => answered[0]),
        sipp.exited.then(({ out }) => {
          throw new Error(`sipp ended before the call was answered:\n${out}`);
        }),
      ]);
      expect(t.store.calls.get(callId)!.status).toBe("in-progress");

      const outcome = await t.engine.telephony!.transfer(callId, "+31201234567");
      expect(outcome).toEqual({ method: "refer", ok: true });
      const { code, out } = await sipp.exited;
      expect(code, out).toBe(0);

      const call = t.store.calls.get(callId)!;
      expect(call).toMatchObject({ status: "ended", end_reason: "transferred" });
      expect(
        t.store.calls
          .events(callId)
          .filter((e) => e.type === "transfer_attempt")
          .map((e) => e.data),
      ).toEqual([{ method: "refer", destination: `sip:+31201234567@127.0.0.1:${sippPort}`, ok: true }]);
    } finally {
      phone.rtp.close();
    }
  }, 40_000);

  describe.skipIf(!hasKamailio || !hasBaresip)(
    "through a carrier proxy (kamailio) when the caller's phone refuses REFER (skipped only where kamailio/baresip are not installed)",
    () => {
      let k: Kamailio;
      const work = mkdtempSync(join(tmpdir(), "transfer-"));
      const callerWav = join(work, "caller.wav");
      const targetWav = join(work, "target.wav");
      beforeAll(async () => {
        toTelephoneWav(join(SHARED, "audio", "en-ljspeech-LJ001-0002.wav"), callerWav, 0.3, 0.5);
        // baresip hangs up when its file ends: long enough that the caller hangs up first.
        toTelephoneWav(join(SHARED, "audio", "en-ljspeech-LJ001-0008.wav"), targetWav, 0.5, 14);
        k = await startKamailio();
        const trunk = (
          (await (
            await t.api("/api/v1/sip-trunks", {
              method: "POST",
              json: { name: "Kamailio", host: "127.0.0.1", port: k.port, username: "alice", password: "secret" },
            })
          ).json()) as any
        ).trunk;
        await t.api("/api/v1/numbers", {
          method: "POST",
          json: { phone_number: "+15550001111", assistant_id: await assistantId(), sip_trunk_id: trunk.id },
        });
        await waitFor(() => t.store.sipTrunks.get(trunk.id)!.registration.status === "registered", 10_000);
      });
      afterAll(async () => {
        await k?.stop();
      });

      it("falls back to a bridged call: the target answers, audio is relayed both ways, the call ends as transferred, and hanging up ends both legs", async () => {
        answered = [];
        const target = await runBaresip({
          account: `<sip:bob@127.0.0.1:${k.port};transport=udp>;auth_pass=bobpass;regint=60;answermode=auto`,
          wav: targetWav,
          seconds: 30,
        });
        const phone = await callerPhone();
        try {
          await waitFor(() => /bob@127\.0\.0\.1: .*200 OK/.test(target.output()), 10_000);
          // The caller dials our number through kamailio, refuses the REFER with 501 and hangs up 9 s later.
          const sipp = runSippUac({
            scenario: "refer-reject-uac.xml",
            service: "alice",
            remote: `127.0.0.1:${k.port}`,
            localPort: await freeUdpPort(),
            vars: { rtp: phone.port },
          });
          const callId = await waitFor(() => answered[0]);

          const outcome = await t.engine.telephony!.transfer(callId, `sip:bob@127.0.0.1:${k.port}`);
          expect(outcome, target.output()).toEqual({ method: "bridge", ok: true });
          expect(t.store.calls.get(callId)).toMatchObject({ status: "ended", end_reason: "transferred" });
          expect(await t.engine.telephony!.transfer(callId, "+31201234567")).toMatchObject({
            ok: false,
            reason: expect.stringMatching(/not connected/),
          });
          phone.listen();
          phone.rtp.play(readWav(callerWav).samples);

          const { code, out } = await sipp.exited;
          expect(code, out).toBe(0);
          // The caller hung up: the target's leg gets our BYE.
          await waitFor(() => /session closed/i.test(target.output()), 5000);
          target.proc.kill("SIGTERM");
          await target.exited;
          expect(target.output()).toMatch(/Call established/);

          // What the caller said reached the target, and what the target said reached the caller.
          const [recording] = target.recordings("dec");
          expect(recording, `no recording in ${target.recordDir}`).toBeTruthy();
          expect(
            maxCrossCorrelation(readWav(callerWav).samples, readWav(recording).samples, 4000).value,
          ).toBeGreaterThan(0.9);
          // Half a second at a time: a relay may drop a backlog built by a stall (media-leg.ts, sender.ts),
          // which shifts what follows; every half-second must still arrive intact.
          const said = readWav(targetWav).samples.subarray(0, 8000 * 3);
          const heard = phone.heard();
          const { lag } = maxCrossCorrelation(said.subarray(0, 8000), heard, 4000);
          expect(windowedCorrelation(said, heard, lag)).toBeGreaterThan(0.9);

          const events = t.store.calls.events(callId);
          expect(events.filter((e) => e.type === "transfer_attempt").map((e) => e.data)).toEqual([
            {
              method: "refer",
              destination: `sip:bob@127.0.0.1:${k.port}`,
              ok: false,
              reason: "the far end refused the transfer request (501 Not Implemented)",
            },
            { method: "bridge", destination: `sip:bob@127.0.0.1:${k.port}`, ok: true },
          ]);
          expect(events.find((e) => e.type === "bridge_ended")?.data).toMatchObject({ by: "caller" });
        } finally {
          phone.rtp.close();
          if (target.proc.exitCode === null) {
            target.proc.kill("SIGTERM");
            await target.exited;
          }
        }
      }, 60_000);

      it("when the far end reports the REFER failed and the bridged call fails too, the caller stays connected and the reason says what happened; both go through the number's transfer trunk", async () => {
        answered = [];
        // The number's transfer trunk is an office PBX (a sipp UAS) where the extension is busy.
        const pbx = await startSippUas({ scenarioXml: rejectScenario(486, "Busy Here") });
        const pbxTrunk = (
          (await (
            await t.api("/api/v1/sip-trunks", {
              method: "POST",
              json: { name: "Office PBX", host: "127.0.0.1", port: pbx.port },
            })
          ).json()) as any
        ).trunk;
        const number = t.store.numbers.list().find((n) => n.phone_number === "+15550001111")!;
        await t.api(`/api/v1/numbers/${number.id}`, { method: "PATCH", json: { transfer_trunk_id: pbxTrunk.id } });
        await waitFor(() => t.engine.telephony!.stack.hasTrunk(pbxTrunk.id));
        const phone = await callerPhone();
        try {
          // The caller's phone takes the REFER (202) and then reports by NOTIFY that the target was busy.
          const sipp = runSippUac({
            scenario: "refer-notify-fail-uac.xml",
            service: "alice",
            remote: `127.0.0.1:${k.port}`,
            localPort: await freeUdpPort(),
            vars: { rtp: phone.port },
          });
          const callId = await waitFor(() => answered[0]);
          const outcome = await t.engine.telephony!.transfer(callId, "+31201234567");
          expect(outcome).toEqual({
            method: "bridge",
            ok: false,
            reason:
              "Transfer to +31201234567 failed: the transfer target answered 486 Busy Here, and calling it directly failed too (busy). The caller is still on the line.",
          });
          // The PBX got our INVITE (and the ACK to its 486).
          expect(await pbx.exited, pbx.output()).toBe(0);
          expect(
            t.store.calls
              .events(callId)
              .filter((e) => e.type === "transfer_attempt")
              .map((e) => e.data.destination),
          ).toEqual([`sip:+31201234567@127.0.0.1:${pbx.port}`, `sip:+31201234567@127.0.0.1:${pbx.port}`]);
          expect(t.store.calls.get(callId)!.status).toBe("in-progress");
          // Still a live call: our audio keeps reaching the caller's phone.
          const before = phone.rtp.stats.received;
          await new Promise((r) => setTimeout(r, 500));
          expect(phone.rtp.stats.received - before).toBeGreaterThan(15);

          const { code, out } = await sipp.exited;
          expect(code, out).toBe(0);
          expect(
            await waitFor(() => {
              const c = t.store.calls.get(callId)!;
              return c.status === "ended" && c;
            }),
          ).toMatchObject({ end_reason: "user_hangup" });
        } finally {
          phone.rtp.close();
          await t.api(`/api/v1/numbers/${number.id}`, { method: "PATCH", json: { transfer_trunk_id: null } });
          if (pbx.proc.exitCode === null) pbx.proc.kill("SIGTERM");
        }
      }, 40_000);
    },
  );
});
