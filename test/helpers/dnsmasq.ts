import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { Resolver } from "node:dns/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assertTestAddress } from "../support/test-subnets.js";

export const hasDnsmasq = existsSync("/usr/sbin/dnsmasq");

/** An SRV record: `_service._proto.name` → target:port with priority and weight (RFC 2782). */
export interface SrvRecord {
  name: string;
  target: string;
  port: number;
  priority: number;
  weight: number;
}
/** An A record. */
export interface HostRecord {
  name: string;
  address: string;
}

export interface Dnsmasq {
  address: string;
  proc: ChildProcess;
  log(): string;
  stop(): Promise<void>;
}

/**
 * An authoritative-only DNS server for names under `.test`, inside a test namespace: it answers the SRV
 * and A records given, NXDOMAIN for any other `.test` name, and forwards nothing anywhere (no upstream,
 * no /etc/hosts, no /etc/resolv.conf, no system config file).
 */
export async function startDnsmasq(o: {
  netns: string;
  address: string;
  srv?: SrvRecord[];
  hosts?: HostRecord[];
}): Promise<Dnsmasq> {
  const dir = mkdtempSync(join(tmpdir(), "dnsmasq-"));
  const args = [
    "--conf-file=/dev/null",
    "--no-daemon",
    "--no-resolv",
    "--no-hosts",
    "--no-poll",
    `--listen-address=${o.address}`,
    "--bind-interfaces",
    "--port=53",
    // Everything under .test is ours: unknown names get NXDOMAIN instead of a query sent upstream.
    "--local=/test/",
    // Run as root inside the namespace: the packaged "dnsmasq" user may not exist in every image.
    "--user=root",
    `--pid-file=${join(dir, "dnsmasq.pid")}`,
    "--log-queries",
    "--log-facility=-",
    ...(o.srv ?? []).map((s) => `--srv-host=${s.name},${s.target},${s.port},${s.priority},${s.weight}`),
    ...(o.hosts ?? []).map((h) => `--host-record=${h.name},${h.address}`),
  ];
  const proc = spawn("ip", ["netns", "exec", o.netns, "/usr/sbin/dnsmasq", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  proc.stdout!.on("data", (d) => {
    log += d;
  });
  proc.stderr!.on("data", (d) => {
    log += d;
  });
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const gone = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGTERM");
      await gone;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForDns(o.address, o.srv?.[0]?.name ?? o.hosts?.[0]?.name ?? "probe.test");
  } catch (err) {
    await stop();
    throw new Error(`dnsmasq did not answer on ${o.address}: ${(err as Error).message}\n${log}`, { cause: err });
  }
  return { address: o.address, proc, log: () => log, stop };
}

/** A resolver that asks only `server` (a test address), never the system's. */
export function testResolver(server: string): Resolver {
  assertTestAddress(server);
  const r = new Resolver({ timeout: 500, tries: 1 });
  r.setServers([server]);
  return r;
}

/** Polls until the server answers a query for `name` (an answer or NXDOMAIN both prove it is up). */
async function waitForDns(server: string, name: string): Promise<void> {
  const resolver = testResolver(server);
  const deadline = Date.now() + 10_000;
  let last: unknown = null;
  while (Date.now() < deadline) {
    try {
      await (name.startsWith("_") ? resolver.resolveSrv(name) : resolver.resolve4(name));
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOTFOUND") return;
      last = err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`no answer within 10 s (${(last as Error)?.message ?? "?"})`);
}
