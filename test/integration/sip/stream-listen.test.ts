import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { X509Certificate } from "node:crypto";
import { startTestEngine, type TestEngine } from "../../helpers/engine.js";
import { hasSipp } from "../../helpers/sipp.js";
import { freeUdpPort } from "../../support/ports.js";
import { waitFor } from "../../helpers/wait.js";

/** A SIP peer on one TCP or TLS connection, framing what it reads by Content-Length. */
class StreamPeer {
  private buffer = "";
  private readonly waiting: { match: (m: string) => boolean; resolve: (m: string) => void }[] = [];
  readonly received: string[] = [];
  constructor(readonly socket: Socket) {
    socket.setEncoding("utf8");
    socket.on("data", (d: string) => {
      this.buffer += d;
      for (;;) {
        this.buffer = this.buffer.replace(/^(\r\n)+/, "");
        const end = this.buffer.indexOf("\r\n\r\n");
        if (end < 0) return;
        const length = Number(/^Content-Length:\s*(\d+)/im.exec(this.buffer.slice(0, end))?.[1] ?? 0);
        if (this.buffer.length < end + 4 + length) return;
        const message = this.buffer.slice(0, end + 4 + length);
        this.buffer = this.buffer.slice(end + 4 + length);
        this.received.push(message);
        const i = this.waiting.findIndex((w) => w.match(message));
        if (i >= 0) this.waiting.splice(i, 1)[0].resolve(message);
      }
    });
  }
  send(text: string): void {
    this.socket.write(text);
  }
  next(match: (m: string) => boolean, ms = 5000): Promise<string> {
    const seen = this.received.find(match);
    if (seen) {
      this.received.splice(this.received.indexOf(seen), 1);
      return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const t = setTimeout(
        () => reject(new Error(`no matching SIP message in ${ms} ms; got:\n${this.received.join("\n---\n")}`)),
        ms,
      );
      this.waiting.push({
        match,
        resolve: (m) => {
          clearTimeout(t);
          resolve(m);
        },
      });
    });
  }
}

function request(o: {
  method: string;
  uri: string;
  transport: string;
  local: number;
  callId: string;
  cseq: number;
  toTag?: string;
  body?: string;
  branch: string;
}): string {
  const lines = [
    `${o.method} ${o.uri} SIP/2.0`,
    `Via: SIP/2.0/${o.transport} 127.0.0.1:${o.local};branch=z9hG4bK${o.branch};rport`,
    "Max-Forwards: 70",
    "From: <sip:+15550009999@127.0.0.1>;tag=peer1",
    `To: <${o.uri.replace(/;.*$/, "")}>${o.toTag ? `;tag=${o.toTag}` : ""}`,
    `Call-ID: ${o.callId}`,
    `CSeq: ${o.cseq} ${o.method}`,
    `Contact: <sip:+15550009999@127.0.0.1:${o.local};transport=${o.transport.toLowerCase()}>`,
  ];
  if (o.body) lines.push("Content-Type: application/sdp");
  lines.push(`Content-Length: ${Buffer.byteLength(o.body ?? "")}`, "", o.body ?? "");
  return lines.join("\r\n");
}

const sdp = (rtpPort: number) =>
  [
    "v=0",
    "o=peer 1 1 IN IP4 127.0.0.1",
    "s=-",
    "c=IN IP4 127.0.0.1",
    "t=0 0",
    `m=audio ${rtpPort} RTP/AVP 0 101`,
    "a=rtpmap:0 PCMU/8000",
    "a=rtpmap:101 telephone-event/8000",
    "a=sendrecv",
    "",
  ].join("\r\n");

describe("SIP over TCP and TLS from peers that connect to us", () => {
  let t: TestEngine;
  let assistantId = "";
  let trunkId = "";
  beforeAll(async () => {
    t = await startTestEngine();
    assistantId = (
      (await (await t.api("/api/v1/assistants", { method: "POST", json: { name: "Front desk" } })).json()) as any
    ).assistant.id;
    trunkId = (
      (await (
        await t.api("/api/v1/sip-trunks", {
          method: "POST",
          json: { name: "Local peers", host: "127.0.0.1", port: await freeUdpPort() },
        })
      ).json()) as any
    ).trunk.id;
    await waitFor(() => t.engine.telephony!.stack.hasTrunk(trunkId));
    // The SIP leg alone is under test: no assistant pipeline on these calls.
    t.engine.telephony!.onAnswered = () => undefined;
  });
  afterAll(async () => {
    await t?.stop();
  });

  async function number(phone: string): Promise<void> {
    const res = await t.api("/api/v1/numbers", {
      method: "POST",
      json: { phone_number: phone, assistant_id: assistantId, sip_trunk_id: trunkId },
    });
    expect(res.status).toBe(201);
  }

  it.skipIf(!hasSipp)(
    "a sipp caller over TCP (skipped only where sip-tester is not installed): answered and hung up over its one connection, no UDP involved",
    async () => {
      await number("+15550004444");
      const sip = t.engine.telephony!.sipAddress!;
      const udpBefore = t.engine.telephony!.stack.udpStats.received;
      const sipp = spawn(
        "sipp",
        [
          "-sn",
          "uac",
          "-t",
          "t1",
          "-s",
          "+15550004444",
          "-i",
          "127.0.0.1",
          "-p",
          String(await freeUdpPort()),
          "-mp",
          String(await freeUdpPort(false)),
          "-d",
          "1500",
          "-m",
          "1",
          "-nostdin",
          "-timeout",
          "20s",
          `127.0.0.1:${sip.port}`,
        ],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      let out = "";
      sipp.stdout.on("data", (d) => {
        out += d;
      });
      sipp.stderr.on("data", (d) => {
        out += d;
      });
      expect(await new Promise<number | null>((r) => sipp.on("exit", (c) => r(c))), out).toBe(0);

      const call = await waitFor(() => {
        const c = t.store.calls.list({ limit: 10, offset: 0 }).calls.find((x) => x.assistant_phone === "+15550004444");
        return c?.status === "ended" && c;
      });
      expect(call).toMatchObject({ direction: "inbound", end_reason: "user_hangup" });
      expect(call.duration_seconds).toBeGreaterThanOrEqual(1);
      expect(t.engine.telephony!.stack.udpStats.received, "nothing of this call came over UDP").toBe(udpBefore);
    },
    30_000,
  );

  it("a caller over TLS: verifies our certificate, gets the call answered with audio, and hangs up", async () => {
    await number("+15550005555");
    const tls = t.engine.telephony!.sipsAddress!;
    expect(tls.port).toBeGreaterThan(0);
    // The self-signed certificate kept in the data dir is what the listener presents; trusting it is enough.
    const pem = readFileSync(join(t.dataDir, "sip-tls-cert.pem"), "utf8");
    expect(new X509Certificate(pem).fingerprint256).toBe(t.engine.telephony!.tlsFingerprint);
    const socket = tlsConnect({ host: "127.0.0.1", port: tls.port, ca: pem, rejectUnauthorized: true });
    await new Promise<void>((resolve, reject) => {
      socket.once("secureConnect", resolve);
      socket.once("error", reject);
    });
    const peer = new StreamPeer(socket);
    const media: UdpSocket = createSocket("udp4");
    const rtpPort = await new Promise<number>((r) => media.bind(0, "127.0.0.1", () => r(media.address().port)));
    let rtp = 0;
    media.on("message", () => {
      rtp++;
    });
    try {
      const local = socket.localPort!;
      const uri = `sip:+15550005555@127.0.0.1:${tls.port};transport=tls`;
      peer.send(
        request({
          method: "INVITE",
          uri,
          transport: "TLS",
          local,
          callId: "tls-call-1",
          cseq: 1,
          body: sdp(rtpPort),
          branch: "inv1",
        }),
      );
      const ok = await peer.next((m) => m.startsWith("SIP/2.0 200") && /CSeq:\s*1 INVITE/i.test(m), 10_000);
      expect(ok).toMatch(/m=audio \d+ RTP\/AVP 0/);
      const toTag = /^To:.*;tag=([^;\s]+)/im.exec(ok)![1];
      peer.send(
        request({ method: "ACK", uri, transport: "TLS", local, callId: "tls-call-1", cseq: 1, toTag, branch: "ack1" }),
      );
      await waitFor(() => rtp > 25, 5000);

      peer.send(
        request({ method: "BYE", uri, transport: "TLS", local, callId: "tls-call-1", cseq: 2, toTag, branch: "bye1" }),
      );
      await peer.next((m) => m.startsWith("SIP/2.0 200") && /CSeq:\s*2 BYE/i.test(m));
      const call = await waitFor(() => {
        const c = t.store.calls.list({ limit: 10, offset: 0 }).calls.find((x) => x.assistant_phone === "+15550005555");
        return c?.status === "ended" && c;
      });
      expect(call).toMatchObject({ direction: "inbound", end_reason: "user_hangup", caller_phone: "+15550009999" });
    } finally {
      socket.destroy();
      media.close();
    }
  }, 30_000);

  it("a malformed request over TCP gets 400 on its connection; a garbage stream is closed; the listener keeps serving", async () => {
    const sip = t.engine.telephony!.sipAddress!;
    const open = async () => {
      const s = netConnect({ host: "127.0.0.1", port: sip.port });
      await new Promise<void>((resolve, reject) => {
        s.once("connect", resolve);
        s.once("error", reject);
      });
      return new StreamPeer(s);
    };
    const a = await open();
    const noCallId = request({
      method: "OPTIONS",
      uri: "sip:+15550004444@127.0.0.1",
      transport: "TCP",
      local: a.socket.localPort!,
      callId: "x",
      cseq: 1,
      branch: "o1",
    }).replace(/^Call-ID: x\r\n/m, "");
    a.send(noCallId);
    expect(await a.next((m) => m.startsWith("SIP/2.0 400"))).toMatch(/^SIP\/2\.0 400 Missing Call-ID/);

    const b = await open();
    const closed = new Promise<void>((r) => b.socket.once("close", () => r()));
    b.send(`INVITE sip:x@y SIP/2.0\r\nContent-Length: banana\r\n\r\n`);
    await closed;
    const c = await open();
    c.send("\0".repeat(70_000));
    await new Promise<void>((r) => c.socket.once("close", () => r()));

    // Still serving: a well-formed OPTIONS on the first connection gets its answer.
    a.send(
      request({
        method: "OPTIONS",
        uri: "sip:+15550004444@127.0.0.1",
        transport: "TCP",
        local: a.socket.localPort!,
        callId: "opt-1",
        cseq: 1,
        branch: "o2",
      }),
    );
    expect(await a.next((m) => /^SIP\/2\.0 \d{3}/.test(m) && /Call-ID:\s*opt-1/i.test(m))).toMatch(/^SIP\/2\.0 200/);
    a.socket.destroy();
  }, 30_000);
});
