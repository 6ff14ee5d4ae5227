import { describe, expect, it } from "vitest";
import { DtmfReceiver, dtmfPayloads, parseDtmfInfo } from "../../main/engine/media/dtmf.js";

describe("RFC 4733 DTMF", () => {
  it("'1234#' sent as events is received once per digit, in order, despite repeated and duplicated end packets", () => {
    const rx = new DtmfReceiver();
    const got: string[] = [];
    let ts = 1000;
    for (const d of "1234#") {
      const packets = dtmfPayloads(d);
      expect(packets).toHaveLength(8); // 5 updates (100 ms) + 3 end packets
      expect(packets.slice(-3).every((p) => (p[1] & 0x80) !== 0)).toBe(true);
      // The network repeats some packets; every copy carries the event's timestamp.
      for (const p of [...packets, packets[7], packets[2]]) {
        const digit = rx.push(p, ts);
        if (digit) got.push(digit);
      }
      ts += 160 * 10;
    }
    expect(got.join("")).toBe("1234#");
  });

  it("ignores short or unknown events", () => {
    const rx = new DtmfReceiver();
    expect(rx.push(Uint8Array.of(1, 2), 5)).toBeNull();
    expect(rx.push(Uint8Array.of(99, 0, 0, 160), 6)).toBeNull();
    expect(rx.push(Uint8Array.of(0, 0, 0, 0), 7)).toBeNull(); // all-zero filler, not a '0'
    expect(rx.push(Uint8Array.of(0, 0x0a, 0, 160), 8)).toBe("0");
  });

  it("reads SIP INFO bodies in both common forms", () => {
    expect(parseDtmfInfo("application/dtmf-relay", "Signal=5\r\nDuration=160\r\n")).toBe("5");
    expect(parseDtmfInfo("application/dtmf-relay", "Signal= #\r\n")).toBe("#");
    expect(parseDtmfInfo("application/dtmf", "9")).toBe("9");
    expect(parseDtmfInfo("text/plain", "Signal=5")).toBeNull();
    expect(parseDtmfInfo("application/dtmf-relay", "Signal=x")).toBeNull();
  });
});
