import { BlockList, isIP } from "node:net";
import { defaultPort, type SipResolver, type SipTransportName } from "./dns.js";
import { addAddress, addCidr, hostPort, parseHostPort } from "./host-port.js";
import type { Remote } from "./udp-endpoint.js";

export interface TrunkPlace {
  name: string;
  host: string;
  port: number;
  transport: SipTransportName;
  outboundProxy: string | null;
  allowedSources?: readonly string[];
}

/**
 * Where a trunk's servers are (RFC 3263, in the order to try them, asked again when the answer expires or
 * all failed) and who may speak for the trunk: its servers' addresses, its own host's when we send
 * through a proxy, and its allowed networks.
 */
export class TrunkServers {
  private targets: Remote[] = [];
  private index = 0;
  private resolvedUntil = 0;
  /** Servers that did not answer in this round ("ip:port"): skipped even when DNS is asked again meanwhile. */
  private readonly silent = new Set<string>();
  private sources = new BlockList();

  constructor(
    private readonly trunk: TrunkPlace,
    private readonly resolver: SipResolver,
  ) {}

  /** The server to send to now, asking DNS first when its answer has expired; throws the reason when it cannot. */
  async current(): Promise<Remote> {
    if (Date.now() >= this.resolvedUntil || this.targets.length === 0) await this.resolve();
    return this.targets[this.index];
  }

  get known(): boolean {
    return this.targets.length > 0;
  }

  /** True when `remote` is one of the servers, port and all (several trunks may share one host). */
  isServer(remote: Remote): boolean {
    const host = remote.host.replace(/^::ffff:/, "");
    return this.targets.some((t) => t.host === host && t.port === remote.port);
  }

  /** True when a request from `address` may be this trunk's. */
  accepts(address: string): boolean {
    const bare = address.replace(/^::ffff:/, "");
    return this.sources.check(bare, isIP(bare) === 6 ? "ipv6" : "ipv4");
  }

  /** The current server did not answer: true when another is left to try, else the text to show. */
  next(noAnswerSeconds: number): true | string {
    this.silent.add(hostPort(this.targets[this.index]));
    const untried = this.targets.findIndex((t) => !this.silent.has(hostPort(t)));
    if (untried >= 0) {
      this.index = untried;
      return true;
    }
    const tried = [...this.silent];
    // Next round: ask DNS again and start from the most preferred server.
    this.silent.clear();
    this.index = 0;
    this.resolvedUntil = 0;
    const each = tried.length > 1 ? " each" : "";
    return `SIP trunk '${this.trunk.name}': no answer from ${tried.join(" or ") || this.trunk.host} after ${noAnswerSeconds} s${each}: check the address, port and transport, and that the server is up`;
  }

  private async resolve(): Promise<void> {
    const { transport } = this.trunk;
    const proxy = parseHostPort(this.trunk.outboundProxy);
    // A stored default port means "none given": the name's SRV records decide.
    const given = (p: number) => (p === 5060 || p === defaultPort(transport) ? null : p);
    const server = proxy ?? { host: this.trunk.host, port: this.trunk.port };
    const resolved = await this.resolver.resolve(server.host, given(server.port), transport);
    const sources = new BlockList();
    for (const t of resolved.targets) addAddress(sources, t.host);
    // Calls may come from the trunk's own servers even when we send through a proxy.
    if (proxy) {
      const own = await this.resolver.resolve(this.trunk.host, given(this.trunk.port), transport).catch(() => null);
      for (const t of own?.targets ?? []) addAddress(sources, t.host);
    }
    for (const cidr of this.trunk.allowedSources ?? []) addCidr(sources, cidr);
    this.targets = resolved.targets;
    // The most preferred server that has not been silent in this round (a short TTL must not send us back).
    this.index = Math.max(
      0,
      this.targets.findIndex((t) => !this.silent.has(hostPort(t))),
    );
    this.resolvedUntil = resolved.expiresAt;
    this.sources = sources;
  }
}
