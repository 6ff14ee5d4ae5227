import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHmac } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import net from "node:net";
import dgram from "node:dgram";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestEngine, type TestEngine } from "../../helpers/engine.js";
import {
  startLlmServer,
  lastOf,
  type LlmServer,
  type ScriptedReply,
  type ChatRequest,
} from "../../support/llm-server.js";
import { rtpPair } from "../../support/rtp-peer.js";
import { canCapture, startCapture, type WirePacket } from "../../support/wire-capture.js";
import { PCMU } from "../../../main/engine/media/codecs/g711.js";
import { readWav, toTelephoneWav } from "../../support/audio.js";
import { SHARED } from "../../support/kamailio.js";
import { waitFor } from "../../helpers/wait.js";
import { FALLBACK } from "../../../main/engine/voice/session.js";

const hasPocketsphinx = existsSync("/usr/bin/pocketsphinx_continuous");
const SECRET = "whsec_tools";

// Every socket this process opens during these calls, to prove local engines stay on this machine.
const destinations: string[] = [];
const realConnect = net.Socket.prototype.connect;
const realSend = dgram.Socket.prototype.send;

describe.skipIf(!hasPocketsphinx)(
  "conversations with local engines over real RTP (skipped only where pocketsphinx is not installed)",
  () => {
    let t: TestEngine;
    let llm: LlmServer;
    let hooks: Server;
    let script: (req: ChatRequest) => ScriptedReply = () => ({ text: "Okay." });
    const toolRequests: { body: any; verified: boolean }[] = [];
    let toolDelayMs = 0;
    const work = mkdtempSync(join(tmpdir(), "conv-"));
    const speechWav = join(work, "speech.wav");
    let seq = 0;

    beforeAll(async () => {
      net.Socket.prototype.connect = function (this: net.Socket, ...args: any[]) {
        const o = args[0];
        destinations.push(
          typeof o === "object" && o ? String(o.host ?? o.path ?? "localhost") : String(args[1] ?? "localhost"),
        );
        return (realConnect as any).apply(this, args);
      } as any;
      dgram.Socket.prototype.send = function (this: dgram.Socket, ...args: any[]) {
        const host = args.find((a, i) => i > 0 && typeof a === "string");
        destinations.push(host ?? "unknown");
        return (realSend as any).apply(this, args);
      } as any;
      toTelephoneWav(join(SHARED, "audio", "en-ljspeech-LJ001-0002.wav"), speechWav, 0, 0.2);
      llm = await startLlmServer((req) => script(req));
      hooks = createServer(async (req, res) => {
        let raw = "";
        for await (const c of req) raw += c;
        const expected =
          "sha256=" + createHmac("sha256", SECRET).update(`${req.headers["x-webhook-timestamp"]}.${raw}`).digest("hex");
        const body = JSON.parse(raw);
        toolRequests.push({ body, verified: req.headers["x-webhook-signature"] === expected });
        await new Promise((r) => setTimeout(r, toolDelayMs));
        const id = body.message.tool_call_list?.[0]?.id;
        if (!res.destroyed)
          res
            .writeHead(200, { "content-type": "application/json" })
            .end(JSON.stringify({ results: [{ tool_call_id: id, result: { status: "shipped", eta: "Friday" } }] }));
      });
      await new Promise<void>((r) => hooks.listen(0, "127.0.0.1", r));
      t = await startTestEngine({ sipPort: null, toolWebhookTimeoutMs: 1500 });
    }, 60_000);

    afterAll(async () => {
      net.Socket.prototype.connect = realConnect;
      dgram.Socket.prototype.send = realSend;
      await t?.stop();
      await llm?.close();
      hooks?.close();
    });

    /** A call row in progress with its assistant, carried by a real RTP pair. */
    async function call(assistant: Record<string, unknown>) {
      const id = `call_conv_${++seq}`;
      t.engine.calls.create({
        id,
        status: "connecting",
        direction: "inbound",
        caller_phone: "+15550001000",
        assistant_config: {
          name: "Conversation test",
          stt_config: { provider: "pocketsphinx", language: "en" },
          llm_config: {
            provider: "openai_compatible",
            model: "local-test",
            base_url: llm.url,
            first_token_timeout_ms: 1500,
            messages: [{ role: "system", content: "You are a test assistant." }],
          },
          tts_config: { provider: "local", voice_id: "flite-kal" },
          webhook_secret_enc: t.store.box.seal(SECRET),
          ...assistant,
        },
      });
      t.engine.calls.transition(id, "in-progress");
      const pair = await rtpPair();
      t.engine.calls.liveCall(id)!.answer(pair.leg);
      return {
        id,
        pair,
        row: () => t.store.calls.get(id)!,
        control: (json: object) => t.api(`/api/v1/calls/${id}/control`, { method: "POST", json }),
      };
    }
    const loud = (frames: { rms: number }[]) => frames.filter((f) => f.rms > 300).length;

    /** PCMU payload of an RTP packet (audio only: DTMF events and RTCP aside), decoded. */
    const pcmOf = (p: WirePacket): Int16Array | null => {
      const b = p.payload;
      if (b.length < 12 || b[0] >> 6 !== 2 || (b[1] & 0x7f) !== 0) return null;
      const body = b.subarray(12 + 4 * (b[0] & 0x0f));
      const out = new Int16Array(body.length);
      PCMU.decode(body, out);
      return out;
    };
    const rms = (pcm: Int16Array) => Math.sqrt(pcm.reduce((e, v) => e + v * v, 0) / Math.max(1, pcm.length));

    /**
     * The caller talks over a long greeting; returns when our RTP audio stopped after the speech's onset,
     * both as tcpdump stamped them in the kernel on loopback, so the test process's own stalls (it hosts
     * the engine too, and CI runs other files beside it) do not count. `stallMainMs` blocks the main
     * thread that long from the moment the caller starts.
     */
    async function bargeInOnWire(stallMainMs = 0) {
      script = () => ({ text: "Sure, I can help with that." });
      const c = await call({ first_message: GREETING });
      await waitFor(() => loud(c.pair.caller.heard) > 75, 10_000); // 1.5 s of greeting heard
      const capture = await startCapture(`udp and (port ${c.pair.ourPort} or port ${c.pair.theirPort})`);
      c.pair.caller.play(readWav(speechWav).samples);
      if (stallMainMs) for (const end = performance.now() + stallMainMs; performance.now() < end;);
      await waitFor(() => c.row().messages.some((m) => m.role === "user"), 15_000);
      const wire = await capture.stop();
      // The onset: the first caller sample above 1000 as it went on the wire (8 samples a millisecond).
      let onsetAt = NaN;
      for (const p of wire.filter((p) => p.srcPort === c.pair.theirPort)) {
        const pcm = pcmOf(p);
        const i = pcm ? pcm.findIndex((v) => Math.abs(v) > 1000) : -1;
        if (i >= 0) {
          onsetAt = p.atMs + i / 8;
          break;
        }
      }
      expect(onsetAt).not.toBeNaN();
      // Our first packet after the onset from which we stay silent for at least 300 ms.
      const ours = wire
        .filter((p) => p.srcPort === c.pair.ourPort && p.atMs >= onsetAt)
        .flatMap((p) => {
          const pcm = pcmOf(p);
          return pcm ? [{ at: p.atMs, rms: rms(pcm) }] : [];
        });
      const stop = ours.findIndex((f, i) => ours.slice(i, i + 15).every((g) => g.rms < 100));
      expect(stop).toBeGreaterThanOrEqual(0);
      const trace = ours
        .slice(0, stop + 1)
        .map((f) => `${Math.round(f.at - onsetAt)}:${Math.round(f.rms)}`)
        .join(" ");
      return { c, stoppedAfterMs: ours[stop].at - onsetAt, trace: `our packets after the onset (ms:rms) ${trace}` };
    }

    const GREETING =
      "Welcome to the test line. This greeting is deliberately long so that the caller can interrupt it. It goes on for quite a while, talking about nothing in particular, until somebody speaks.";

    it.skipIf(!canCapture)(
      "barge-in: caller speech stops our RTP audio within 100 ms of its onset on the wire, and the stored greeting is cut to what was heard (skipped only where tcpdump cannot capture: not root)",
      async () => {
        const { c, stoppedAfterMs, trace } = await bargeInOnWire();
        expect(stoppedAfterMs, trace).toBeLessThanOrEqual(100);
        const first = c.row().messages[0];
        expect(first.role).toBe("assistant");
        expect(first.content.length).toBeGreaterThan(0);
        expect(first.content.length).toBeLessThan(GREETING.length);
        expect(GREETING.startsWith(first.content)).toBe(true);
        expect(t.store.calls.events(c.id).some((e) => e.type === "interruption")).toBe(true);
        await waitFor(() => c.row().messages.some((m) => m.content === "Sure, I can help with that."), 10_000);
        await t.engine.calls.transition(c.id, "ended", { end_reason: "user_hangup" });
        c.pair.close();
      },
      60_000,
    );

    // The VAD thread holds playout itself at the onset (the tap ring's onset-hold word), so a main thread
    // busy with anything (a large query, a GC pause) does not keep the caller listening to us.
    it.skipIf(!canCapture)(
      "barge-in while the main thread is blocked for 400 ms: our audio still stops within 100 ms on the wire, and the turn completes once it is free (skipped only where tcpdump cannot capture: not root)",
      async () => {
        const { c, stoppedAfterMs, trace } = await bargeInOnWire(400);
        expect(stoppedAfterMs, trace).toBeLessThanOrEqual(100);
        expect(t.store.calls.events(c.id).some((e) => e.type === "interruption")).toBe(true);
        await waitFor(() => c.row().messages.some((m) => m.content === "Sure, I can help with that."), 10_000);
        await t.engine.calls.transition(c.id, "ended", { end_reason: "user_hangup" });
        c.pair.close();
      },
      60_000,
    );

    it("a short pause (past the preemption point, short of endpointing) does not split the turn: one user message with both halves, one reply", async () => {
      script = () => ({ text: "Got it.", firstTokenMs: 50 });
      const c = await call({});
      const speech = readWav(speechWav).samples;
      const before = llm.requests.length;
      // Speech, a 360 ms pause (past the 200 ms preemption point, short of the 400 ms endpointing), speech.
      let last = speech.length - 1;
      while (last > 0 && Math.abs(speech[last]) < 500) last--;
      const first = speech.findIndex((v) => Math.abs(v) >= 500);
      const head = speech.subarray(0, last + 1);
      const tail = speech.subarray(first);
      const twice = new Int16Array(head.length + 2880 + tail.length + 4000);
      twice.set(head, 0);
      twice.set(tail, head.length + 2880);
      c.pair.caller.play(twice);
      await waitFor(() => c.row().messages.some((m) => m.content === "Got it."), 20_000);
      await new Promise((r) => setTimeout(r, 500));
      const users = c.row().messages.filter((m) => m.role === "user");
      expect(users).toHaveLength(1);
      // This call's turns (the summary of the previous test's call may arrive meanwhile).
      const asked = llm.requests
        .slice(before)
        .filter((r) => !String(r.messages[0]?.content).startsWith("Summarize"))
        .map((r) =>
          r.messages
            .filter((m) => m.role === "user")
            .map((m) => m.content)
            .join(" | "),
        );
      // Whether a preemptive request went out during the pause depends on how fast the first half was
      // recognized; either way the model answered one user message holding both halves, and any earlier
      // request held only the beginning of it (and its reply was never played or stored).
      expect(asked.at(-1)).toBe(users[0].content);
      for (const early of asked.slice(0, -1)) expect(users[0].content.startsWith(early)).toBe(true);
      expect(users[0].content.match(/comparative/g)?.length, users[0].content).toBe(2);
      expect(
        c
          .row()
          .messages.filter((m) => m.role === "assistant")
          .map((m) => m.content),
      ).toEqual(["Got it."]);
      await t.engine.calls.transition(c.id, "ended", { end_reason: "user_hangup" });
      c.pair.close();
    }, 60_000);

    it("control commands drive the live pipeline: say, inject-context (silent, then answering), transfer, end-call with a goodbye", async () => {
      script = (req) => ({
        text: /4471/.test(JSON.stringify(req.messages)) ? "Your code four four seven one is noted." : "Okay.",
      });
      const c = await call({});
      expect(
        (await c.control({ type: "say", content: "This is a test of the say command.", end_after: false })).status,
      ).toBe(200);
      await waitFor(() => c.row().messages.some((m) => m.content === "This is a test of the say command."), 10_000);
      expect(loud(c.pair.caller.heard)).toBeGreaterThan(20);

      const turnRequests = () =>
        llm.requests.filter((r) => !String(r.messages[0]?.content).startsWith("Summarize")).length;
      const before = turnRequests();
      expect(
        (
          await c.control({
            type: "inject-context",
            content: "The caller's verification code is 4471.",
            trigger_response: false,
          })
        ).status,
      ).toBe(200);
      await new Promise((r) => setTimeout(r, 500));
      expect(turnRequests()).toBe(before); // silent: nothing said, the model not asked
      expect(c.row().messages.at(-1)).toMatchObject({
        role: "system",
        content: "The caller's verification code is 4471.",
      });
      expect(
        (
          await c.control({
            type: "inject-context",
            content: "Confirm the code to the caller.",
            trigger_response: true,
          })
        ).status,
      ).toBe(200);
      await waitFor(
        () => c.row().messages.some((m) => m.content === "Your code four four seven one is noted."),
        10_000,
      );
      expect(
        llm.requests.some(
          (r) =>
            r.messages.at(-1)?.content === "Confirm the code to the caller." &&
            JSON.stringify(r.messages).includes("4471"),
        ),
      ).toBe(true);

      expect(
        (await c.control({ type: "transfer", destination: "+15551234567", message: "Transferring you now." })).status,
      ).toBe(200);
      await waitFor(() => c.pair.transfers.length === 1, 10_000);
      expect(c.pair.transfers).toEqual(["+15551234567"]);
      expect(c.row().messages.some((m) => m.content === "Transferring you now.")).toBe(true);

      expect((await c.control({ type: "end-call", message: "Goodbye from the test." })).status).toBe(200);
      await waitFor(() => c.row().status === "ended", 10_000);
      expect(c.row()).toMatchObject({ status: "ended", end_reason: "assistant_hangup" });
      expect(c.row().messages.at(-1)!.content).toBe("Goodbye from the test.");
      expect(c.pair.hangups).toBe(1);
      const late = await c.control({ type: "say", content: "Too late.", end_after: false });
      expect(late.status).toBe(400);
      expect(await late.json()).toMatchObject({
        error: "Bad Request",
        message: expect.stringContaining("in-progress"),
      });
      c.pair.close();
    }, 60_000);

    it("takeover: the assistant goes quiet at once and is not asked again, the call stays up for the person, who ends it", async () => {
      script = () => ({ text: "Okay." });
      const c = await call({
        first_message:
          "Welcome to the takeover line. This greeting goes on for a good while, so that a person at the console can take the call over while it is still playing.",
      });
      await waitFor(() => loud(c.pair.caller.heard) > 25, 10_000);
      const res = await t.api(`/api/v1/calls/${c.id}/takeover`, { method: "POST" });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ success: true, call_id: c.id });
      const at = performance.now();
      await new Promise((r) => setTimeout(r, 800));
      // Quiet within a frame or two of the request: nothing queued of the greeting follows.
      const after = c.pair.caller.heardSince(at + 60);
      expect(after.length).toBeGreaterThan(20);
      expect(after.filter((f) => f.rms > 100)).toHaveLength(0);

      // The caller speaks: the assistant does not answer any more; the words are only written down (for a
      // hand-back's summary, test/integration/voice/handback.test.ts).
      const asked = llm.requests.length;
      c.pair.caller.play(readWav(speechWav).samples);
      await new Promise((r) => setTimeout(r, 3000));
      expect(llm.requests.length).toBe(asked);
      expect(c.row().messages.filter((m) => m.role === "assistant").length).toBeLessThanOrEqual(1);
      expect(c.row().status).toBe("in-progress");
      expect(t.store.calls.events(c.id).some((e) => e.type === "taken_over")).toBe(true);

      expect((await t.api(`/api/v1/calls/${c.id}/takeover`, { method: "POST" })).status).toBe(409);
      const say = await c.control({ type: "say", content: "Not any more.", end_after: false });
      expect(say.status).toBe(501);
      expect(await say.json()).toMatchObject({ message: expect.stringContaining("a person has taken over") });
      expect((await c.control({ type: "end-call" })).status).toBe(200);
      await waitFor(() => c.row().status === "ended", 5000);
      expect(c.row().end_reason).toBe("operator_hangup");
      expect(c.pair.hangups).toBe(1);
      c.pair.close();
    }, 60_000);

    it("silence handling checks on a quiet caller, then says the final line and hangs up (silence_timeout)", async () => {
      const c = await call({
        autonomous_silence_handling: true,
        speech_config: {
          silence: {
            first_check_seconds: 1,
            interval_seconds: 3,
            max_attempts: 1,
            messages: ["Are you still there?"],
            final_message: "I will hang up now. Goodbye.",
          },
        },
      });
      await waitFor(() => c.row().status === "ended", 20_000);
      expect(c.row().end_reason).toBe("silence_timeout");
      expect(c.row().messages.map((m) => m.content)).toEqual(["Are you still there?", "I will hang up now. Goodbye."]);
      c.pair.close();
    }, 30_000);

    it("max_duration_seconds ends the call with max_duration after the end_call_message", async () => {
      const started = Date.now();
      const c = await call({
        max_duration_seconds: 2,
        speech_config: { end_call_message: "Our time is up. Goodbye." },
      });
      await waitFor(() => c.row().status === "ended", 15_000);
      expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
      expect(c.row()).toMatchObject({ end_reason: "max_duration" });
      expect(c.row().messages.at(-1)!.content).toBe("Our time is up. Goodbye.");
      c.pair.close();
    }, 30_000);

    it("tools: end_call and transfer_call act on the call; a webhook tool is signed and its result reaches the model; a slow one gets a spoken fallback", async () => {
      const hook = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}/tools`;
      script = (req) => {
        const lastSystem = lastOf(req, "system");
        const lastTool = lastOf(req, "tool");
        if (req.messages.at(-1)?.role === "tool")
          return {
            text: /shipped/.test(lastTool)
              ? "Your order has shipped and arrives Friday."
              : "I could not check your order.",
          };
        if (/ORDER/.test(lastSystem)) return { toolCalls: [{ name: "lookup_order", arguments: { order: "A-17" } }] };
        if (/TRANSFER/.test(lastSystem))
          return {
            text: "Let me connect you.",
            toolCalls: [{ name: "transfer_call", arguments: { destination: "+15557654321" } }],
          };
        if (/KEYS/.test(lastSystem)) return { toolCalls: [{ name: "send_dtmf", arguments: { digits: "12#" } }] };
        if (/HANGUP/.test(lastSystem))
          return { text: "Thanks for calling, goodbye!", toolCalls: [{ name: "end_call", arguments: {} }] };
        return { text: "Okay." };
      };
      const tools = [
        { type: "end_call" },
        { type: "dtmf" },
        { type: "transfer_call", destinations: [{ number: "+15557654321", description: "billing" }] },
        {
          name: "lookup_order",
          description: "Look up an order",
          url: hook,
          parameters: { type: "object", properties: { order: { type: "string" } } },
        },
      ];
      const c = await call({
        llm_config: {
          provider: "openai_compatible",
          model: "local-test",
          base_url: llm.url,
          first_token_timeout_ms: 1500,
          tools,
        },
      });
      await c.control({ type: "inject-context", content: "ORDER: look up order A-17.", trigger_response: true });
      await waitFor(
        () => c.row().messages.some((m) => m.content.endsWith("Your order has shipped and arrives Friday.")),
        15_000,
      );
      expect(toolRequests.at(-1)!.verified).toBe(true);
      expect(toolRequests.at(-1)!.body.message).toMatchObject({
        type: "tool-calls",
        call: { id: c.id },
        tool_call_list: [{ type: "function", function: { name: "lookup_order", arguments: { order: "A-17" } } }],
      });
      expect(
        llm.requests.some((r) => r.messages.some((m) => m.role === "tool" && /shipped/.test(String(m.content)))),
      ).toBe(true);

      toolDelayMs = 3000; // longer than the 1.5 s deadline set for this engine
      await c.control({ type: "inject-context", content: "ORDER: again please.", trigger_response: true });
      await waitFor(() => c.row().messages.some((m) => m.content.includes(FALLBACK.tool)), 15_000);
      await waitFor(() => c.row().messages.some((m) => m.content.endsWith("I could not check your order.")), 15_000);
      toolDelayMs = 0;

      await c.control({ type: "inject-context", content: "TRANSFER to billing.", trigger_response: true });
      await waitFor(() => c.pair.transfers.length === 1, 15_000);
      expect(c.pair.transfers).toEqual(["+15557654321"]);

      await c.control({ type: "inject-context", content: "KEYS: press 12#.", trigger_response: true });
      await waitFor(() => c.pair.caller.digits.length === 3, 10_000);
      expect(c.pair.caller.digits).toEqual(["1", "2", "#"]); // RFC 4733 events on the wire
      expect(llm.requests.some((r) => r.messages.some((m) => m.role === "tool" && m.content === "Pressed 12#."))).toBe(
        true,
      );

      await c.control({ type: "inject-context", content: "HANGUP now.", trigger_response: true });
      await waitFor(() => c.row().status === "ended", 15_000);
      expect(c.row()).toMatchObject({ end_reason: "assistant_hangup" });
      expect(c.row().messages.some((m) => m.content === "Thanks for calling, goodbye!")).toBe(true);
      c.pair.close();
    }, 90_000);

    it("provider faults (no first token, 401, 5xx, broken stream) get a spoken fallback and the call goes on; three in a row end it with the reason", async () => {
      const faults: ScriptedReply[] = [
        { malformed: true },
        { text: "Back to normal." },
        { hang: true },
        { status: 401 },
        { status: 503 },
      ];
      script = (req) =>
        String(req.messages[0]?.content).startsWith("Summarize")
          ? { text: "A call with provider faults." }
          : (faults.shift() ?? { text: "Okay." });
      const c = await call({});
      const fault = async (i: number, expected: string) => {
        const heardBefore = loud(c.pair.caller.heard);
        await c.control({ type: "inject-context", content: `Step ${i}`, trigger_response: true });
        await waitFor(() => c.row().messages.filter((m) => m.role === "assistant").length === i, 15_000);
        expect(
          c
            .row()
            .messages.filter((m) => m.role === "assistant")
            .at(-1)!.content,
        ).toBe(expected);
        expect(loud(c.pair.caller.heard)).toBeGreaterThan(heardBefore + 20); // the caller heard it
      };
      await fault(1, FALLBACK.llm); // broken event stream
      expect(c.row().status).toBe("in-progress");
      await fault(2, "Back to normal."); // the call went on
      await fault(3, FALLBACK.llm); // no first token within 1.5 s
      await fault(4, FALLBACK.llm); // 401
      await fault(5, FALLBACK.fatal); // 503: the third fault in a row
      await waitFor(() => c.row().status === "failed", 10_000);
      expect(c.row()).toMatchObject({
        end_reason: "pipeline_error",
        error: "The assistant stopped after 3 provider errors in a row",
      });
      const problems = t.store.calls
        .events(c.id)
        .filter((e) => e.type === "problem")
        .map((e) => String(e.data.message))
        .join("\n");
      expect(problems).toMatch(/could not be read/);
      expect(problems).toMatch(/no reply within 1\.5 s/);
      expect(problems).toMatch(/rejected the API key \(401\)/);
      expect(problems).toMatch(/failing \(503\)/);
      c.pair.close();
    }, 90_000);

    it.skipIf(!existsSync("/usr/bin/espeak-ng"))(
      "espeak-ng voices (a separate program; skipped only where espeak-ng is not installed) speak on the call",
      async () => {
        const c = await call({ tts_config: { provider: "local", voice_id: "espeak-en-us" } });
        await c.control({ type: "say", content: "This sentence is spoken by espeak.", end_after: false });
        await waitFor(() => c.row().messages.some((m) => m.content === "This sentence is spoken by espeak."), 10_000);
        expect(loud(c.pair.caller.heard)).toBeGreaterThan(30);
        await t.engine.calls.transition(c.id, "ended", { end_reason: "user_hangup" });
        c.pair.close();
      },
      30_000,
    );

    it("with local engines nothing left 127.0.0.0/8", () => {
      expect(destinations.length).toBeGreaterThan(10);
      const outside = destinations.filter((h) => !/^(127\.|localhost$|::1$|\/)/.test(h));
      expect(outside).toEqual([]);
    });
  },
);
