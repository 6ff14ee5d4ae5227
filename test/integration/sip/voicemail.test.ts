import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestEngine, type TestEngine } from "../../helpers/engine.js";
import { hasBaresip, runBaresip } from "../../helpers/baresip.js";
import { freeUdpPort } from "../../support/ports.js";
import { readWav } from "../../support/audio.js";
import { startLlmServer, type LlmServer } from "../../support/llm-server.js";
import { waitFor } from "../../helpers/wait.js";

/**
 * One real outbound call to an answering machine: baresip answers at once and plays a recorded greeting
 * (espeak-ng) with a 1 kHz beep (sox), recording what it hears, as a voicemail box would. The engine's
 * assistant has `voicemail_detection` and a `voicemail_message`: the call must end `voicemail`, and the
 * callee's recording must hold the message starting just after the beep, not before it.
 */
const hasTools = ["/usr/bin/espeak-ng", "/usr/bin/sox"].every((p) => spawnSync("test", ["-x", p]).status === 0);
const GREETING = "Hi, you've reached Mark, I can't take your call right now, please leave a message after the tone.";
const MESSAGE = "Hello Mark, this is Acme Dental about your appointment tomorrow at nine. Please call us back.";
const FIRST_MESSAGE = "Hi, this is Acme Dental calling.";
const BEEP_GAP_S = 0.4;
const BEEP_S = 0.5;

function sox(args: string[]): void {
  const r = spawnSync("sox", args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`sox ${args.join(" ")}: ${r.stderr}`);
}

/** The machine's side: greeting, gap, beep, then 12 s of line silence while it records; returns the beep's end (s). */
function machineWav(dir: string): { wav: string; beepEndS: number } {
  const speech = join(dir, "greeting-22k.wav");
  const r = spawnSync("espeak-ng", ["-v", "en-us", "-s", "165", "-w", speech, GREETING]);
  if (r.status !== 0) throw new Error("espeak-ng failed");
  const greeting = join(dir, "greeting.wav");
  sox([speech, "-r", "8000", "-c", "1", "-b", "16", greeting, "pad", "0.3", String(BEEP_GAP_S)]);
  const beep = join(dir, "beep.wav");
  sox([
    "-n",
    "-r",
    "8000",
    "-c",
    "1",
    "-b",
    "16",
    beep,
    "synth",
    String(BEEP_S),
    "sine",
    "1000",
    "vol",
    "0.4",
    "pad",
    "0",
    "12",
  ]);
  const wav = join(dir, "machine.wav");
  sox([greeting, beep, wav]);
  return { wav, beepEndS: readWav(greeting).samples.length / 8000 + BEEP_S };
}

/** 20 ms RMS envelope of a recording. */
function envelope(file: string): number[] {
  const s = readWav(file).samples;
  const out: number[] = [];
  for (let i = 0; i + 160 <= s.length; i += 160) {
    let e = 0;
    for (let j = i; j < i + 160; j++) e += s[j] * s[j];
    out.push(Math.sqrt(e / 160));
  }
  return out;
}

describe.skipIf(!hasBaresip || !hasTools)(
  "voicemail detection on a real call (skipped only where baresip, espeak-ng or sox are not installed)",
  () => {
    let t: TestEngine;
    let llm: LlmServer;
    beforeAll(async () => {
      t = await startTestEngine();
      llm = await startLlmServer(() => ({ text: "Hello, is this Mark?" }));
    });
    afterAll(async () => {
      await t?.stop();
      await llm?.close();
    });

    it("detects the machine, waits for the beep, leaves the message after it and ends the call `voicemail`", async () => {
      const work = mkdtempSync(join(tmpdir(), "voicemail-"));
      const { wav, beepEndS } = machineWav(work);
      const port = await freeUdpPort();
      const machine = await runBaresip({
        account: `<sip:+31612345678@127.0.0.1:${port};transport=udp>;regint=0;answermode=auto`,
        wav,
        port,
        seconds: 25,
      });
      try {
        const assistant = (
          (await (
            await t.api("/api/v1/assistants", {
              method: "POST",
              json: {
                name: "Reminder",
                first_message: FIRST_MESSAGE,
                voicemail_detection: true,
                voicemail_message: MESSAGE,
                stt_config: { provider: "pocketsphinx", language: "en" },
                llm_config: { provider: "openai_compatible", model: "local-test", base_url: llm.url },
                tts_config: { provider: "local", voice_id: "flite-kal" },
              },
            })
          ).json()) as any
        ).assistant;
        const trunk = (
          (await (
            await t.api("/api/v1/sip-trunks", { method: "POST", json: { name: "machine", host: "127.0.0.1", port } })
          ).json()) as any
        ).trunk;
        await waitFor(() => t.engine.telephony!.stack.hasTrunk(trunk.id));
        await t.api("/api/v1/numbers", {
          method: "POST",
          json: { phone_number: "+31850835037", sip_trunk_id: trunk.id },
        });
        const res = await t.api("/api/v1/calls/outbound", {
          method: "POST",
          json: { destination: "+31612345678", assistant_id: assistant.id },
        });
        expect(res.status, await res.clone().text()).toBe(200);
        const id = ((await res.json()) as any).call_id;
        const call = await waitFor(() => {
          const c = t.store.calls.get(id)!;
          return (c.status === "ended" || c.status === "failed") && c;
        }, 30_000);
        expect(call, machine.output()).toMatchObject({ status: "ended", end_reason: "voicemail" });
        const amd = t.store.calls
          .events(id)
          .filter((e) => e.type === "amd")
          .map((e) => e.data as any);
        expect(amd[0]).toMatchObject({ result: "machine" });
        expect(amd.at(-1)).toMatchObject({ message: MESSAGE, cue: "beep" });
        expect(amd.at(-1).beep_to_message_ms).toBeLessThanOrEqual(500);
        // Before the decision the machine's own greeting may talk over ours (a barge-in): then the words of
        // ours it heard are in the transcript, as on any call. After it, only the message.
        const said = call.messages.filter((m) => m.role === "assistant").map((m) => m.content);
        expect(said.at(-1)).toBe(MESSAGE);
        expect(said.length).toBeLessThanOrEqual(2);
        if (said.length === 2) expect(FIRST_MESSAGE.startsWith(said[0])).toBe(true);

        // The report: summary says voicemail and the message; metrics carry the detector's result.
        const reported = await waitFor(() => {
          const c = t.store.calls.get(id)!;
          return c.summary ? c : null;
        }, 15_000);
        expect(reported.summary).toContain("Voicemail detected");
        expect(reported.summary).toContain(MESSAGE);
        expect((reported.metrics as any).amd).toMatchObject({ result: "machine", message: MESSAGE });

        // What the machine recorded: the assistant's greeting cut at the decision, quiet until the beep,
        // then the message, starting within 500 ms of the beep's end (plus the line's jitter buffering).
        // The BYE closed baresip's recording; its process would stay up until its -t.
        machine.proc.kill("SIGTERM");
        await machine.exited;
        const [heard] = machine.recordings("dec");
        const [sent] = machine.recordings("enc");
        expect(heard, machine.output()).toBeDefined();
        // Both recordings end at the BYE; "enc" (what the machine played) starts with the greeting, "dec"
        // (what it heard) with our first packet: the difference in length puts "dec" on the greeting's clock.
        const offsetS = (readWav(sent).samples.length - readWav(heard).samples.length) / 8000;
        expect(offsetS).toBeGreaterThanOrEqual(0);
        expect(offsetS).toBeLessThan(2);
        const env = envelope(heard);
        const loud = (from: number, to: number) =>
          env.slice(Math.max(0, Math.round(from * 50)), Math.round(to * 50)).filter((v) => v > 300).length;
        const decisionS = amd[0].decision_ms / 1000;
        // The first sound after the assistant's greeting was cut at the decision is the message.
        const startS = env.findIndex((v, i) => i >= (decisionS + 0.5) * 50 && v > 300) / 50;
        const startOnGreetingClock = startS + offsetS;
        console.log(
          `decision ${amd[0].decision_ms} ms (${amd[0].reason}); beep end ${beepEndS.toFixed(2)} s; message from ${startOnGreetingClock.toFixed(2)} s on the greeting's clock (dec offset ${offsetS.toFixed(2)} s); engine's beep→message ${amd.at(-1).beep_to_message_ms} ms`,
        );
        // Not over the beep, and within 500 ms of it plus the line's delay; the offset between the two
        // recordings is itself only good to about a packetization and jitter-buffer delay (±200 ms).
        expect(startOnGreetingClock - beepEndS).toBeGreaterThanOrEqual(-0.2);
        expect(startOnGreetingClock - beepEndS).toBeLessThanOrEqual(0.8);
        // The message lasts seconds (Flite's "kal" speaks it in ~5 s).
        expect(loud(startS, startS + 8)).toBeGreaterThan(150);
      } finally {
        machine.proc.kill("SIGTERM");
        await machine.exited;
      }
    }, 60_000);
  },
);
