import { describe, expect, it } from "vitest";
import { ReorderBuffer } from "../../main/engine/media/jitter-buffer.js";

/** Feeds packets (seq, arrival ms) and records what comes out: a sequence number, or "lost@timestamp". */
function harness() {
  const out: string[] = [];
  const buf = new ReorderBuffer({
    packet: (payload, ts) => out.push(`${payload[0] | (payload[1] << 8)}@${ts}`),
    lost: (ts) => out.push(`lost@${ts}`),
  });
  const push = (seq: number, at: number) => {
    const s = seq & 0xffff;
    buf.push(s, (s * 160) >>> 0, new Uint8Array([s & 0xff, s >> 8, 0, 0]), at);
  };
  return { out, buf, push };
}

describe("ReorderBuffer (incoming RTP)", () => {
  it("passes packets in order straight through, with no delay", () => {
    const { out, push } = harness();
    for (let i = 0; i < 5; i++) {
      push(100 + i, i * 20);
      expect(out.length).toBe(i + 1);
    }
    expect(out).toEqual([100, 101, 102, 103, 104].map((s) => `${s}@${s * 160}`));
  });

  it("puts reordered packets back in order and counts them", () => {
    const { out, buf, push } = harness();
    push(10, 0);
    push(12, 20);
    push(11, 25);
    push(14, 40);
    push(13, 41);
    push(15, 60);
    expect(out.map((o) => Number(o.split("@")[0]))).toEqual([10, 11, 12, 13, 14, 15]);
    expect(buf.stats).toMatchObject({ received: 6, reordered: 2, lost: 0, duplicates: 0, late: 0 });
  });

  it("drops duplicates, whether still held or already played", () => {
    const { out, buf, push } = harness();
    push(1, 0);
    push(1, 1);
    push(3, 20);
    push(3, 21);
    push(2, 22);
    push(2, 23);
    expect(out.map((o) => Number(o.split("@")[0]))).toEqual([1, 2, 3]);
    expect(buf.stats).toMatchObject({ duplicates: 3, late: 0 });
    expect(buf.stats.waitMs).toBeLessThanOrEqual(40); // a repeat is not a reason to wait longer
  });

  it("conceals a packet that never comes once the wait is over, in its place, then plays on", () => {
    const { out, buf, push } = harness();
    push(1, 0);
    push(3, 40);
    push(4, 60);
    expect(out).toEqual(["1@160"]); // 3 and 4 held for 2
    buf.tick(60);
    expect(out).toEqual(["1@160"]); // not yet: 40 ms wait from 40
    buf.tick(81);
    expect(out).toEqual(["1@160", "lost@320", "3@480", "4@640"]);
    expect(buf.stats.lost).toBe(1);
    // It turns up after all: too late, and the next gap is given longer.
    const wait = buf.stats.waitMs;
    push(2, 90);
    expect(buf.stats.late).toBe(1);
    expect(buf.stats.waitMs).toBeGreaterThan(wait);
  });

  it("adapts the wait to how long reordering on this call takes", () => {
    const { buf, push } = harness();
    push(0, 0);
    let t = 20;
    for (let s = 1; s < 201; s += 2) {
      push(s + 1, t);
      push(s, t + 5);
      t += 40;
    } // every pair swapped, 5 ms apart
    expect(buf.stats.reordered).toBe(100);
    expect(buf.stats.waitMs).toBe(20); // the floor: reordering here never took long
    const slow = harness();
    slow.push(0, 0);
    t = 20;
    for (let s = 1; s < 41; s += 2) {
      slow.push(s + 1, t);
      slow.buf.tick(t + 50);
      slow.buf.tick(t + 65);
      slow.push(s, t + 70);
      t += 100;
    }
    expect(slow.buf.stats.late).toBeGreaterThan(0); // the first ones were given up on at 40 ms
    expect(slow.buf.stats.waitMs).toBeGreaterThanOrEqual(70);
    expect(slow.buf.stats.reordered).toBeGreaterThan(10); // later ones were waited for
  });

  it("keeps order across the 16-bit sequence wrap", () => {
    const { out, push } = harness();
    push(65534, 0);
    push(0, 20);
    push(65535, 21);
    push(1, 40);
    expect(out.map((o) => Number(o.split("@")[0]))).toEqual([65534, 65535, 0, 1]);
  });

  it("a jump far ahead (an outage, or a new stream) is followed at once and counted as lost, not concealed", () => {
    const { out, buf, push } = harness();
    push(1, 0);
    push(2, 20);
    push(500, 3000);
    push(501, 3020);
    expect(out).toEqual(["1@160", "2@320", "500@80000", "501@80160"]);
    expect(buf.stats.lost).toBe(497);
    // A peer that restarts its numbering far behind is followed too.
    push(20, 3040);
    push(21, 3060);
    expect(out.slice(-2)).toEqual(["20@3200", "21@3360"]);
  });

  it("measures interarrival jitter as RFC 3550 does", () => {
    const steady = harness();
    for (let i = 0; i < 100; i++) steady.push(i, i * 20);
    expect(steady.buf.stats.jitterMs).toBeCloseTo(0, 5);
    const jittery = harness();
    for (let i = 0; i < 400; i++) jittery.push(i, i * 20 + (i % 2 ? 10 : 0));
    // |D| is 10 ms for every packet: J converges to 10.
    expect(jittery.buf.stats.jitterMs).toBeCloseTo(10, 1);
  });

  it("ignores payloads larger than a session can decode", () => {
    const out: number[] = [];
    const buf = new ReorderBuffer({ packet: (p) => out.push(p.length), lost: () => undefined });
    buf.push(1, 160, new Uint8Array(4000), 0);
    buf.push(2, 320, new Uint8Array(160), 20);
    expect(out).toEqual([160]);
  });
});
