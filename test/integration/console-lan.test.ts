import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestEngine, type TestEngine } from "../helpers/engine.js";
import { hasNetns, teardown, Topology } from "../helpers/netns.js";
import { ROOT } from "../helpers/cli.js";
import { heardFrom, readWav, toTelephoneWav, windowedCorrelation } from "../support/audio.js";
import { SHARED } from "../support/kamailio.js";
import { rtpPair } from "../support/rtp-peer.js";

// A console on another machine of the office LAN (issue #16: "trickle ICE on loopback and LAN"). The engine's
// API listens on its LAN address; the console runs in a network namespace of its own (10.216.0.2, nothing but
// that link) and joins a person's call over the API across it, trickling its candidates by PATCH, with the
// engine's candidates kept from it: only the engine's checks towards the trickled candidates can connect.
const ENGINE_IP = "10.216.0.1";
const CONSOLE_IP = "10.216.0.2";

describe.skipIf(!hasNetns)(
  "a console on another host of the LAN (skipped only where network namespaces cannot be made: not root)",
  () => {
    const net = new Topology();
    let ns: string;
    let t: TestEngine;
    const work = mkdtempSync(join(tmpdir(), "console-lan-"));
    const personWav = join(work, "person.wav");
    const callerWav = join(work, "caller.wav");

    beforeAll(async () => {
      toTelephoneWav(join(SHARED, "audio", "en-ljspeech-LJ001-0002.wav"), personWav, 0, 0.2);
      toTelephoneWav(join(SHARED, "audio", "en-ljspeech-LJ001-0001.wav"), callerWav, 0, 0.2);
      ns = net.namespace("desk");
      net.link({ ns: null, address: `${ENGINE_IP}/24` }, { ns, address: `${CONSOLE_IP}/24` });
      t = await startTestEngine({ host: ENGINE_IP, sipPort: null });
    }, 60_000);

    afterAll(() =>
      teardown(
        () => t?.stop(),
        () => net.cleanup(),
      ),
    );

    it("trickle ICE across the LAN: the answer offers the engine's LAN address, the console's candidates by PATCH connect it, and audio flows both ways (correlation > 0.8)", async () => {
      const id = "call_lan_1";
      t.engine.calls.create({
        id,
        status: "connecting",
        direction: "inbound",
        caller_phone: "+15550003000",
        assistant_config: null,
      });
      t.engine.calls.transition(id, "in-progress");
      const pair = await rtpPair();
      t.engine.calls.liveCall(id)!.answer(pair.leg);

      const person = readWav(personWav).samples;
      const caller = readWav(callerWav).samples;
      const listenMs = (Math.max(person.length, caller.length) / 8000) * 1000 + 1500;
      const child = spawn(
        "ip",
        ["netns", "exec", ns, process.execPath, "--import", "tsx", join(ROOT, "test", "support", "lan-console.ts")],
        {
          cwd: ROOT,
          env: {
            ...process.env,
            VD_URL: t.url,
            VD_KEY: t.apiKey,
            VD_CALL: id,
            VD_SPEAK: personWav,
            VD_LISTEN_MS: String(listenMs),
          },
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      let stderr = "";
      child.stderr.on("data", (d) => (stderr += d));
      const messages: Record<string, unknown>[] = [];
      let partial = "";
      let connectedAt = 0;
      const done = new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (d) => {
          partial += d;
          let nl: number;
          while ((nl = partial.indexOf("\n")) >= 0) {
            const m = JSON.parse(partial.slice(0, nl)) as Record<string, unknown>;
            partial = partial.slice(nl + 1);
            messages.push(m);
            // The caller talks as soon as the console is on the line, while the person talks too.
            if ("connectedMs" in m) {
              connectedAt = performance.now();
              pair.caller.play(caller);
            }
          }
        });
        child.on("exit", (code) =>
          code === 0
            ? resolve()
            : reject(new Error(`the LAN console exited ${code}: ${JSON.stringify(messages)} ${stderr}`)),
        );
      });
      try {
        await done;
      } finally {
        child.kill("SIGKILL");
      }

      const joined = messages.find((m) => "answer" in m) as { answer: string; candidates: string[] };
      // The engine offers its address on the LAN; the console's candidates are its own, on the other host.
      expect(joined.answer).toMatch(
        new RegExp(`^a=candidate:.* ${ENGINE_IP.replace(/\./g, "\\.")} \\d+ typ host`, "m"),
      );
      expect(joined.candidates.some((c) => c.includes(` ${CONSOLE_IP} `))).toBe(true);
      const { connectedMs } = messages.find((m) => "connectedMs" in m) as { connectedMs: number };
      console.log(
        `console on the LAN, trickled candidates only: connected ${connectedMs.toFixed(0)} ms after the answer`,
      );

      // person → caller, across the LAN and out on the call's RTP.
      expect(windowedCorrelation(person, heardFrom(pair.caller.heard, connectedAt), 0)).toBeGreaterThan(0.8);
      // caller → person.
      const { heard } = messages.find((m) => "heard" in m) as { heard: string };
      const pcm = new Int16Array(new Uint8Array(Buffer.from(heard, "base64")).buffer);
      const frames = Array.from({ length: Math.floor(pcm.length / 160) }, (_, i) => ({
        at: 0,
        pcm: pcm.subarray(i * 160, (i + 1) * 160),
      }));
      expect(windowedCorrelation(caller, heardFrom(frames, 0), 0)).toBeGreaterThan(0.8);
      pair.close();
    }, 60_000);
  },
);
