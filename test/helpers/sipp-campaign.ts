import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freeUdpPort } from "../support/ports.js";

/**
 * One sipp UAS that plays many callees at once, chosen by the dialled number (the To header):
 * `+316100002x` answers 486 Busy Here, `+316100003x` 480 Temporarily Unavailable (what a phone that
 * rings out sends; the engine reads it as no answer), `+316100005x` is an answering machine (answers, then
 * plays a recorded greeting, a 1 kHz beep and the silence it records, over RTP with sipp's rtp_stream),
 * any other number rings, answers and waits for our BYE. Every call's start (INVITE in) and end (BYE or ACK in) is logged with sipp's clock, so concurrency
 * and the dials per number are counted at the far end, not by the engine.
 */
export interface CampaignUas {
  port: number;
  proc: ChildProcess;
  output(): string;
  events(): { ms: number; kind: "start" | "end"; callId: string; to: string }[];
  stop(): Promise<void>;
}

const ok = `SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Type: application/sdp
Content-Length: [len]

v=0
o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0
a=rtpmap:0 PCMU/8000
`;

const reply = (code: number, phrase: string, tag = true) => `SIP/2.0 ${code} ${phrase}
[last_Via:]
[last_From:]
[last_To:]${tag ? ";tag=[pid]SIPpTag01[call_number]" : ""}
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0
`;

const cdata = (s: string) => `<![CDATA[\n${s}\n]]>`;
const log = (kind: string) => `<action><log message="[clock_tick] ${kind} [call_id] [$to]"/></action>`;

export const CAMPAIGN_UAS_XML = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="campaign callees">
  <recv request="INVITE">
    <action>
      <ereg regexp="\\+[0-9]+" search_in="hdr" header="To:" assign_to="to"/>
      <ereg regexp="\\+316100002[0-9]" search_in="hdr" header="To:" assign_to="busy"/>
      <ereg regexp="\\+316100003[0-9]" search_in="hdr" header="To:" assign_to="unanswered"/>
      <ereg regexp="\\+316100005[0-9]" search_in="hdr" header="To:" assign_to="machine"/>
      <log message="[clock_tick] start [call_id] [$to]"/>
    </action>
  </recv>
  <nop next="busy" test="busy"/>
  <nop next="unanswered" test="unanswered"/>
  <nop next="machine" test="machine"/>
  <send>${cdata(reply(180, "Ringing"))}</send>
  <pause milliseconds="200"/>
  <send retrans="500">${cdata(ok)}</send>
  <recv request="ACK"/>
  <recv request="BYE" timeout="60000">${log("end")}</recv>
  <send>${cdata(reply(200, "OK", false))}</send>
  <nop next="done"/>
  <label id="busy"/>
  <send>${cdata(reply(486, "Busy Here"))}</send>
  <recv request="ACK">${log("end")}</recv>
  <nop next="done"/>
  <label id="unanswered"/>
  <send>${cdata(reply(480, "Temporarily Unavailable"))}</send>
  <recv request="ACK">${log("end")}</recv>
  <nop next="done"/>
  <label id="machine"/>
  <send>${cdata(reply(180, "Ringing"))}</send>
  <pause milliseconds="200"/>
  <send retrans="500">${cdata(ok)}</send>
  <recv request="ACK"><action><exec rtp_stream="GREETING,1,0"/></action></recv>
  <recv request="BYE" timeout="60000">${log("end")}</recv>
  <send>${cdata(reply(200, "OK", false))}</send>
  <label id="done"/>
</scenario>
`;

export async function startCampaignUas(maxCalls: number): Promise<CampaignUas> {
  const dir = mkdtempSync(join(tmpdir(), "sipp-campaign-"));
  const scenario = join(dir, "scenario.xml");
  const logFile = join(dir, "calls.log");
  const greeting = join(dir, "greeting.ulaw");
  makeGreeting(dir, greeting);
  writeFileSync(scenario, CAMPAIGN_UAS_XML.replace("GREETING", greeting));
  const port = await freeUdpPort();
  const mediaPort = await freeUdpPort(false);
  const proc = spawn(
    "sipp",
    [
      "-sf",
      scenario,
      "-i",
      "127.0.0.1",
      "-p",
      String(port),
      "-mp",
      String(mediaPort),
      "-m",
      String(maxCalls),
      "-nostdin",
      "-trace_logs",
      "-log_file",
      logFile,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  proc.stdout!.on("data", (d) => {
    out += d;
  });
  proc.stderr!.on("data", (d) => {
    out += d;
  });
  const exited = new Promise<void>((r) => proc.on("exit", () => r()));
  await new Promise((r) => setTimeout(r, 300));
  return {
    port,
    proc,
    output: () => out,
    events: () =>
      (existsSync(logFile) ? readFileSync(logFile, "utf8") : "")
        .split("\n")
        .map((l) => /^(\d+) (start|end) (\S+) (\S*)/.exec(l.trim()))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => ({ ms: Number(m[1]), kind: m[2] as "start" | "end", callId: m[3], to: m[4] })),
    async stop() {
      if (proc.exitCode === null) proc.kill("SIGTERM");
      await exited;
    },
  };
}

/** Most calls up at once, from the UAS's own start/end events. */
export function peakConcurrency(events: { ms: number; kind: "start" | "end" }[]): number {
  let now = 0;
  let peak = 0;
  // At the same millisecond an end is counted before a start.
  for (const e of [...events].sort((a, b) => a.ms - b.ms || (a.kind === "end" ? -1 : 1))) {
    now += e.kind === "start" ? 1 : -1;
    peak = Math.max(peak, now);
  }
  return peak;
}

/** The machine's recording as 8 kHz μ-law without a header (what rtp_stream plays): 0.4 s, greeting, 0.5 s, beep, 8 s. */
export const MACHINE_GREETING =
  "Hi, you have reached Mark. I cannot take your call right now. Please leave a message after the tone.";

function makeGreeting(dir: string, out: string): void {
  const run = (cmd: string, args: string[]) => {
    const r = spawnSync(cmd, args);
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: ${r.stderr?.toString() ?? r.error}`);
  };
  const speech = join(dir, "speech.wav");
  const beep = join(dir, "beep.wav");
  run("espeak-ng", ["-v", "en-us", "-s", "165", "-w", speech, MACHINE_GREETING]);
  run("sox", ["-n", "-r", "8000", "-c", "1", "-b", "16", beep, "synth", "0.5", "sine", "1000", "vol", "0.5"]);
  // The greeting at line level, padded, then the beep and the silence the machine records into.
  run("sox", [speech, "-r", "8000", "-c", "1", "-b", "16", join(dir, "speech8k.wav"), "pad", "0.4", "0.5"]);
  run("sox", [join(dir, "speech8k.wav"), beep, "-t", "ul", out, "pad", "0", "8"]);
}
