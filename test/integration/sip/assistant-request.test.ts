import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHmac } from "node:crypto";
import { existsSync, mkdtempSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestEngine, type TestEngine } from "../../helpers/engine.js";
import { hasKamailio, SHARED, startKamailio, type Kamailio } from "../../support/kamailio.js";
import { hasBaresip, runBaresip } from "../../helpers/baresip.js";
import { toTelephoneWav } from "../../support/audio.js";
import { startLlmServer, type LlmServer } from "../../support/llm-server.js";
import { waitFor } from "../../helpers/wait.js";

const SECRET = "whsec_assistant_request";

describe.skipIf(!hasKamailio || !hasBaresip || !existsSync("/usr/bin/pocketsphinx_continuous"))(
  "the assistant-request webhook chooses the assistant of an inbound call (skipped only where kamailio, baresip or pocketsphinx are not installed)",
  () => {
    let k: Kamailio;
    let t: TestEngine;
    let llm: LlmServer;
    let hook: Server;
    let answer: { delayMs: number; body: unknown } = { delayMs: 0, body: {} };
    const requests: { body: any; verified: boolean; at: number }[] = [];
    const work = mkdtempSync(join(tmpdir(), "areq-"));
    const quietWav = join(work, "quiet.wav");
    let trunkPort = 0;
    let defaultAssistant: any;
    let otherAssistant: any;

    beforeAll(async () => {
      toTelephoneWav(join(SHARED, "audio", "en-ljspeech-LJ001-0002.wav"), quietWav, 30, 0); // silence for the whole call
      k = await startKamailio();
      t = await startTestEngine({ sipRetryBaseMs: 300 });
      llm = await startLlmServer(() => ({ text: "Okay." }));
      hook = createServer(async (req, res) => {
        let raw = "";
        for await (const c of req) raw += c;
        const expected =
          "sha256=" + createHmac("sha256", SECRET).update(`${req.headers["x-webhook-timestamp"]}.${raw}`).digest("hex");
        requests.push({
          body: JSON.parse(raw),
          verified: req.headers["x-webhook-signature"] === expected,
          at: Date.now(),
        });
        await new Promise((r) => setTimeout(r, answer.delayMs));
        if (!res.destroyed) res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(answer.body));
      });
      await new Promise<void>((r) => hook.listen(0, "127.0.0.1", r));
      const base = {
        stt_config: { provider: "pocketsphinx", language: "en" },
        llm_config: { provider: "openai_compatible", model: "local-test", base_url: llm.url },
        tts_config: { provider: "local", voice_id: "flite-kal" },
      };
      defaultAssistant = (
        (await (
          await t.api("/api/v1/assistants", {
            method: "POST",
            json: {
              ...base,
              name: "Default desk",
              first_message: "Default greeting.",
              webhook_url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`,
              webhook_secret: SECRET,
              webhook_events: ["assistant-request"],
            },
          })
        ).json()) as any
      ).assistant;
      otherAssistant = (
        (await (
          await t.api("/api/v1/assistants", {
            method: "POST",
            json: { ...base, name: "Evening desk", first_message: "Evening greeting." },
          })
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
      await t.api("/api/v1/numbers", {
        method: "POST",
        json: {
          phone_number: "+15550003333",
          name: "Main line",
          assistant_id: defaultAssistant.id,
          sip_trunk_id: trunk.id,
        },
      });
      await waitFor(() => t.store.sipTrunks.get(trunk.id)!.registration.status === "registered", 10_000);
      trunkPort = k.port;
    }, 60_000);
    afterAll(async () => {
      await t?.stop();
      await k?.stop();
      await llm?.close();
      hook?.close();
    });

    /** baresip calls in and stays on the line for `seconds`; returns the call row once it has a first message. */
    async function callIn(seconds: number, until: (call: any) => boolean) {
      const before = new Set(t.store.calls.list({ limit: 50, offset: 0 }).calls.map((c) => c.id));
      const phone = await runBaresip({
        account: `<sip:bob@127.0.0.1:${trunkPort};transport=udp>;regint=0`,
        wav: quietWav,
        dial: `sip:alice@127.0.0.1:${trunkPort}`,
        seconds,
      });
      const ours = () => t.store.calls.list({ limit: 50, offset: 0 }).calls.find((x) => !before.has(x.id));
      const call = await waitFor(() => {
        const c = ours();
        return c && until(c) ? c : null;
      }, 30_000).catch(() => null);
      phone.proc.kill("SIGTERM");
      await phone.exited;
      // Said when a check fails: what the engine recorded and what the phone saw.
      const seen = ours();
      const story = JSON.stringify({
        call: seen ?? "no call row",
        events: seen ? t.store.calls.events(seen.id) : [],
        phone: phone.output().slice(-3000),
      });
      return { call, story };
    }

    it("hybrid answer: another saved assistant with a shallow override and metadata; the request is signed and sent while ringing", async () => {
      answer = {
        delayMs: 0,
        body: {
          assistant_id: otherAssistant.id,
          assistant_override: { first_message: "Welcome back, Maria!", metadata: { crm_id: "C-77" } },
        },
      };
      const { call, story } = await callIn(20, (c) => c.messages.length > 0);
      expect(call, `no call with a first message: ${story}`).toBeTruthy();
      const req = requests.at(-1)!;
      expect(req.verified).toBe(true);
      expect(req.body.message).toMatchObject({
        type: "assistant-request",
        call: { id: call!.id, type: "inbound_phone_call", status: "ringing" },
        phone_number: { number: "+15550003333", name: "Main line" },
      });
      expect(call).toMatchObject({ agent_id: otherAssistant.id, agent_name: "Evening desk" });
      expect(call!.messages[0]).toMatchObject({ role: "assistant", content: "Welcome back, Maria!" });
      expect(t.store.calls.assistantConfig(call!.id)).toMatchObject({
        metadata: { crm_id: "C-77" },
        name: "Evening desk",
      });
    }, 60_000);

    it("no answer within 5 s: the saved assistant takes the call", async () => {
      answer = { delayMs: 7000, body: { assistant: { first_message: "Too late." } } };
      const { call, story } = await callIn(20, (c) => c.messages.length > 0);
      expect(call, `no call with a first message: ${story}`).toBeTruthy();
      expect(call).toMatchObject({ agent_id: defaultAssistant.id });
      expect(call!.messages[0].content).toBe("Default greeting.");
      expect(
        t.store.calls
          .events(call!.id)
          .some((e) => e.type === "problem" && /did not answer within 5 s/.test(String(e.data.message))),
      ).toBe(true);
    }, 60_000);

    it("reject answer: the text is said, then the call ends (end_reason rejected)", async () => {
      answer = { delayMs: 0, body: { error: "Sorry, we are closed right now." } };
      const { call, story } = await callIn(20, (c) => c.status === "ended");
      expect(call, `the call did not end: ${story}`).toBeTruthy();
      expect(call).toMatchObject({ status: "ended", end_reason: "rejected" });
      expect(call!.messages.map((m: any) => m.content)).toEqual(["Sorry, we are closed right now."]);
    }, 60_000);
  },
);
