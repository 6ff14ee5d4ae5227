import { afterAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hasNetns, run, teardown, Topology } from "../../helpers/netns.js";
import { hasBaresip } from "../../helpers/baresip.js";
import { SHARED } from "../../support/kamailio.js";
import { toTelephoneWav } from "../../support/audio.js";

const hasPocketsphinx = existsSync("/usr/bin/pocketsphinx_continuous");
const ROOT = join(import.meta.dirname, "..", "..", "..");

/*
 * Offline means offline, for the whole process tree: the engine with local engines, everything it starts
 * (workers, pocketsphinx, voices), the LLM double, the webhook receiver and the caller all run in a
 * network namespace that has only loopback. Nothing there can reach anything else; the call must still
 * complete, summary and signed report included.
 */
describe.skipIf(!hasNetns || !hasBaresip || !hasPocketsphinx)(
  "a whole assistant call with no network but loopback (skipped only where not root or baresip/pocketsphinx are not installed)",
  () => {
    const topo = new Topology();
    const work = mkdtempSync(join(tmpdir(), "offline-"));
    afterAll(async () => {
      await teardown(
        () => topo.cleanup(),
        () => rmSync(work, { recursive: true, force: true }),
      );
    });

    it("answers, hears the caller, replies through the local LLM, summarizes and reports, with no route anywhere", async () => {
      const ns = topo.namespace("offline");
      // Only loopback: no interface, no route beyond 127.0.0.0/8.
      expect(
        run("ip", ["netns", "exec", ns, "ip", "-o", "link"])
          .trim()
          .split("\n")
          .map((l) => l.split(":")[1].trim()),
      ).toEqual(["lo"]);
      const callerWav = join(work, "caller.wav");
      toTelephoneWav(join(SHARED, "audio", "en-jfk.wav"), callerWav, 6, 12);

      const child = spawn(
        "ip",
        [
          "netns",
          "exec",
          ns,
          process.execPath,
          "--import",
          "tsx",
          join(ROOT, "test", "fixtures", "offline-call.ts"),
          work,
          callerWav,
        ],
        { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
      );
      let out = "";
      let err = "";
      child.stdout.on("data", (d) => {
        out += d;
      });
      child.stderr.on("data", (d) => {
        err += d;
      });
      const code = await new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
      expect(code, err).toBe(0);
      const result = JSON.parse(out.trim().split("\n").at(-1)!);

      // The isolation is real: a connection to any other address fails at once.
      expect(result.outside).toBe("ENETUNREACH");
      expect(result.phone, result.phoneOutput).toBe(true);
      expect(result.call).toMatchObject({ status: "ended", end_reason: "user_hangup" });
      expect(result.call.messages.slice(0, 3)).toEqual(["assistant", "user", "assistant"]);
      expect(result.call.summary).toMatch(/country/);
      // The local recognizer heard JFK (a few key words through G.711).
      const jfk = new Set(
        "and so my fellow americans ask not what your country can do for you ask what you can do for your country".split(
          " ",
        ),
      );
      const heard =
        String(result.llmHeard[0] ?? "")
          .toLowerCase()
          .match(/[a-z']+/g) ?? [];
      expect(heard.filter((w: string) => jfk.has(w)).length, heard.join(" ")).toBeGreaterThanOrEqual(3);
      const report = result.reports.find((r: any) => r.type === "end-of-call-report");
      expect(report).toMatchObject({ verified: true, summary: result.call.summary, end_reason: "user_hangup" });
    }, 120_000);
  },
);
