import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnServe, type ServeProcess } from "../../helpers/cli.js";
import { hasSipp } from "../../helpers/sipp.js";
import { startCampaignUas, type CampaignUas } from "../../helpers/sipp-campaign.js";
import { waitForAsync } from "../../helpers/wait.js";

// The real `voicedock serve` process is killed (SIGKILL) while 3 leads are being called (their calls
// answered by a sipp UAS and held), then started again on the same data dir. Every lead must end exactly
// once: none lost, none left `calling`, and none dialled twice for one attempt — counted at the callee.
const dataDir = mkdtempSync(join(tmpdir(), "voicedock-campaign-crash-"));
const KEY = "vd_test_campaign_crash_key_0123456789";
const env = { VOICEDOCK_API_KEY: KEY, VOICEDOCK_RATE_LIMIT: "1000000", VOICEDOCK_LOG_LEVEL: "warn" };
const LEADS = ["+3161000010", "+3161000011", "+3161000012", "+3161000013", "+3161000014", "+3161000015"];

describe.skipIf(!hasSipp)(
  "a campaign survives a SIGKILL of the engine (skipped only where sip-tester is not installed)",
  () => {
    let uas: CampaignUas | undefined;
    let serve: ServeProcess | undefined;
    afterAll(async () => {
      serve?.proc.kill("SIGKILL");
      await uas?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    const api = async (url: string, method: string, path: string, body?: unknown) => {
      const r = await fetch(url + "/api/v1" + path, {
        method,
        headers: { authorization: `Bearer ${KEY}`, ...(body ? { "content-type": "application/json" } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: r.status, body: (await r.json()) as any };
    };

    it("every lead ends exactly once, with one INVITE per attempt", async () => {
      // 6 first attempts + 3 retries of the attempts cut by the crash.
      uas = await startCampaignUas(LEADS.length + 3);
      serve = await spawnServe(["--data-dir", dataDir, "--port", "0"], env);
      let url = serve.url;
      // The assistant runs no AI (no llm_config): answered calls stay up until someone ends them.
      const agent = (await api(url, "POST", "/assistants", { name: "Person takes over" })).body.assistant.id;
      const trunk = (await api(url, "POST", "/sip-trunks", { name: "callees", host: "127.0.0.1", port: uas.port })).body
        .trunk;
      await api(url, "POST", "/numbers", { phone_number: "+31850835037", sip_trunk_id: trunk.id });
      const id = (
        await api(url, "POST", "/campaigns", {
          name: "Crash",
          agent_id: agent,
          schedule_start_time: "00:00",
          schedule_end_time: "00:00",
          max_concurrency: 3,
          calls_per_second: 5,
          leads: LEADS.map((phone_number) => ({ phone_number })),
        })
      ).body.campaign.id;
      expect((await api(url, "PATCH", `/campaigns/${id}`, { status: "scheduled" })).status).toBe(200);

      const leads = async () => (await api(url, "GET", `/campaigns/${id}/leads`)).body.leads as any[];
      // Three leads calling, their calls answered and up: then the engine dies.
      const calling = await waitForAsync(
        async () => {
          const ls = (await leads()).filter((l) => l.status === "calling");
          if (ls.length !== 3) return false;
          const calls = await Promise.all(ls.map(async (l) => (await api(url, "GET", `/calls/${l.call_id}`)).body));
          return calls.every((c) => c.status === "in-progress") && ls;
        },
        30_000,
        100,
      );
      serve.proc.kill("SIGKILL");
      expect((await serve.exited).signal).toBe("SIGKILL");
      expect(uas.events().filter((e) => e.kind === "start")).toHaveLength(3);

      serve = await spawnServe(["--data-dir", dataDir, "--port", "0"], env);
      url = serve.url;
      // From now on each answered call is ended through the control API, so the campaign can finish.
      const ended = new Set<string>();
      const campaign = await waitForAsync(
        async () => {
          for (const l of await leads()) {
            if (l.status !== "calling" || ended.has(l.call_id)) continue;
            if ((await api(url, "GET", `/calls/${l.call_id}`)).body.status !== "in-progress") continue;
            ended.add(l.call_id);
            await api(url, "POST", `/calls/${l.call_id}/control`, { type: "end-call" });
          }
          const c = (await api(url, "GET", `/campaigns/${id}`)).body.campaign;
          return c.status === "completed" && c;
        },
        90_000,
        200,
      );
      expect(campaign).toMatchObject({ total_leads: 6, completed_leads: 6, failed_leads: 0 });

      const final = await leads();
      const cut = new Set(calling.map((l) => l.id));
      for (const l of final) {
        // The attempt cut by the crash counts; the next one was answered.
        expect(l, l.phone_number).toMatchObject({
          status: "completed",
          attempts: cut.has(l.id) ? 2 : 1,
          last_outcome: "answered",
        });
        const rows = (await api(url, "GET", "/calls?limit=100")).body.calls.filter(
          (c: any) => c.metadata?.lead_id === l.id,
        );
        expect(rows, l.phone_number).toHaveLength(l.attempts);
        // Ended by us through the control API; the cut attempt closed as engine_restart when the engine came back.
        expect(rows.map((c: any) => c.end_reason).sort(), l.phone_number).toEqual(
          cut.has(l.id) ? ["assistant_hangup", "engine_restart"] : ["assistant_hangup"],
        );
      }
      // At the callee: exactly one INVITE per attempt for every number.
      const invites = new Map<string, number>();
      for (const e of uas.events()) if (e.kind === "start") invites.set(e.to, (invites.get(e.to) ?? 0) + 1);
      for (const l of final) expect(invites.get(l.phone_number), l.phone_number).toBe(l.attempts);

      serve.proc.kill("SIGTERM");
      expect((await serve.exited).code).toBe(0);
      serve = undefined;
    }, 180_000);
  },
);
