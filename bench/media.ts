// `npm run bench -- media [--calls 10,50,100,200] [--seconds 10]`: N concurrent calls with PCMU RTP
// through the engine. The engine places N outbound calls to a sipp UAS that echoes RTP (`-rtp_echo`);
// on every call it plays speech and receives the echo. Measured per N: the deviation of each call's
// RTP send interval from 20 ms (p50/p99 over every packet), the engine's CPU per call, and whether the
// echo came back. Everything runs on this machine (sipp included), so sipp's own CPU competes too.
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEngine } from "../main/engine/index.js";
import { RtpSession } from "../main/engine/media/rtp-session.js";
import { readWav, toTelephoneWav } from "../test/helpers/audio.js";
import { SHARED } from "../test/helpers/kamailio.js";
import { freeUdpPort } from "../test/helpers/ports.js";
import { percentile, table } from "./lib-stats.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function run(args: string[]): Promise<void> {
  const at = args.indexOf("--calls");
  const counts = (at >= 0 ? args[at + 1] : "10,50,100,200").split(",").map(Number);
  const secondsAt = args.indexOf("--seconds");
  const seconds = secondsAt >= 0 ? Number(args[secondsAt + 1]) : 10;
  const dir = mkdtempSync(join(tmpdir(), "bench-media-"));
  const wav = join(dir, "speech.wav");
  toTelephoneWav(join(SHARED, "audio", "en-ljspeech-LJ001-0001.wav"), wav, 0, 0);
  const speech = readWav(wav).samples;

  // Every RTP packet we send: its interval from the previous one of the same call.
  const deviations: number[] = [];
  let measuring = false;
  const last = new WeakMap<object, number>();
  const proto = RtpSession.prototype as unknown as { sendFrame: () => void };
  const send = proto.sendFrame;
  proto.sendFrame = function (this: object) {
    send.call(this);
    if (!measuring) return;
    const now = performance.now();
    const prev = last.get(this);
    if (prev !== undefined) deviations.push(Math.abs(now - prev - 20));
    last.set(this, now);
  };

  const sipPort = await freeUdpPort();
  const mediaPort = await freeUdpPort(false);
  const total = counts.reduce((a, b) => a + b, 0);
  const sipp = spawn("sipp", ["-sn", "uas", "-i", "127.0.0.1", "-p", String(sipPort), "-mp", String(mediaPort), "-rtp_echo", "-m", String(total), "-nostdin", "-timeout", "600s"], { stdio: "ignore" });
  await sleep(500);
  const engine = await createEngine({ dataDir: dir, port: 0, sipPort: 0, logLevel: "silent", apiKey: "vd_bench_media_key_00000000000", rateLimitPerMinute: 1_000_000 });
  await engine.start();
  const api = (path: string, body: unknown) => fetch(`${engine.url}/api/v1${path}`, { method: "POST", headers: { authorization: "Bearer vd_bench_media_key_00000000000", "content-type": "application/json" }, body: JSON.stringify(body) }).then((r) => r.json() as Promise<any>);
  const trunk = (await api("/sip-trunks", { name: "sipp", host: "127.0.0.1", port: sipPort })).trunk;
  const assistant = (await api("/assistants", { name: "Echo" })).assistant;
  await api("/numbers", { phone_number: "+31850835037", assistant_id: assistant.id, sip_trunk_id: trunk.id });
  while (!engine.telephony!.stack.userAgent(trunk.id)) await sleep(50);

  const echoed = new Map<string, number>();
  engine.telephony!.onAnswered = (callId, _leg, media) => {
    echoed.set(callId, 0);
    media.rtp.on("frame", () => echoed.set(callId, (echoed.get(callId) ?? 0) + 1));
    for (let i = 0; i < 4; i++) media.rtp.play(speech);
  };

  const rows: (string | number)[][] = [];
  for (const n of counts) {
    echoed.clear();
    const ids: string[] = [];
    for (let i = 0; i < n; i++) ids.push((await api("/calls/outbound", { destination: "+31612345678", assistant_id: assistant.id })).call_id);
    const deadline = Date.now() + 30_000;
    while (echoed.size < n && Date.now() < deadline) await sleep(100);
    await sleep(1000);
    deviations.length = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    measuring = true;
    await sleep(seconds * 1000);
    measuring = false;
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const sorted = deviations.slice().sort((a, b) => a - b);
    const cpuPerCall = ((cpu.user + cpu.system) / 1000 / wall / Math.max(1, echoed.size)) * 100;
    const withEcho = [...echoed.values()].filter((v) => v > 0).length;
    rows.push([n, echoed.size, withEcho, sorted.length, percentile(sorted, 50).toFixed(2), percentile(sorted, 99).toFixed(2), cpuPerCall.toFixed(2)]);
    await Promise.all(ids.map((id) => api(`/calls/${id}/control`, { type: "end-call" }).catch(() => undefined)));
    await sleep(2000);
  }
  console.log(table(["calls", "answered", "echo back", "packets", "interval dev p50 ms", "p99 ms", "engine CPU % of a core per call"], rows));
  await engine.stop();
  sipp.kill("SIGKILL");
}
