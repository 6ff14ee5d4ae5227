import { describe, expect, it } from "vitest";
import { ApiError } from "../../main/engine/api/errors.js";
import { parseIceFragment } from "../../main/engine/api/sdp-offer.js";
import {
  CandidateTrickle,
  iceCredentials,
  iceFragment,
  sdpCandidates,
  type PatchResult,
} from "../../renderer/src/audio/trickle.js";

// Trickle ICE between the console and the engine (RFC 9725 §4.3, RFC 8840 fragments): what the console sends
// is what the engine reads, candidates found close together go in one PATCH, and an engine that answers 405
// makes the console fall back to whole offers.
const ICE = { ufrag: "Ab1x", pwd: "p4ssw0rdp4ssw0rdp4ssw0rd" };
const HOST = "candidate:2739410232 1 udp 2122260223 192.168.1.5 54321 typ host generation 0 ufrag Ab1x network-id 1";
const MDNS =
  "candidate:1234 1 udp 2122194687 1f4712db-ea17-4bcf-a596-105139dfd8bf.local 60000 typ host generation 0 ufrag Ab1x network-id 2";
const TCP = "candidate:99 1 tcp 1518280447 192.168.1.5 9 typ host tcptype active generation 0 ufrag Ab1x network-id 1";
const SRFLX = "candidate:842163049 1 udp 1677729535 203.0.113.7 41000 typ srflx raddr 192.168.1.5 rport 54321";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function refusal(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    return err as ApiError;
  }
  throw new Error("not refused");
}

describe("trickle ICE fragments", () => {
  it("the console's fragment reads back on the engine: credentials, every candidate with its mid, the end", () => {
    const text = iceFragment(
      ICE,
      [
        { candidate: HOST, sdpMid: "0" },
        { candidate: MDNS, sdpMid: "0" },
        { candidate: TCP, sdpMid: "0" },
        { candidate: SRFLX, sdpMid: "0" },
      ],
      true,
    );
    expect(text).toMatch(/^a=ice-ufrag:Ab1x\r\na=ice-pwd:/);
    const read = parseIceFragment(text);
    expect(read).toEqual({
      ufrag: "Ab1x",
      pwd: ICE.pwd,
      candidates: [HOST, MDNS, TCP, SRFLX].map((candidate) => ({ candidate, mid: "0" })),
      end: true,
    });
    // Only the end: no media section needed.
    expect(parseIceFragment(iceFragment(ICE, [], true))).toEqual({
      ufrag: "Ab1x",
      pwd: ICE.pwd,
      candidates: [],
      end: true,
    });
  });

  it("reads RFC 8840's own layout (mid after the candidates, other attributes ignored, LF line ends)", () => {
    const read = parseIceFragment(
      `a=ice-ufrag:Ab1x\na=ice-pwd:${ICE.pwd}\na=ice-options:trickle\nm=audio 9 RTP/AVP 0\na=${HOST}\na=mid:audio\n`,
    );
    expect(read.candidates).toEqual([{ candidate: HOST, mid: "audio" }]);
    expect(read.end).toBe(false);
  });

  it("refuses what is not a fragment with a 400 that names the line", () => {
    const cases: [string, RegExp][] = [
      [`a=ice-ufrag:Ab1x\r\nhello\r\n`, /'hello' is not an a= or m= line/],
      [`a=ice-ufrag:Ab1x\r\na=candidate:1 1 udp 5 1.2.3.4 99999999 typ host\r\n`, /is not an ICE candidate/],
      [`a=ice-ufrag:Ab1x\r\na=candidate:1 1 udp 5 1.2.3.4 5000 typ nonsense\r\n`, /is not an ICE candidate/],
      [`a=${HOST}\r\n`, /a=ice-ufrag is missing/],
      [`a=ice-ufrag:\r\n`, /a=ice-ufrag has no valid value/],
      [`a=ice-ufrag:Ab1x\r\n${Array.from({ length: 65 }, () => `a=${HOST}`).join("\r\n")}\r\n`, /more than 64/],
    ];
    for (const [body, message] of cases) {
      const err = refusal(() => parseIceFragment(body));
      expect(err).toBeInstanceOf(ApiError);
      expect(err.statusCode).toBe(400);
      expect(err.message).toMatch(message);
    }
  });

  it("finds the offer's credentials and the candidates it already carries", () => {
    const sdp = `v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=ice-ufrag:Ab1x\r\na=ice-pwd:${ICE.pwd}\r\na=${HOST}\r\na=mid:0\r\n`;
    expect(iceCredentials(sdp)).toEqual(ICE);
    expect(sdpCandidates(sdp)).toEqual([HOST]);
    expect(iceCredentials("v=0\r\n")).toBeNull();
  });
});

describe("CandidateTrickle", () => {
  function recorder(result: PatchResult = "ok") {
    const sent: ReturnType<typeof parseIceFragment>[] = [];
    return { sent, send: async (f: string) => (sent.push(parseIceFragment(f)), result) };
  }

  it("holds candidates until the engine answered, then sends those found together in one PATCH, the end last; the offer's own are not repeated", async () => {
    const r = recorder();
    const t = new CandidateTrickle(ICE);
    t.sentInOffer(`a=${HOST}\r\n`);
    t.add({ candidate: HOST, sdpMid: "0" });
    t.add({ candidate: MDNS, sdpMid: "0" });
    t.add({ candidate: TCP, sdpMid: "0" });
    await sleep(30);
    expect(r.sent).toHaveLength(0);
    t.start(r.send);
    await t.settled();
    expect(r.sent).toHaveLength(1);
    expect(r.sent[0].candidates.map((c) => c.candidate)).toEqual([MDNS, TCP]);
    expect(r.sent[0].end).toBe(false);
    t.add({ candidate: SRFLX, sdpMid: "0" });
    t.add(null);
    await t.settled();
    expect(r.sent).toHaveLength(2);
    expect(r.sent[1]).toMatchObject({ candidates: [{ candidate: SRFLX, mid: "0" }], end: true });
    // Nothing after the end.
    t.add(null);
    await t.settled();
    expect(r.sent).toHaveLength(2);
  });

  it("an engine that answers 405 is told once, and nothing more is sent", async () => {
    const r = recorder("unsupported");
    let told = 0;
    const t = new CandidateTrickle(ICE, () => told++);
    t.start(r.send);
    t.add({ candidate: HOST, sdpMid: "0" });
    await t.settled();
    t.add({ candidate: MDNS, sdpMid: "0" });
    t.add(null);
    await t.settled();
    expect(told).toBe(1);
    expect(r.sent).toHaveLength(1);
  });
});
