import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createHmac } from "node:crypto";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { existsSync } from "node:fs";
import WebSocket from "ws";
import { startTestEngine, type TestEngine } from "../../helpers/engine.js";
import { hasKamailio, SHARED, startKamailio, type Kamailio } from "../../support/kamailio.js";
import { hasBaresip, runBaresip } from "../../helpers/baresip.js";
import { readWav, toTelephoneWav } from "../../support/audio.js";
import { lastOf, startLlmServer, type LlmServer } from "../../support/llm-server.js";
import { PocketSphinxStt } from "../../../main/engine/providers/stt/pocketsphinx.js";
import { resample } from "../../../main/engine/media/resample.js";

const hasPocketsphinx = existsSync("/usr/bin/pocketsphinx_continuous");
const GREETING = "Hello, thank you for calling Acme Dental. How can I help you today?";
const REPLY = "Thank you. We will call you back tomorrow morning. Goodbye for now.";
const SECRET = "whsec_voice_test";

/** What a person on the phone would have heard, as PocketSphinx (a real offline recognizer) writes it. */
async function recognize(file: string): Promise<string> {
  // From the first sound on: PocketSphinx misses a first sentence that comes after seconds of silence
  // (the greeting starts later when the machine is loaded), which says nothing about what was sent.
  const samples = readWav(file).samples;
  let first = 0;
  while (first < samples.length && Math.abs(samples[first]) < 500) first++;
  const pcm = await resample(samples.subarray(Math.max(0, first - 1600)), 8000, 16000);
  return (
    await new PocketSphinxStt().transcribe({
      audio: pcm,
      sampleRateHz: 16000,
      language: "en",
      signal: AbortSignal.timeout(60_000),
    })
  ).text;
}

describe.skipIf(!hasKamailio || !hasBaresip || !hasPocketsphinx)(
  "the assistant answers a real softphone with local engines (skipped only where kamailio, baresip or pocketsphinx are not installed)",
  () => {
    let k: Kamailio;
    let t: TestEngine;
    let llm: LlmServer;
    let receiver: Server;
    const reports: { body: any; verified: boolean }[] = [];
    const work = mkdtempSync(join(tmpdir(), "voice-"));
    const callerWav = join(work, "caller.wav");

    beforeAll(async () => {
      // JFK after 7 s of silence (the greeting plays first), then silence while the reply plays.
      toTelephoneWav(join(SHARED, "audio", "en-jfk.wav"), callerWav, 7, 14);
      k = await startKamailio();
      t = await startTestEngine({ sipRetryBaseMs: 300 });
      llm = await startLlmServer((req) => {
        const system = req.messages[0]?.content ?? "";
        if (system.startsWith("Summarize"))
          return { text: "The caller quoted a speech about what to do for the country." };
        if (req.response_format) return { text: JSON.stringify({ topic: "country" }) };
        return { text: REPLY, firstTokenMs: 50, chunkMs: 10 };
      });
      receiver = createServer(async (req, res) => {
        let raw = "";
        for await (const c of req) raw += c;
        // Verified as webhooks.md §4 tells receivers to, independently of the engine's code.
        const expected =
          "sha256=" + createHmac("sha256", SECRET).update(`${req.headers["x-webhook-timestamp"]}.${raw}`).digest("hex");
        const verified = req.headers["x-webhook-signature"] === expected;
        reports.push({ body: JSON.parse(raw), verified });
        res.writeHead(200).end();
      });
      await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
    }, 60_000);
    afterAll(async () => {
      await t?.stop();
      await k?.stop();
      await llm?.close();
      receiver?.close();
    });

    it("greets, hears the caller, answers through the LLM, stores and streams the transcript, then reports", async () => {
      const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
      const assistant = (
        (await (
          await t.api("/api/v1/assistants", {
            method: "POST",
            json: {
              name: "Acme front desk",
              first_message: GREETING,
              stt_config: { provider: "pocketsphinx", model: "en-us", language: "en" },
              llm_config: {
                provider: "openai_compatible",
                model: "local-test",
                base_url: llm.url,
                messages: [{ role: "system", content: "You are the front desk of Acme Dental." }],
              },
              tts_config: { provider: "local", voice_id: "flite-slt" },
              // JFK pauses for up to a second between phrases: one turn for the whole quote.
              speech_config: { turn_taking: { endpointing_min_delay: 1.6 } },
              webhook_url: hook,
              webhook_secret: SECRET,
              webhook_events: ["end-of-call-report"],
              analysis_plan: {
                structured_data_plan: {
                  enabled: true,
                  schema: { type: "object", properties: { topic: { type: "string" } }, required: ["topic"] },
                },
                min_messages_threshold: 2,
              },
            },
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
        json: { phone_number: "+15550002222", assistant_id: assistant.id, sip_trunk_id: trunk.id },
      });
      for (let i = 0; i < 200 && t.store.sipTrunks.get(trunk.id)!.registration.status !== "registered"; i++)
        await new Promise((r) => setTimeout(r, 50));

      const streamed: any[] = [];
      const ws = new WebSocket(`${t.url.replace("http", "ws")}/api/v1/events?api_key=${t.apiKey}`);
      ws.on("message", (d) => streamed.push(JSON.parse(String(d))));
      await new Promise((r) => ws.once("open", r));

      const seconds = Math.ceil(readWav(callerWav).samples.length / 8000) + 2;
      const phone = await runBaresip({
        account: `<sip:bob@127.0.0.1:${k.port};transport=udp>;regint=0`,
        wav: callerWav,
        dial: `sip:alice@127.0.0.1:${k.port}`,
        seconds,
      });
      await phone.exited;
      let call: any;
      for (let i = 0; i < 200; i++) {
        call = t.store.calls.list({ limit: 1, offset: 0 }).calls[0];
        if (call?.status === "ended" && reports.length) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      ws.close();
      expect(phone.output()).toMatch(/Call established/);
      expect(call).toMatchObject({ status: "ended", end_reason: "user_hangup" });

      // The LLM got the caller's words (PocketSphinx on G.711 JFK: a few key words, not the sentence).
      // The request that answered the stored caller message (a preemptive one may have been dropped before it).
      const userMessage = call.messages.find((m: any) => m.role === "user")?.content;
      const turn = llm.requests.find((r) => r.messages.some((m) => m.role === "user" && m.content === userMessage));
      expect(turn, JSON.stringify(llm.requests.map((r) => r.messages))).toBeTruthy();
      expect(turn!.messages[0]).toMatchObject({ role: "system", content: "You are the front desk of Acme Dental." });
      expect(turn!.messages[1]).toMatchObject({ role: "assistant", content: GREETING });
      const said = new Set(
        lastOf(turn!, "user")
          .toLowerCase()
          .match(/[a-z']+/g) ?? [],
      );
      const jfk = new Set(
        "and so my fellow americans ask not what your country can do for you ask what you can do for your country".split(
          " ",
        ),
      );
      expect([...said].filter((w) => jfk.has(w)).length, [...said].join(" ")).toBeGreaterThanOrEqual(3);

      // baresip heard the greeting and the reply.
      const [recording] = phone.recordings("dec");
      const heard = await recognize(recording);
      expect(heard).toMatch(/thank you for calling/);
      expect(heard).toMatch(/tomorrow|morning|call you back|bye for now/);

      // Stored transcript: greeting, caller, reply, each streamed on the events WebSocket as it happened.
      const roles = call.messages.map((m: any) => m.role);
      expect(roles.slice(0, 3)).toEqual(["assistant", "user", "assistant"]);
      expect(call.messages[0].content).toBe(GREETING);
      expect(call.messages[2].content).toBe(REPLY);
      const streamedMessages = streamed
        .filter((e) => e.type === "call.message" && e.call_id === call.id)
        .map((e) => e.message.content);
      expect(streamedMessages).toEqual(call.messages.map((m: any) => m.content));

      // Summary, analysis and turn metrics on the call; the signed report carries them.
      expect(call.summary).toMatch(/country/);
      expect(call.analysis_result).toEqual({ topic: "country" });
      const turnMetrics = call.metrics.turns[0];
      expect(turnMetrics.stt_ms).toBeGreaterThan(0);
      expect(turnMetrics.voice_to_voice_ms).toBeGreaterThan(turnMetrics.endpointing_ms);
      const report = reports.find((r) => r.body.message.type === "end-of-call-report");
      expect(
        report,
        JSON.stringify({
          deliveries: t.engine.webhooks.listDeliveries({ limit: 10, offset: 0 }),
          events: t.store.calls.events(call.id).slice(-6),
        }),
      ).toBeTruthy();
      expect(report?.verified).toBe(true);
      expect(report!.body.message).toMatchObject({
        summary: call.summary,
        analysis: { topic: "country" },
        end_reason: "user_hangup",
      });
      expect(report!.body.message.messages.length).toBe(call.messages.length);
    }, 120_000);
  },
);
