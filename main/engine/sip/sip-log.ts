import type { Remote } from "./types.js";

/** One SIP message as a person reads it in a trunk's SIP log (credentials already taken out). */
export interface SipLogEntry {
  at: string;
  direction: "in" | "out";
  remote: string;
  first_line: string;
  text: string;
}

export const SIP_LOG_SIZE = 200;

const REDACTED = "…";

/**
 * Takes credentials out of a SIP message before it is kept: the digest `response` of Authorization and
 * Proxy-Authorization headers (a nonce and cnonce say nothing without it), and SDES keys (`inline:`) in
 * SDP. Passwords never travel in SIP; the digest response is what could be attacked offline.
 */
export function redactSip(text: string): string {
  return text
    .replace(/^((?:Proxy-)?Authorization\s*:[^\r\n]*)$/gim, (line: string) =>
      line.replace(/(\bresponse\s*=\s*)("[^"]*"|[^,\s]+)/gi, `$1"${REDACTED}"`),
    )
    .replace(/(\binline:)[^\s|]+/gi, `$1${REDACTED}`);
}

/**
 * The last `size` SIP messages of one trunk (its registration and its calls), oldest first. A fixed
 * ring: recording a message costs one redaction and one slot, whatever the traffic.
 */
export class SipLog {
  private readonly ring: (SipLogEntry | undefined)[];
  private next = 0;
  private count = 0;

  constructor(private readonly size = SIP_LOG_SIZE) {
    this.ring = new Array<SipLogEntry | undefined>(size);
  }

  record(direction: "in" | "out", remote: Remote, message: string): void {
    // CRLF keep-alives and STUN are no SIP messages.
    if (!message.trim()) return;
    const text = redactSip(message);
    const end = text.indexOf("\r\n");
    const host = remote.host.includes(":") ? `[${remote.host}]` : remote.host;
    this.ring[this.next] = {
      at: new Date().toISOString(),
      direction,
      remote: `${host}:${remote.port}`,
      first_line: end < 0 ? text : text.slice(0, end),
      text,
    };
    this.next = (this.next + 1) % this.size;
    this.count = Math.min(this.count + 1, this.size);
  }

  entries(): SipLogEntry[] {
    const out: SipLogEntry[] = [];
    const start = (this.next - this.count + this.size) % this.size;
    for (let i = 0; i < this.count; i++) out.push(this.ring[(start + i) % this.size]!);
    return out;
  }
}
