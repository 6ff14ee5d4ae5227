import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestEngine, type TestEngine } from "../../helpers/engine.js";
import { hasSipp } from "../../helpers/sipp.js";
import { freeUdpPort } from "../../support/ports.js";
import { waitFor } from "../../helpers/wait.js";
import { canMountTmpfs, mountTmpfs, unmount } from "../../helpers/tmpfs.js";

describe.skipIf(!hasSipp || !canMountTmpfs())(
  "the database's disk fills up during a call (skipped only where sip-tester is missing or tmpfs cannot be mounted, i.e. not root)",
  () => {
    let t: TestEngine;
    const disk = mkdtempSync(join(tmpdir(), "db-disk-"));
    beforeAll(async () => {
      expect(mountTmpfs(disk, "24m")).toBe(true);
      t = await startTestEngine({ dataDir: join(disk, "data") });
    });
    afterAll(async () => {
      rmSync(join(disk, "filler"), { force: true });
      await t?.stop();
      unmount(disk);
      rmSync(disk, { recursive: true, force: true });
    });

    it("the call goes on to its end, the engine keeps serving, and the call's end is written once there is room again", async () => {
      const assistant = (
        (await (await t.api("/api/v1/assistants", { method: "POST", json: { name: "Desk" } })).json()) as any
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
        json: { phone_number: "+15550007777", assistant_id: assistant, sip_trunk_id: trunk.id },
      });
      await waitFor(() => t.engine.telephony!.stack.hasTrunk(trunk.id));
      t.engine.telephony!.onAnswered = () => undefined;

      const sip = t.engine.telephony!.sipAddress!;
      const sipp = spawn(
        "sipp",
        [
          "-sn",
          "uac",
          "-s",
          "+15550007777",
          "-d",
          "4000",
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
      const exited = new Promise<number | null>((r) => sipp.on("exit", (c) => r(c)));
      const call = await waitFor(() =>
        t.store.calls.list({ limit: 1, offset: 0 }).calls.find((c) => c.status === "in-progress"),
      );

      // The disk fills while the call is up: every database write from here on fails (SQLITE_FULL).
      spawnSync("dd", ["if=/dev/zero", `of=${join(disk, "filler")}`, "bs=1M", "count=64"]);
      // The caller hangs up; our 200 to its BYE means the engine is still there and handled it.
      expect(await exited, out).toBe(0);
      expect((await t.api("/api/v1/health", { auth: false })).status).toBe(200);
      expect((await t.api(`/api/v1/calls/${call.id}`)).status).toBe(200);

      // Room again: the end of the call, kept while the disk was full, is written.
      rmSync(join(disk, "filler"));
      const ended = await waitFor(() => {
        const c = t.store.calls.get(call.id)!;
        return c.status === "ended" ? c : undefined;
      }, 15_000);
      expect(ended).toMatchObject({ end_reason: "user_hangup" });
      expect(
        t.store.calls
          .events(call.id)
          .some((e) => e.type === "problem" && /disk|database/i.test(String(e.data.message))),
      ).toBe(true);
    }, 60_000);
  },
);
