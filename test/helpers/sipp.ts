import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freeUdpPort } from "../support/ports.js";

export const hasSipp = existsSync("/usr/bin/sipp");

export interface Sipp {
  address: string;
  port: number;
  /** Where sipp takes RTP ([media_port] in a scenario). */
  mediaPort: number;
  proc: ChildProcess;
  exited: Promise<number | null>;
  output(): string;
}

export interface SippUasOptions {
  scenarioXml?: string;
  rtpEcho?: boolean;
  /** Run inside this network namespace (`ip netns exec`). */
  netns?: string;
  /** Address for SIP and media instead of 127.0.0.1 (one of `netns`'s addresses). */
  address?: string;
  /** SIP port; default a free one. */
  port?: number;
  /** Calls to handle before exiting (one by default). */
  calls?: number;
  /** Scenario variables (`-set name value`), read in the scenario as [$name]. */
  vars?: Record<string, string | number>;
}

/** A sipp UAS (127.0.0.1 unless told otherwise): the built-in `uas` scenario (answers, echoes RTP) or a custom one. */
export async function startSippUas(o: SippUasOptions = {}): Promise<Sipp> {
  const address = o.address ?? "127.0.0.1";
  const port = o.port ?? (await freeUdpPort());
  const mediaPort = await freeUdpPort(false);
  const args = ["-i", address, "-p", String(port), "-mp", String(mediaPort), "-m", String(o.calls ?? 1)];
  args.push("-nostdin", "-timeout", "30s");
  for (const [name, value] of Object.entries(o.vars ?? {})) args.push("-set", name, String(value));
  if (o.scenarioXml) {
    const dir = mkdtempSync(join(tmpdir(), "sipp-"));
    writeFileSync(join(dir, "scenario.xml"), o.scenarioXml);
    args.unshift("-sf", join(dir, "scenario.xml"));
  } else args.unshift("-sn", "uas");
  if (o.rtpEcho) args.push("-rtp_echo");
  const proc = o.netns
    ? spawn("ip", ["netns", "exec", o.netns, "sipp", ...args], { stdio: ["ignore", "pipe", "pipe"] })
    : spawn("sipp", args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  proc.stdout!.on("data", (d) => {
    out += d;
  });
  proc.stderr!.on("data", (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((r) => proc.on("exit", (code) => r(code)));
  await new Promise((r) => setTimeout(r, 300)); // sipp binds at once; give it a moment to be listening
  return { address, port, mediaPort, proc, exited, output: () => out };
}

/** A UAS that answers every INVITE with one final error response. */
export function rejectScenario(code: number, phrase: string): string {
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="reject ${code}">
  <recv request="INVITE" />
  <send><![CDATA[
SIP/2.0 ${code} ${phrase}
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
  <recv request="ACK" />
</scenario>
`;
}
