import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rememberSubnet } from "../support/test-subnets.js";

/**
 * Network topologies for telephony tests: Linux network namespaces joined by veth pairs, with 10.x
 * addresses the test itself creates. Loopback hides what real users hit first (a socket bound to
 * 127.0.0.1, `0.0.0.0` in a Contact, NAT), so these tests put the peers on other "hosts".
 *
 * Safety rule: the test's own (root) namespace has a default route to the outside world. Every address
 * a test sends to must lie inside a subnet the test created here; never use any other address, not even
 * as an "unreachable" one. Each test file uses its own 10.21x.0.0/16 so files never collide. Every subnet
 * made here is recorded (test-subnets.ts), and the helpers that send refuse any other destination.
 */

/** Runs a command and throws with its stderr when it fails (topology steps must not fail silently). */
export function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(" ")} failed (${r.status ?? r.signal}): ${r.stderr || r.error?.message || ""}`);
  return r.stdout;
}

/** Runs a command and ignores failure: for cleanup, where the thing may already be gone. */
function tryRun(cmd: string, args: string[]): void {
  spawnSync(cmd, args, { encoding: "utf8" });
}

function probeNetns(): boolean {
  if (process.platform !== "linux" || process.getuid?.() !== 0) return false;
  // Creating and deleting a namespace is the only honest check that this container allows it.
  const name = `vdprobe${randomBytes(3).toString("hex")}`;
  const made = spawnSync("ip", ["netns", "add", name]).status === 0;
  if (made) tryRun("ip", ["netns", "delete", name]);
  return made;
}

/** True when this process is root and may create network namespaces (CI runs as root). */
export const hasNetns = probeNetns();
/** True when iptables can be used (NAT tests). */
export const hasIptables = spawnSync("iptables", ["--version"]).status === 0;

/** One end of a link: the root namespace (`null`) or a namespace made by the topology. */
export type Netns = string | null;

/** Prefixes `ip …` with `-n NS` when the command belongs in a namespace. */
function ipIn(ns: Netns, args: string[]): string {
  return run("ip", ns ? ["-n", ns, ...args] : args);
}

export interface Link {
  /** Interface name on side A. */ a: string;
  /** Interface name on side B. */ b: string;
}

/**
 * A topology owned by one test file. Every namespace and root-side interface it makes has a name that
 * starts with this run's random prefix, and `cleanup()` removes them all (call it in afterAll/finally).
 */
export class Topology {
  /** `vd` + 4 random hex characters: short enough that interface names stay under 15 characters. */
  readonly prefix = `vd${randomBytes(2).toString("hex")}`;
  private readonly namespaces: string[] = [];
  private readonly rootLinks: string[] = [];
  private links = 0;

  /** A fresh namespace with `lo` up (kamailio, dnsmasq and our probes use loopback inside it). */
  namespace(role: string): string {
    const name = `${this.prefix}-${role}`;
    run("ip", ["netns", "add", name]);
    this.namespaces.push(name);
    ipIn(name, ["link", "set", "lo", "up"]);
    return name;
  }

  /**
   * A veth pair between `a` and `b` (root or namespaces), each end with its address (CIDR, e.g.
   * "10.211.0.1/24") and up. Returns the interface names.
   */
  link(a: { ns: Netns; address: string }, b: { ns: Netns; address: string }): Link {
    const n = this.links++;
    const link: Link = { a: `${this.prefix}l${n}a`, b: `${this.prefix}l${n}b` };
    // Create both ends in the root namespace, then move each to where it belongs.
    run("ip", ["link", "add", link.a, "type", "veth", "peer", "name", link.b]);
    if (!a.ns) this.rootLinks.push(link.a);
    if (!b.ns) this.rootLinks.push(link.b);
    for (const [dev, side] of [
      [link.a, a],
      [link.b, b],
    ] as const) {
      rememberSubnet(side.address);
      if (side.ns) run("ip", ["link", "set", dev, "netns", side.ns]);
      ipIn(side.ns, ["addr", "add", side.address, "dev", dev]);
      ipIn(side.ns, ["link", "set", dev, "up"]);
    }
    return link;
  }

  /** One more address on an interface (a second "host" on the same wire, or a host that comes back). */
  addAddress(ns: Netns, dev: string, cidr: string): void {
    rememberSubnet(cidr);
    ipIn(ns, ["addr", "add", cidr, "dev", dev]);
  }

  /** A route to a test subnet (never a default route in the root namespace: that would hide leaks). */
  route(ns: Netns, destination: string, via: string): void {
    if (!ns && destination === "default")
      throw new Error("no default route in the root namespace: it already has one to the outside world");
    ipIn(ns, ["route", "add", destination, "via", via]);
  }

  /** A sysctl inside a namespace (they are per namespace: ip_forward, conntrack timeouts). */
  sysctl(ns: string, key: string, value: string | number): void {
    run("ip", ["netns", "exec", ns, "sysctl", "-q", "-w", `${key}=${value}`]);
  }

  readSysctl(ns: string, key: string): string {
    return run("ip", ["netns", "exec", ns, "sysctl", "-n", key]).trim();
  }

  /** Makes `ns` a NAT router: forwards, and rewrites sources leaving through `outDev` to its own address. */
  masquerade(ns: string, outDev: string): void {
    this.sysctl(ns, "net.ipv4.ip_forward", 1);
    run("ip", ["netns", "exec", ns, "iptables", "-t", "nat", "-A", "POSTROUTING", "-o", outDev, "-j", "MASQUERADE"]);
  }

  /** Deletes every namespace (which takes its veth ends and their peers with it) and root-side link. */
  cleanup(): void {
    for (const ns of this.namespaces.splice(0)) {
      // Peers a failed test left running inside: they are ours, and must not outlive their network.
      const pids = spawnSync("ip", ["netns", "pids", ns], { encoding: "utf8" }).stdout.split(/\s+/).filter(Boolean);
      for (const pid of pids) tryRun("kill", ["-KILL", pid]);
      tryRun("ip", ["netns", "delete", ns]);
    }
    for (const dev of this.rootLinks.splice(0)) tryRun("ip", ["link", "delete", dev]);
  }
}

/**
 * Runs every teardown step even when one throws (a peer that will not stop must not leave the namespaces
 * behind), then rethrows the first error.
 */
export async function teardown(...steps: Array<(() => unknown) | undefined>): Promise<void> {
  let first: unknown = null;
  for (const step of steps) {
    try {
      await step?.();
    } catch (err) {
      first ??= err;
    }
  }
  if (first) throw first;
}
