import { Resolver, lookup } from "node:dns/promises";
import { isIP } from "node:net";
import type { Remote } from "./udp-endpoint.js";

export type SipTransportName = "udp" | "tcp" | "tls";

/** The servers a trunk's name stands for, in the order to try them, and until when that answer holds. */
export interface ResolvedTargets {
  targets: Remote[];
  expiresAt: number;
}

/** A name that could not be turned into addresses; the message is what a person reads on the trunk. */
export class SipResolveError extends Error {}

/** Node's SRV answers carry no TTL; an answer is kept at most this long (and less when its A records say so). */
const MAX_CACHE_MS = 300_000;
/** Literal addresses and names from the hosts file never expire in DNS terms; look again now and then. */
const STATIC_MS = 3_600_000;

export const defaultPort = (transport: SipTransportName) => (transport === "tls" ? 5061 : 5060);

/**
 * RFC 3263 server location with Node's own resolver: a literal address is used as it is; a name with an
 * explicit port is looked up as A (then AAAA); a name without one is looked up as SRV for its transport
 * (`_sip._udp`, `_sip._tcp`, `_sips._tcp`), targets ordered by priority and, within one priority, picked
 * by weight (RFC 2782), each target's addresses in turn; no SRV record → A/AAAA on the default port.
 * NAPTR is skipped: the transport is part of the trunk's settings.
 */
export class SipResolver {
  private readonly resolver = new Resolver({ timeout: 2000, tries: 2 });
  private readonly custom: boolean;

  /** `servers`: "10.0.0.53" or "10.0.0.53:5353"; none: the system's resolvers (and its hosts file). */
  constructor(servers: readonly string[] = []) {
    this.custom = servers.length > 0;
    if (this.custom) this.resolver.setServers([...servers]);
  }

  async resolve(host: string, port: number | null, transport: SipTransportName): Promise<ResolvedTargets> {
    const bare = host.replace(/^\[|\]$/g, "");
    if (isIP(bare))
      return { targets: [{ host: bare, port: port ?? defaultPort(transport) }], expiresAt: Date.now() + STATIC_MS };
    if (port === null) {
      const srv = await this.srv(bare, transport);
      if (srv) return srv;
    }
    const a = await this.addresses(bare);
    return {
      targets: a.addresses.map((address) => ({ host: address, port: port ?? defaultPort(transport) })),
      expiresAt: Date.now() + a.ttlMs,
    };
  }

  private async srv(host: string, transport: SipTransportName): Promise<ResolvedTargets | null> {
    const name = transport === "tls" ? `_sips._tcp.${host}` : `_sip._${transport}.${host}`;
    let records;
    try {
      records = await this.resolver.resolveSrv(name);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // No SRV record is the ordinary case (RFC 3263 §4.2: fall back to A records); anything else is not.
      if (code === "ENOTFOUND" || code === "ENODATA") return null;
      throw new SipResolveError(`Cannot resolve ${host}: ${describeDnsError(code)}`);
    }
    if (records.length === 0) return null;
    const targets: Remote[] = [];
    let ttlMs = MAX_CACHE_MS;
    const problems: string[] = [];
    for (const record of orderSrv(records)) {
      try {
        const a = await this.addresses(record.name);
        ttlMs = Math.min(ttlMs, a.ttlMs);
        for (const address of a.addresses) targets.push({ host: address, port: record.port });
      } catch (err) {
        problems.push((err as Error).message);
      }
    }
    if (targets.length === 0)
      throw new SipResolveError(`Cannot resolve ${host}: its SRV targets have no address (${problems.join("; ")})`);
    return { targets, expiresAt: Date.now() + ttlMs };
  }

  private async addresses(host: string): Promise<{ addresses: string[]; ttlMs: number }> {
    let firstCode: string | undefined;
    for (const family of [4, 6] as const) {
      try {
        const records =
          family === 4
            ? await this.resolver.resolve4(host, { ttl: true })
            : await this.resolver.resolve6(host, { ttl: true });
        if (records.length) {
          const ttl = Math.min(...records.map((r) => r.ttl));
          return { addresses: records.map((r) => r.address), ttlMs: Math.min(MAX_CACHE_MS, Math.max(1, ttl) * 1000) };
        }
      } catch (err) {
        firstCode ??= (err as NodeJS.ErrnoException).code;
      }
    }
    // With the system's settings a PBX may live only in the hosts file, which DNS queries never read.
    if (!this.custom) {
      try {
        const found = await lookup(host, { all: true });
        if (found.length) return { addresses: found.map((f) => f.address), ttlMs: STATIC_MS };
      } catch {
        /* reported below as the DNS answer */
      }
    }
    throw new SipResolveError(`Cannot resolve ${host}: ${describeDnsError(firstCode)}`);
  }
}

/** RFC 2782: lowest priority first; within a priority, a weighted random order. */
export function orderSrv<T extends { priority: number; weight: number }>(
  records: readonly T[],
  random = Math.random,
): T[] {
  const byPriority = new Map<number, T[]>();
  for (const r of records) byPriority.set(r.priority, [...(byPriority.get(r.priority) ?? []), r]);
  const out: T[] = [];
  for (const priority of [...byPriority.keys()].sort((a, b) => a - b)) {
    const pool = [...byPriority.get(priority)!];
    while (pool.length) {
      const total = pool.reduce((n, r) => n + r.weight, 0);
      let pick = random() * total;
      let i = pool.findIndex((r) => (pick -= r.weight) < 0);
      if (i < 0) i = 0; // all weights 0: take them as listed
      out.push(pool.splice(i, 1)[0]);
    }
  }
  return out;
}

function describeDnsError(code: string | undefined): string {
  switch (code) {
    case "ENOTFOUND":
      return "no such name (NXDOMAIN)";
    case "ENODATA":
      return "the name has no address records";
    case "ETIMEOUT":
    case "ECONNREFUSED":
      return "the DNS server did not answer";
    case "ESERVFAIL":
      return "the DNS server failed (SERVFAIL)";
    case "EREFUSED":
      return "the DNS server refused the query";
    default:
      return code ? `DNS error ${code}` : "no address found";
  }
}
