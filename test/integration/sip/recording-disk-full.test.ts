import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { startTestEngine, type TestEngine } from "../../helpers/engine.js";
import { hasSipp } from "../../helpers/sipp.js";
import { freeUdpPort } from "../../support/ports.js";
import { waitFor } from "../../helpers/wait.js";
import { canMountTmpfs, mountTmpfs, unmount } from "../../helpers/tmpfs.js";

describe.skipIf(!hasSipp || !canMountTmpfs())(
  "a recording that fills the disk (skipped only where sip-tester is missing or tmpfs cannot be mounted, i.e. not root)",
  () => {
    let t: TestEngine;
    let recordings = "";
    beforeAll(async () => {
      t = await startTestEngine();
      // 48 KB: the header and the first second of stereo audio fit, the next second does not.
      recordings = join(t.dataDir, "recordings");
      mkdirSync(recordings, { recursive: true });
      expect(mountTmpfs(recordings, "48k")).toBe(true);
    });
    // Unmounted before the engine's data dir is removed (a mount point cannot be deleted).
    afterAll(async () => {
      unmount(recordings);
      await t?.stop();
    });

    it("stops recording with the reason on the call, while the call and its audio go on to a normal end", async () => {
      const assistant = (
        (await (
          await t.api("/api/v1/assistants", {
            method: "POST",
            json: { name: "Recorded desk", recording_enabled: true },
          })
        ).json()) as any
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
        json: { phone_number: "+15550006666", assistant_id: assistant, sip_trunk_id: trunk.id },
      });
      await waitFor(() => t.engine.telephony!.stack.hasTrunk(trunk.id));
      t.engine.telephony!.onAnswered = () => undefined;

      // sipp's built-in caller: INVITE, 6 s of call, BYE.
      const sip = t.engine.telephony!.sipAddress!;
      const sipp = spawn(
        "sipp",
        [
          "-sn",
          "uac",
          "-s",
          "+15550006666",
          "-d",
          "6000",
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
      expect(await new Promise<number | null>((r) => sipp.on("exit", (c) => r(c))), out).toBe(0);

      const call = await waitFor(() =>
        t.store.calls.list({ limit: 1, offset: 0 }).calls.find((c) => c.status === "ended"),
      );
      // The call went on to the caller's own hang-up, and our audio kept going out after the disk filled.
      expect(call).toMatchObject({ end_reason: "user_hangup" });
      expect((call.metrics as { media: { packets_sent: number } }).media.packets_sent).toBeGreaterThan(250);
      const problems = t.store.calls
        .events(call.id)
        .filter((e) => e.type === "problem")
        .map((e) => String(e.data.message));
      expect(problems).toContain("Recording stopped: the disk is full (ENOSPC); the call goes on");
    }, 60_000);
  },
);
