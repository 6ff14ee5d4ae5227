import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSocket } from "node:dgram";
import { randomBytes } from "node:crypto";
import { startTestEngine, type TestEngine } from "../../helpers/engine.js";
import { hasSipp, startSippUas } from "../../helpers/sipp.js";
import { TORTURE } from "../../fixtures/torture.js";
import type { RtpSession } from "../../../main/engine/media/rtp-session.js";
import { waitFor } from "../../helpers/wait.js";

describe.skipIf(!hasSipp)(
  "malformed SIP and RTP during a live call (skipped only where sip-tester is not installed)",
  () => {
    let t: TestEngine;
    beforeAll(async () => {
      t = await startTestEngine();
    });
    afterAll(async () => {
      await t?.stop();
    });

    it("torture messages and thousands of random datagrams: no crash, 400 where a reply is possible, the call keeps its audio", async () => {
      const sipp = await startSippUas({ rtpEcho: true });
      await t.api("/api/v1/sip-trunks", { method: "POST", json: { name: "sipp", host: "127.0.0.1", port: sipp.port } });
      const assistant = (
        (await (await t.api("/api/v1/assistants", { method: "POST", json: { name: "A" } })).json()) as any
      ).assistant.id;
      let media: RtpSession | null = null;
      t.engine.telephony!.onAnswered = (_id, _leg, rtp) => {
        media = rtp;
      };
      await waitFor(() => t.engine.telephony!.stack.hasTrunk(t.store.sipTrunks.list()[0].id));
      const callId = (
        (await (
          await t.api("/api/v1/calls/outbound", {
            method: "POST",
            json: { destination: "+31612345678", assistant_id: assistant },
          })
        ).json()) as any
      ).call_id;
      await waitFor(() => t.store.calls.get(callId)!.status === "in-progress" && media);
      const rtp = media!;
      await waitFor(() => rtp.stats.received > 20);

      const sipPort = t.engine.telephony!.sipAddress!.port;
      const rtpPort = rtp.localPort;
      const sock = createSocket("udp4");
      await new Promise<void>((r) => sock.bind(0, "127.0.0.1", () => r()));
      const replies: string[] = [];
      sock.on("message", (m) => replies.push(m.toString("latin1")));
      const send = (buf: Buffer | string, port: number) =>
        new Promise<void>((r) => sock.send(buf, port, "127.0.0.1", () => r()));

      const receivedBefore = rtp.stats.received;
      const started = Date.now();
      for (const m of TORTURE) {
        // rport on the first Via so answers come back to this socket (RFC 3581); otherwise untouched.
        const text = m.text
          .replaceAll("PORT", String(sipPort))
          .replace(/(\r\nVia:[^\r\n]*?branch=[^;\r\n]+)/i, "$1;rport");
        await send(text, sipPort);
      }
      for (let i = 0; i < 3000; i++) {
        await send(randomBytes(1 + (i % 1400)), sipPort);
        await send(randomBytes(1 + (i % 300)), rtpPort);
        if (i % 3 === 0) {
          // RTP-shaped noise: version 2, random payload type, sequence and SSRC.
          const fake = randomBytes(172);
          fake[0] = 0x80;
          await send(fake, rtpPort);
        }
        if (i % 500 === 0) await new Promise((r) => setTimeout(r, 5));
      }
      await new Promise((r) => setTimeout(r, 1000));
      const elapsedS = (Date.now() - started) / 1000;

      // The call kept its audio: sipp's echo kept coming back during the blast (50 packets/s nominal; the
      // blast itself competes for the same two cores), and at the full rate once it was over.
      const echoed = rtp.stats.received - receivedBefore;
      expect(echoed / elapsedS).toBeGreaterThan(25);
      const afterBlast = rtp.stats.received;
      await new Promise((r) => setTimeout(r, 1000));
      expect(rtp.stats.received - afterBlast).toBeGreaterThan(45);
      expect(t.store.calls.get(callId)!.status).toBe("in-progress");
      expect((await t.api("/api/v1/health", { auth: false })).status).toBe(200);
      // Malformed requests with a usable Via were answered 400 with the reason.
      const bad = replies.filter((r) => r.startsWith("SIP/2.0 400"));
      expect(bad.map((r) => r.split("\r\n")[0])).toEqual(
        expect.arrayContaining([
          "SIP/2.0 400 CSeq method does not match the request",
          "SIP/2.0 400 Unsupported Request-URI scheme",
          "SIP/2.0 400 Missing Call-ID",
          "SIP/2.0 400 Bad Content-Length",
        ]),
      );
      // An INVITE with garbage SDP and no Contact is refused with a 4xx, not crashed on.
      const answers = replies.filter((r) => r.includes("garbagesdp@x")).map((r) => r.split("\r\n")[0]);
      expect(
        answers.some((a) => /^SIP\/2\.0 4\d\d /.test(a)),
        JSON.stringify(answers),
      ).toBe(true);
      // (The kernel drops part of a burst this fast; what arrived was counted as malformed and dropped.)
      expect(t.engine.telephony!.stack.udpStats.malformed).toBeGreaterThan(500);
      sock.close();

      await t.api(`/api/v1/calls/${callId}/control`, { method: "POST", json: { type: "end-call" } });
      await waitFor(() => t.store.calls.get(callId)!.status === "ended");
      expect(await sipp.exited).toBe(0);
    });
  },
);
