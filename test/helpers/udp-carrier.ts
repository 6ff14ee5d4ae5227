import { createSocket, type RemoteInfo, type Socket } from "node:dgram";

export interface CarrierInvite {
  text: string;
  from: RemoteInfo;
}

/**
 * A minimal SIP carrier on UDP, written for the tests: it records INVITEs and answers them with the status
 * lines the test asks for (copying Via, From, To + tag, Call-ID and CSeq as RFC 3261 §8.2.6 wants, plus the Contact a dialog-creating response needs). It
 * answers nothing by itself, so a test can also play a carrier that never answers.
 */
export class UdpCarrier {
  readonly invites: CarrierInvite[] = [];
  /** When set, every REGISTER gets this answer (e.g. [403, "Forbidden"]). */
  registerAnswer: [number, string] | null = null;
  private socket: Socket = createSocket("udp4");

  async start(): Promise<this> {
    this.socket.on("message", (m, from) => {
      const text = m.toString("utf8");
      if (text.startsWith("INVITE ")) this.invites.push({ text, from });
      if (text.startsWith("REGISTER ") && this.registerAnswer) this.respond({ text, from }, ...this.registerAnswer);
    });
    await new Promise<void>((r) => this.socket.bind(0, "127.0.0.1", () => r()));
    return this;
  }

  get port(): number {
    return this.socket.address().port;
  }

  /** Answers an INVITE with `code reason` (no body). */
  respond(invite: CarrierInvite, code: number, reason: string): void {
    const header = (name: string) =>
      invite.text.split("\r\n").filter((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
    const to = header("To")[0];
    const lines = [
      `SIP/2.0 ${code} ${reason}`,
      ...header("Via"),
      ...header("From"),
      /;tag=/.test(to) ? to : `${to};tag=carrier1`,
      ...header("Call-ID"),
      ...header("CSeq"),
      `Contact: <sip:carrier@127.0.0.1:${this.port}>`,
      "Content-Length: 0",
      "",
      "",
    ];
    this.socket.send(Buffer.from(lines.join("\r\n")), invite.from.port, invite.from.address);
  }

  close(): void {
    this.socket.close();
  }
}
