import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SHARED } from "./kamailio.js";
import { freeUdpPort } from "./ports.js";

export const hasBaresip = existsSync("/usr/bin/baresip");

export interface Baresip {
  proc: ChildProcess;
  dir: string;
  recordDir: string;
  output(): string;
  exited: Promise<number | null>;
  recordings(kind: "dec" | "enc"): string[];
}

export interface BaresipOptions {
  account: string;
  wav: string;
  dial?: string;
  seconds: number;
  /** Run inside this network namespace (`ip netns exec`). */
  netns?: string;
  /** SIP listen address instead of 127.0.0.1 (one of `netns`'s addresses). */
  address?: string;
  /** SIP port; default a free one. */
  port?: number;
  /** The interface or address baresip takes its media address from ("127.0.0.1" where loopback is all there is). */
  netInterface?: string;
  /** More config lines (e.g. `rtp_ports 20000-20099`). */
  extraConfig?: string;
}

/** Runs a scripted baresip: plays `wav` into the call, records what it hears, quits after `seconds`. */
export async function runBaresip(o: BaresipOptions): Promise<Baresip> {
  const dir = mkdtempSync(join(tmpdir(), "baresip-"));
  const recordDir = join(dir, "rec");
  mkdirSync(recordDir);
  const port = o.port ?? (await freeUdpPort());
  const config = readFileSync(join(SHARED, "peers", "baresip-config.template"), "utf8")
    .replace("sip_listen 127.0.0.1:", `sip_listen ${o.address ?? "127.0.0.1"}:`)
    .replaceAll("@SIP_PORT@", String(port))
    .replaceAll("@WAV@", o.wav)
    .replaceAll("@RECORD_DIR@", recordDir);
  writeFileSync(
    join(dir, "config"),
    config +
      (o.netInterface ? `\nnet_interface ${o.netInterface}\n` : "") +
      (o.extraConfig ? `\n${o.extraConfig}\n` : ""),
  );
  writeFileSync(join(dir, "accounts"), o.account + "\n");
  const args = ["-f", dir, ...(o.dial ? ["-e", `/dial ${o.dial}`] : []), "-t", String(o.seconds)];
  // `ip netns exec` execs baresip in place: `proc` is baresip, so SIGTERM still ends it.
  const proc = o.netns
    ? spawn("ip", ["netns", "exec", o.netns, "baresip", ...args], { stdio: ["ignore", "pipe", "pipe"] })
    : spawn("baresip", args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  proc.stdout!.on("data", (d) => {
    out += d;
  });
  proc.stderr!.on("data", (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((r) => proc.on("exit", (code) => r(code)));
  return {
    proc,
    dir,
    recordDir,
    output: () => out,
    exited,
    recordings: (kind) =>
      readdirSync(recordDir)
        .filter((f) => f.endsWith(`-${kind}.wav`))
        .map((f) => join(recordDir, f)),
  };
}
