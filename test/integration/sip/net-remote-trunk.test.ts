import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestEngine, type TestEngine } from "../../helpers/engine.js";
import { hasKamailio, SHARED, startKamailio, type Kamailio } from "../../support/kamailio.js";
import { hasBaresip, runBaresip } from "../../helpers/baresip.js";
import { hasSipp, startSippUas } from "../../helpers/sipp.js";
import { hasNetns, teardown, Topology } from "../../helpers/netns.js";
import { fetchBindings, finalResponse, inviteRequest, optionsRequest, sipExchange } from "../../support/sip-probe.js";
import {
  answerWith,
  callCount,
  callOutcome,
  createAssistant,
  createNumber,
  createTrunk,
  deleteTrunk,
  getTrunk,
  sipPort,
  waitForRegistration,
} from "../../helpers/net-telephony.js";
import { maxCrossCorrelation, readWav, toTelephoneWav } from "../../support/audio.js";
import { waitFor } from "../../helpers/wait.js";

/*
 * A trunk on another host. Topology (this file owns 10.211.0.0/16):
 *
 *   test's namespace (engine)  10.211.0.1 ──veth── 10.211.0.2  "carrier": kamailio :5060, baresip, sipp
 *                              10.211.1.1 ──veth── 10.211.1.2  "stranger": sends an INVITE we must refuse
 *
 * The engine runs with default flags (no host for SIP): it must find and announce 10.211.0.1 itself.
 */
const OUR_ADDRESS = "10.211.0.1";
const CARRIER = "10.211.0.2";
const STRANGER = "10.211.1.2";
/** Our address on the stranger's link: the only one of ours it has a route to. */
const OUR_ADDRESS_FOR_STRANGER = "10.211.1.1";
const NUMBER = "+15550001111";

describe.skipIf(!hasNetns || !hasKamailio || !hasBaresip || !hasSipp)(
  "a trunk on another host (network namespaces; skipped only where not root or kamailio/baresip/sipp are not installed)",
  () => {
    const topo = new Topology();
    let carrier = "";
    let stranger = "";
    let k: Kamailio;
    let t: TestEngine;
    let trunkId = "";
    let assistantId = "";
    const work = mkdtempSync(join(tmpdir(), "net-remote-"));
    const callerWav = join(work, "caller.wav");
    const ourWav = join(work, "ours.wav");

    beforeAll(async () => {
      toTelephoneWav(join(SHARED, "audio", "en-ljspeech-LJ001-0002.wav"), callerWav, 0.5, 1.5);
      toTelephoneWav(join(SHARED, "audio", "en-ljspeech-LJ001-0008.wav"), ourWav, 0, 0);
      carrier = topo.namespace("carrier");
      stranger = topo.namespace("stranger");
      topo.link({ ns: null, address: `${OUR_ADDRESS}/24` }, { ns: carrier, address: `${CARRIER}/24` });
      topo.link({ ns: null, address: `${OUR_ADDRESS_FOR_STRANGER}/24` }, { ns: stranger, address: `${STRANGER}/24` });
      k = await startKamailio({ netns: carrier, address: CARRIER });
      t = await startTestEngine({ sipRetryBaseMs: 300 });
      assistantId = await createAssistant(t, "Front desk");
      trunkId = (
        await createTrunk(t, { name: "Carrier", host: CARRIER, port: k.port, username: "alice", password: "secret" })
      ).id;
      await createNumber(t, NUMBER, trunkId, assistantId);
    });
    afterAll(async () => {
      await teardown(
        () => t?.stop(),
        () => k?.stop(),
        () => topo.cleanup(),
        () => rmSync(work, { recursive: true, force: true }),
      );
    });

    it("registers, and the Contact kamailio stores is our routable address (not 127.0.0.1, not 0.0.0.0)", async () => {
      const reg = await waitForRegistration(t, trunkId, (r) => r.status === "registered", 20_000);
      expect(reg.server).toBe(`${CARRIER}:${k.port}`);
      expect(reg.contact).toContain(`@${OUR_ADDRESS}:${sipPort(t)}`);
      // Asked of kamailio itself (a REGISTER without Contact lists the bindings), not of our API.
      const contacts = await fetchBindings({
        registrar: { address: CARRIER, port: k.port },
        user: "alice",
        password: "secret",
      });
      expect(contacts.length, "kamailio holds no binding for alice").toBeGreaterThan(0);
      for (const contact of contacts) {
        expect(contact).toContain(`@${OUR_ADDRESS}:${sipPort(t)}`);
        expect(contact).not.toMatch(/127\.0\.0\.1|0\.0\.0\.0/);
      }
    });

    it("answers OPTIONS from the trunk's host with 200 and what we accept", async () => {
      const us = { address: OUR_ADDRESS, port: sipPort(t) };
      const answer = finalResponse(
        await sipExchange({ netns: carrier, bind: CARRIER, to: us, message: optionsRequest(us), retransmitMs: 500 }),
      );
      expect(answer, "no answer to OPTIONS").not.toBeNull();
      expect(answer!.status).toBe(200);
      expect(answer!.header("allow").join(",")).toMatch(/INVITE/);
      expect(answer!.header("allow").join(",")).toMatch(/OPTIONS/);
      expect(answer!.header("accept").join(",")).toMatch(/application\/sdp/);
      expect(answer!.header("supported").length, answer!.raw).toBeGreaterThan(0);
    });

    it("refuses an INVITE from a host that is not the trunk: 403, counted, no call row, nothing rings", async () => {
      const us = { address: OUR_ADDRESS_FOR_STRANGER, port: sipPort(t) };
      const rejectedBefore = t.engine.telephony!.rejectedRequests;
      const callsBefore = await callCount(t);
      const events: string[] = [];
      const unsubscribe = t.engine.bus.subscribe((e) => {
        if (e.type.startsWith("call.")) events.push(e.type);
      });
      try {
        // For a number we do have: only the source can be the reason to refuse it.
        const answer = finalResponse(
          await sipExchange({
            netns: stranger,
            bind: STRANGER,
            to: us,
            message: inviteRequest(us, NUMBER),
            retransmitMs: 500,
          }),
        );
        expect(answer, "no final answer to the stranger's INVITE").not.toBeNull();
        expect(answer!.status).toBe(403);
        await new Promise((r) => setTimeout(r, 500));
        expect(t.engine.telephony!.rejectedRequests).toBeGreaterThan(rejectedBefore);
        expect(await callCount(t)).toBe(callsBefore);
        expect(callsBefore).toBe(0);
        expect(events, "a call event means a call row or a ringing console").toEqual([]);
      } finally {
        unsubscribe();
      }
    });

    it("a softphone registered at the carrier calls our number: answered, audio both ways", async () => {
      const ours = readWav(ourWav).samples;
      const answered = answerWith(t, ours);
      const phone = await runBaresip({
        netns: carrier,
        address: CARRIER,
        account: `<sip:bob@${CARRIER}:${k.port};transport=udp>;auth_pass=bobpass;regint=60`,
        wav: callerWav,
        dial: `sip:alice@${CARRIER}:${k.port}`,
        seconds: 15,
      });
      const call = await callOutcome(t, answered.callId, phone, 25_000);
      expect(phone.output()).toMatch(/Call established/);
      expect(call, `no call was answered:\n${phone.output()}`).toBeTruthy();
      expect(call).toMatchObject({ status: "ended", direction: "inbound", assistant_phone: NUMBER });

      // What baresip played reached us (G.711 both ways).
      const inbound = maxCrossCorrelation(readWav(callerWav).samples, answered.heard(), 4000);
      expect(inbound.value, "the caller's audio did not reach us: was our SDP address routable?").toBeGreaterThan(0.9);
      // What we played reached baresip's recording.
      const [recording] = phone.recordings("dec");
      expect(recording, `no recording in ${phone.recordDir}`).toBeTruthy();
      expect(maxCrossCorrelation(ours, readWav(recording).samples, 4000).value).toBeGreaterThan(0.9);
    }, 60_000);

    it("when we hang up (end-call), the softphone at the carrier gets our BYE", async () => {
      const answered = answerWith(t, null);
      // baresip would stay on the line for 30 s: the call can only end early from our side.
      const phone = await runBaresip({
        netns: carrier,
        address: CARRIER,
        account: `<sip:bob@${CARRIER}:${k.port};transport=udp>;auth_pass=bobpass;regint=60`,
        wav: callerWav,
        dial: `sip:alice@${CARRIER}:${k.port}`,
        seconds: 30,
      });
      try {
        await waitFor(
          () => answered.callId() && t.store.calls.get(answered.callId())!.status === "in-progress",
          15_000,
        ).catch(() => {
          throw new Error(`not answered:\n${phone.output()}`);
        });
        await new Promise((r) => setTimeout(r, 1000));
        const res = await t.api(`/api/v1/calls/${answered.callId()}/control`, {
          method: "POST",
          json: { type: "end-call" },
        });
        expect(res.status).toBe(200);
        await waitFor(() => /session closed|terminated/i.test(phone.output()), 5_000).catch(() => {
          throw new Error(`baresip did not report the call ended (our BYE went elsewhere?):\n${phone.output()}`);
        });
        expect(
          phone.proc.exitCode,
          "baresip is still running: the call ended because of our BYE, not its timer",
        ).toBeNull();
        const call = await waitFor(() => {
          const c = t.store.calls.get(answered.callId())!;
          return c.status === "ended" && c;
        }, 5_000);
        expect(call).toMatchObject({ end_reason: "assistant_hangup", direction: "inbound" });
      } finally {
        phone.proc.kill("SIGTERM");
        await phone.exited;
      }
    }, 60_000);

    it("an outbound call to a sipp UAS at the carrier gets its own audio echoed back; our hang-up reaches sipp", async () => {
      // A second trunk straight to sipp (no registration), made here and removed after, so the inbound
      // tests above see one trunk at the carrier's address.
      const sipp = await startSippUas({ netns: carrier, address: CARRIER, port: 5070, rtpEcho: true });
      const direct = await createTrunk(t, { name: "Carrier sipp", host: CARRIER, port: sipp.port });
      try {
        const numberId = await createNumber(t, "+15550002222", direct.id);
        await waitFor(() => t.engine.telephony!.stack.hasTrunk(direct.id), 5_000);
        const ours = readWav(ourWav).samples;
        const answered = answerWith(t, ours);
        const res = await t.api("/api/v1/calls/outbound", {
          method: "POST",
          json: { destination: "+15557654321", assistant_id: assistantId, number_id: numberId },
        });
        expect(res.status).toBe(200);
        const id = ((await res.json()) as { call_id: string }).call_id;
        await waitFor(() => t.store.calls.get(id)!.status === "in-progress", 15_000).catch(() => {
          throw new Error(`not answered: ${JSON.stringify(t.store.calls.get(id))}\n${sipp.output()}`);
        });
        // Our audio (about 1.8 s) goes to sipp and comes back.
        await new Promise((r) => setTimeout(r, ours.length / 8 + 1500));
        const echo = maxCrossCorrelation(ours, answered.heard(), 4000);
        expect(echo.value, `heard ${answered.heard().length} samples back`).toBeGreaterThan(0.9);

        expect(
          (await t.api(`/api/v1/calls/${id}/control`, { method: "POST", json: { type: "end-call" } })).status,
        ).toBe(200);
        // sipp's uas scenario ends with 0 only after it received our BYE (and answered it).
        expect(await sipp.exited, sipp.output()).toBe(0);
        const call = await waitFor(() => {
          const c = t.store.calls.get(id)!;
          return c.status === "ended" && c;
        }, 5_000);
        expect(call).toMatchObject({ end_reason: "assistant_hangup", direction: "outbound" });
      } finally {
        sipp.proc.kill("SIGTERM");
        await deleteTrunk(t, direct.id);
      }
    }, 60_000);

    it("still reports the carrier trunk registered to the same server at the end", async () => {
      const trunk = await getTrunk(t, trunkId);
      expect(trunk.registration).toMatchObject({ status: "registered", server: `${CARRIER}:${k.port}` });
    });
  },
);
