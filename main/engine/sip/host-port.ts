import { BlockList, isIP } from "node:net";
import type { Remote } from "./udp-endpoint.js";

/** "ip:port" as a person reads it ("[v6]:port" for IPv6). */
export function hostPort(r: Remote): string {
  return `${r.host.includes(":") ? `[${r.host}]` : r.host}:${r.port}`;
}

export function parseHostPort(value: string | null | undefined, defaultPortNumber = 5060): Remote | null {
  if (!value) return null;
  const m = /^(?:sips?:|stun:)?(\[[^\]]+\]|[^:;]+)(?::(\d+))?/.exec(value.trim());
  return m ? { host: m[1].replace(/^\[|\]$/g, ""), port: m[2] ? Number(m[2]) : defaultPortNumber } : null;
}

/** Adds one address to a list of allowed sources. */
export function addAddress(list: BlockList, address: string): void {
  list.addAddress(address, isIP(address) === 6 ? "ipv6" : "ipv4");
}

/** Adds a network ("10.0.0.0/24", or one address without a prefix) to a list of allowed sources. */
export function addCidr(list: BlockList, cidr: string): void {
  const [address, bits] = cidr.split("/");
  const family = isIP(address) === 6 ? "ipv6" : "ipv4";
  if (!isIP(address)) return;
  list.addSubnet(address, bits === undefined ? (family === "ipv6" ? 128 : 32) : Number(bits), family);
}
