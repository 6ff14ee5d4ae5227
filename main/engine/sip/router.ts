import { headerBlock, firstHeader, parseMessageInfo } from "./message-info.js";
import { optionsReply, statelessReply } from "./stateless-reply.js";
import { responseTarget, type IncomingSip, type Remote } from "./udp-endpoint.js";
import type { StreamConnection } from "./stream-connection.js";
import type { SipListeners } from "./listeners.js";
import type { TrunkAgent } from "./trunk-agent.js";
import { InboundDigest } from "./inbound-auth.js";

/** How long a Call-ID keeps pointing at its trunk after the last message (dialogs, late retransmissions). */
const CALL_ID_TTL_MS = 6 * 60 * 60 * 1000;

export const ORIGINAL_URI_HEADER = "X-VoiceDock-Request-URI";

const callIdOf = (text: string) => /^(?:Call-ID|i)\s*:\s*(\S+)/im.exec(text)?.[1];

/**
 * Decides whose each incoming message is. Messages of a call we know (by Call-ID) go to its trunk's user
 * agent, from wherever they come (a BYE may come from the phone that answered). A new request gets an
 * answer of ours when no trunk should see it: 200 to OPTIONS pings, 481 for a dialog we do not know,
 * 403 (counted) from a source that is none of our trunks' — the SIP scanners and toll fraud attempts.
 */
export class SipRouter {
  private readonly callIds = new Map<string, { trunkId: string; seen: number }>();
  /** Calls that came in over a TCP/TLS connection: what we send for them goes back over it (RFC 3261 §18.2.2). */
  private readonly streams = new Map<string, StreamConnection>();
  readonly stats = { rejected: 0, options: 0 };
  private readonly digest = new InboundDigest();

  constructor(
    private readonly agents: ReadonlyMap<string, TrunkAgent>,
    private readonly listeners: SipListeners,
    private readonly userAgentString: string,
    private readonly onRejected: (remote: Remote, method: string) => void = () => undefined,
  ) {}

  /** Every message we send: its Call-ID now belongs to that trunk. */
  remember(text: string, trunkId: string): void {
    const callId = callIdOf(text);
    if (callId) this.callIds.set(callId, { trunkId, seen: Date.now() });
  }

  route(m: IncomingSip, conn?: StreamConnection, viaTrunk?: string): void {
    const toTag = /;\s*tag=/i.test(firstHeader(headerBlock(m.text), "to") ?? "");
    if (m.info.kind === "request" && m.info.method === "OPTIONS" && !toTag) {
      this.stats.options++;
      this.reply(m, conn, optionsReply(m.text, this.userAgentString));
      return;
    }
    const known = viaTrunk ?? this.callIds.get(m.info.callId)?.trunkId;
    let agent = known ? this.agents.get(known) : undefined;
    if (!agent) {
      // A response to nothing we sent, or the ACK to a final answer we gave without a transaction.
      if (m.info.kind === "response" || m.info.method === "ACK") return;
      if (toTag || m.info.method === "CANCEL") {
        this.reply(m, conn, statelessReply(m.text, 481, "Call/Transaction Does Not Exist"));
        return;
      }
      const agents = [...this.agents.values()];
      agent = agents.find((a) => a.isServer(m.remote)) ?? agents.find((a) => a.accepts(m.remote.host));
      if (!agent) {
        this.stats.rejected++;
        this.onRejected(m.remote, m.info.method);
        this.reply(m, conn, statelessReply(m.text, 403, "Forbidden"));
        return;
      }
      agent.log.record("in", m.remote, m.text);
      const creds = agent.trunk.inboundAuth;
      if (creds && m.info.method === "INVITE") {
        const verdict = this.digest.verify(m.text, "INVITE", creds);
        if (verdict !== "ok") {
          if (verdict === "wrong") {
            this.stats.rejected++;
            this.onRejected(m.remote, m.info.method);
          }
          const challenge = statelessReply(m.text, 401, "Unauthorized", [this.digest.challenge(verdict === "stale")]);
          agent.log.record("out", m.remote, challenge);
          this.reply(m, conn, challenge);
          return;
        }
      }
    } else agent.log.record("in", m.remote, m.text);
    if (conn) this.streams.set(m.info.callId, conn);
    this.callIds.set(m.info.callId, { trunkId: agent.trunk.id, seen: Date.now() });
    const text =
      m.info.kind === "request" ? addressToUs(m.text, m.info.requestUri, agent.ua.contact.uri.user ?? "") : m.text;
    agent.transport.deliver(text, m.info.kind === "response");
  }

  private reply(m: IncomingSip, conn: StreamConnection | undefined, text: string): void {
    if (conn) {
      conn.send(text);
      return;
    }
    const target = responseTarget(parseMessageInfo(m.text) ?? m.info);
    if (target) this.listeners.udp.send(text, target);
  }

  /**
   * Sends a message of a call that came in over a TCP/TLS connection back over it, with our Via naming
   * that transport; false when the call has no open connection (then it goes the trunk's way).
   */
  sendOnStream(text: string): boolean {
    const callId = callIdOf(text);
    const conn = callId ? this.streams.get(callId) : undefined;
    if (!conn?.connected) return false;
    const isRequest = !text.startsWith("SIP/2.0 ");
    const local = conn.local;
    conn.send(
      isRequest && local
        ? text.replace(
            /^(Via|v)(\s*:\s*)SIP\/2\.0\/[A-Z]+\s+(\[[^\]]+\]|[^\s;:]+)(?::\d+)?/im,
            (_all, name: string, sep: string, host: string) =>
              `${name}${sep}SIP/2.0/${conn.protocol} ${host}:${local.port}`,
          )
        : text,
    );
    return true;
  }

  /** Forgets Call-IDs of calls long over, and connections that closed. */
  sweep(): void {
    const cutoff = Date.now() - CALL_ID_TTL_MS;
    for (const [id, v] of this.callIds)
      if (v.seen < cutoff) {
        this.callIds.delete(id);
        this.streams.delete(id);
      }
    for (const [id, conn] of this.streams) if (!conn.connected) this.streams.delete(id);
  }
}

/**
 * Trunks put the dialled number (DID) in the Request-URI user, but sip.js answers 404 to any request
 * whose Request-URI user is not its own. So the request reaches sip.js addressed to our contact user,
 * and the original Request-URI travels along in a header the call router reads.
 */
function addressToUs(text: string, requestUri: string, ourUser: string): string {
  const m = /^(sips?):([^@;>\s]+)@/i.exec(requestUri);
  if (!m || m[2] === ourUser || !ourUser) return text;
  const lineEnd = text.indexOf("\r\n");
  if (lineEnd < 0) return text;
  const start = text
    .slice(0, lineEnd)
    .replace(requestUri, requestUri.replace(`${m[1]}:${m[2]}@`, `${m[1]}:${ourUser}@`));
  return `${start}\r\n${ORIGINAL_URI_HEADER}: ${requestUri}${text.slice(lineEnd)}`;
}
