import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { startTestEngine, type TestEngine } from "../../helpers/engine.js";
import { hasSipp } from "../../helpers/sipp.js";
import { freeUdpPort } from "../../support/ports.js";
import { waitFor } from "../../helpers/wait.js";

const FIXTURES = join(import.meta.dirname, "..", "..", "fixtures", "sipp");

/** Runs sipp's digest-answering carrier against the engine; resolves with its exit code and output. */
async function carrierCall(
  t: TestEngine,
  localPort: number,
  password: string,
  timeoutSeconds = 10,
): Promise<{ code: number | null; out: string }> {
  const sip = t.engine.telephony!.sipAddress!;
  const proc = spawn(
    "sipp",
    [
      "-sf",
      join(FIXTURES, "auth-uac.xml"),
      "-s",
      "+15550004444",
      "-au",
      "carrier",
      "-ap",
      password,
      "-i",
      "127.0.0.1",
      "-p",
      String(localPort),
      "-mp",
      String(await freeUdpPort(false)),
      "-m",
      "1",
      "-nostdin",
      "-timeout",
      `${timeoutSeconds}s`,
      "-recv_timeout",
      `${timeoutSeconds * 1000}`,
      `127.0.0.1:${sip.port}`,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  proc.stdout.on("data", (d) => {
    out += d;
  });
  proc.stderr.on("data", (d) => {
    out += d;
  });
  const code = await new Promise<number | null>((r) => proc.on("exit", (c) => r(c)));
  return { code, out };
}

describe.skipIf(!hasSipp)(
  "a trunk that authenticates its INVITEs to us (inbound_auth; skipped only where sip-tester is not installed)",
  () => {
    let t: TestEngine;
    let sippPort: number;
    beforeAll(async () => {
      t = await startTestEngine();
      sippPort = await freeUdpPort();
      const assistant = (
        (await (await t.api("/api/v1/assistants", { method: "POST", json: { name: "Front desk" } })).json()) as any
      ).assistant.id;
      const res = await t.api("/api/v1/sip-trunks", {
        method: "POST",
        json: {
          name: "Carrier",
          host: "127.0.0.1",
          port: sippPort,
          inbound_auth: { username: "carrier", password: "in-s3cret" },
        },
      });
      const trunk = ((await res.json()) as any).trunk;
      // Write-only: the API says that there is a password, never what it is.
      expect(trunk.inbound_auth).toEqual({ username: "carrier", has_password: true });
      await t.api("/api/v1/numbers", {
        method: "POST",
        json: { phone_number: "+15550004444", assistant_id: assistant, sip_trunk_id: trunk.id },
      });
      await waitFor(() => t.engine.telephony!.stack.hasTrunk(trunk.id));
      t.engine.telephony!.onAnswered = () => undefined;
    });
    afterAll(async () => {
      await t?.stop();
    });

    it("challenges the first INVITE with 401, answers the one with the right digest, and the call ends normally", async () => {
      const { code, out } = await carrierCall(t, sippPort, "in-s3cret");
      expect(code, out).toBe(0);
      const calls = ((await (await t.api("/api/v1/calls")).json()) as any).calls;
      expect(calls).toHaveLength(1);
      expect(calls[0]).toMatchObject({ direction: "inbound", status: "ended", end_reason: "user_hangup" });
    });

    it("a wrong password gets a 401 again, no call row, and the attempt is counted", async () => {
      const before = t.engine.telephony!.rejectedRequests;
      const { code, out } = await carrierCall(t, sippPort, "guessed", 3);
      // sipp expected a 200 after its credentials and got a second 401: the scenario fails.
      expect(code, out).not.toBe(0);
      expect(out).toMatch(/401/);
      expect(((await (await t.api("/api/v1/calls")).json()) as any).calls).toHaveLength(1);
      expect(t.engine.telephony!.rejectedRequests).toBeGreaterThan(before);
      expect(JSON.stringify(t.store.sipTrunks.list())).not.toContain("in-s3cret");
    });
  },
);
