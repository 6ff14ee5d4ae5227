import { afterEach, describe, expect, it } from "vitest";
import { answerDirection, RtpSessionDescriptionHandler } from "../../main/engine/sip/rtp-sdh.js";
import { parseSipfrag } from "../../main/engine/sip/call-leg.js";

const offer = (o: { port?: number; address?: string; direction?: string; codecs?: string } = {}) =>
  [
    "v=0",
    "o=peer 1 1 IN IP4 127.0.0.1",
    "s=-",
    `c=IN IP4 ${o.address ?? "127.0.0.1"}`,
    "t=0 0",
    `m=audio ${o.port ?? 40000} RTP/AVP ${o.codecs ?? "8 101"}`,
    "a=rtpmap:8 PCMA/8000",
    "a=rtpmap:0 PCMU/8000",
    "a=rtpmap:101 telephone-event/8000",
    ...(o.direction ? [`a=${o.direction}`] : []),
    "",
  ].join("\r\n");

const directionOf = (sdp: string) => /^a=(sendrecv|sendonly|recvonly|inactive)$/m.exec(sdp)?.[1];

describe("offer/answer on re-INVITE", () => {
  const handlers: RtpSessionDescriptionHandler[] = [];
  const sdh = () => {
    const h = new RtpSessionDescriptionHandler({
      host: "127.0.0.1",
      advertisedAddress: "127.0.0.1",
      ports: { min: 30000, max: 39998 },
    });
    handlers.push(h);
    return h;
  };
  afterEach(() => {
    for (const h of handlers.splice(0)) h.close();
  });

  it("answers each direction with its mirror (RFC 3264 §6.1)", () => {
    expect(answerDirection("sendonly", "sendrecv")).toBe("recvonly");
    expect(answerDirection("recvonly", "sendrecv")).toBe("sendonly");
    expect(answerDirection("inactive", "sendrecv")).toBe("inactive");
    expect(answerDirection("sendrecv", "sendrecv")).toBe("sendrecv");
    expect(answerDirection("sendrecv", "recvonly")).toBe("recvonly");
  });

  it("a hold offer (sendonly, then c=0.0.0.0) gets recvonly, and unhold gets sendrecv; hold is reported once per change", async () => {
    const h = sdh();
    const changes: boolean[] = [];
    h.on("hold", (held) => changes.push(held));
    await h.setDescription(offer());
    expect(directionOf((await h.getDescription()).body)).toBe("sendrecv");
    await h.setDescription(offer({ direction: "sendonly" }));
    expect(directionOf((await h.getDescription()).body)).toBe("recvonly");
    await h.setDescription(offer({ address: "0.0.0.0" }));
    expect(directionOf((await h.getDescription()).body)).toBe("recvonly");
    expect(h.onHold).toBe(true);
    await h.setDescription(offer({ direction: "sendrecv" }));
    expect(directionOf((await h.getDescription()).body)).toBe("sendrecv");
    expect(changes).toEqual([true, false]);
  });

  it("a re-INVITE without SDP gets a full offer from us, and the peer's SDP in the ACK is taken as its answer", async () => {
    const h = sdh();
    await h.setDescription(offer({ codecs: "8 101" }));
    const answer = (await h.getDescription()).body;
    expect(answer).toMatch(/^m=audio \d+ RTP\/AVP 8 101$/m);
    const reOffer = (await h.getDescription()).body;
    expect(reOffer).toMatch(/^m=audio \d+ RTP\/AVP 0 8 101$/m);
    await h.setDescription(offer({ codecs: "0 101" }));
    expect(h.codec?.codec.name).toBe("PCMU");
    // It was an answer: the next description we make is an offer again, not an answer to it.
    expect((await h.getDescription()).body).toMatch(/^m=audio \d+ RTP\/AVP 0 8 101$/m);
  });

  it("when we hold the peer (our offer says sendonly), its recvonly or inactive answer is not the peer holding us", async () => {
    const h = sdh();
    const changes: boolean[] = [];
    h.on("hold", (held) => changes.push(held));
    await h.setDescription(offer());
    await h.getDescription();
    h.direction = "sendonly";
    expect(directionOf((await h.getDescription()).body)).toBe("sendonly");
    await h.setDescription(offer({ direction: "inactive" }));
    expect(h.onHold).toBe(false);
    h.direction = "sendrecv";
    expect(directionOf((await h.getDescription()).body)).toBe("sendrecv");
    await h.setDescription(offer({ direction: "recvonly" }));
    expect(h.onHold).toBe(false);
    // Offered sendrecv, answered sendonly: that is the peer holding us.
    expect(directionOf((await h.getDescription()).body)).toBe("sendrecv");
    await h.setDescription(offer({ direction: "sendonly" }));
    expect(changes).toEqual([true]);
  });

  it("after a refused re-INVITE (rollback) the peer's next SDP is an offer we answer, not the answer to ours", async () => {
    const h = sdh();
    await h.setDescription(offer());
    await h.getDescription();
    h.direction = "sendonly";
    await h.getDescription();
    await h.rollbackDescription();
    h.direction = "sendrecv";
    await h.setDescription(offer({ codecs: "8 101", direction: "sendonly" }));
    // An answer: one codec, the mirror of the peer's direction.
    const answer = (await h.getDescription()).body;
    expect(answer).toMatch(/^m=audio \d+ RTP\/AVP 8 101$/m);
    expect(directionOf(answer)).toBe("recvonly");
  });
});

describe("NOTIFY sipfrag bodies (RFC 3420)", () => {
  it("reads the status line", () => {
    expect(parseSipfrag("SIP/2.0 200 OK\r\n")).toEqual({ code: 200, phrase: "OK" });
    expect(parseSipfrag("SIP/2.0 180 Ringing")).toEqual({ code: 180, phrase: "Ringing" });
    expect(parseSipfrag("SIP/2.0 603 Declined\r\nContent-Length: 0\r\n")).toEqual({ code: 603, phrase: "Declined" });
    expect(parseSipfrag("")).toBeNull();
    expect(parseSipfrag(undefined)).toBeNull();
  });
});
