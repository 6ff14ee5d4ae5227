import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { createSocket, type Socket } from "node:dgram";
import { join } from "node:path";
import { startTestEngine, type TestEngine } from "../../helpers/engine.js";
import { hasSipp } from "../../helpers/sipp.js";
import { freeUdpPort } from "../../support/ports.js";
import { waitFor } from "../../helpers/wait.js";

const FIXTURES = join(import.meta.dirname, "..", "..", "fixtures", "sipp");

/**
 * One media port of the caller's phone: notes when each of our RTP packets arrives and sends it back,
 * so our side sees RTP from this address and latches to it, as it would with a real phone.
 */
async function phoneMediaPort(): Promise<{ port: number; arrivals: number[]; socket: Socket }> {
  const socket = createSocket("udp4");
  const port = await new Promise<number>((r) => socket.bind(0, "127.0.0.1", () => r(socket.address().port)));
  const arrivals: number[] = [];
  socket.on("message", (msg, rinfo) => {
    arrivals.push(performance.now());
    socket.send(msg, rinfo.port, rinfo.address);
  });
  return { port, arrivals, socket };
}

describe.skipIf(!hasSipp)(
  "hold and unhold by re-INVITE from a sipp caller (skipped only where sip-tester is not installed)",
  () => {
    let t: TestEngine;
    beforeAll(async () => {
      t = await startTestEngine();
    });
    afterAll(async () => {
      await t?.stop();
    });

    it("answers a=sendonly with a=recvonly, sends no RTP while held, and resumes at the address the unhold moved to", async () => {
      const assistant = (
        (await (await t.api("/api/v1/assistants", { method: "POST", json: { name: "Front desk" } })).json()) as any
      ).assistant.id;
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
        json: { phone_number: "+15550002222", assistant_id: assistant, sip_trunk_id: trunk.id },
      });
      await waitFor(() => t.engine.telephony!.stack.hasTrunk(trunk.id));
      // The SIP leg alone is under test: no assistant pipeline speaks (or hangs up) on this call.
      t.engine.telephony!.onAnswered = () => undefined;

      const a = await phoneMediaPort();
      const b = await phoneMediaPort();
      const streamed: { on_hold: boolean; by: string }[] = [];
      const unsubscribe = t.engine.bus.subscribe((e) => {
        if (e.type === "call.hold") streamed.push({ on_hold: e.on_hold, by: e.by });
      });
      try {
        const sip = t.engine.telephony!.sipAddress!;
        const sipp = spawn(
          "sipp",
          [
            "-sf",
            join(FIXTURES, "hold-uac.xml"),
            "-set",
            "rtpA",
            String(a.port),
            "-set",
            "rtpB",
            String(b.port),
            "-s",
            "+15550002222",
            "-i",
            "127.0.0.1",
            "-p",
            String(sippPort),
            "-mp",
            String(await freeUdpPort(false)),
            "-m",
            "1",
            "-nostdin",
            "-timeout",
            "20s",
            `127.0.0.1:${sip.port}`,
          ],
          { stdio: ["ignore", "pipe", "pipe"] },
        );
        let out = "";
        sipp.stdout.on("data", (d) => {
          out += d;
        });
        sipp.stderr.on("data", (d) => {
          out += d;
        });
        // sipp itself checks our answers: a=recvonly to its a=sendonly, a=sendrecv when it resumes.
        expect(await new Promise<number | null>((r) => sipp.on("exit", (c) => r(c))), out).toBe(0);

        // Before the hold our audio reached port A (2 s at 50 packets/s) ...
        expect(a.arrivals.length).toBeGreaterThan(60);
        // ... during the 2 s hold nothing reached either port, and after the unhold it went to port B only.
        expect(b.arrivals.length, "no RTP reached the address the unhold re-INVITE moved to").toBeGreaterThan(60);
        const lastA = a.arrivals[a.arrivals.length - 1];
        const firstB = b.arrivals[0];
        expect(firstB - lastA).toBeGreaterThan(1500);
        expect(firstB - lastA).toBeLessThan(3000);

        const call = await waitFor(() => {
          const c = t.store.calls.list({ limit: 1, offset: 0 }).calls[0];
          return c?.status === "ended" && c;
        });
        expect(call.end_reason).toBe("user_hangup");
        expect(
          t.store.calls
            .events(call.id)
            .map((e) => e.type)
            .filter((type) => type === "hold" || type === "unhold"),
        ).toEqual(["hold", "unhold"]);
        expect(
          t.store.calls
            .events(call.id)
            .filter((e) => e.type === "hold" || e.type === "unhold")
            .map((e) => e.data.by),
        ).toEqual(["peer", "peer"]);
        // The console's event stream hears it too.
        expect(streamed).toEqual([
          { on_hold: true, by: "peer" },
          { on_hold: false, by: "peer" },
        ]);
      } finally {
        unsubscribe();
        a.socket.close();
        b.socket.close();
      }
    }, 30_000);
  },
);
