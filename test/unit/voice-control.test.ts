import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { harness, type Harness } from "./voice-harness.js";
import { words } from "../../main/engine/providers/fake/index.js";

let h: Harness;
beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  h?.close();
  vi.useRealTimers();
});

const GREETING = "Hello, this is Acme Plumbing.";

describe("voice session: control commands", () => {
  it("say: spoken after whatever is playing, and stored once heard", async () => {
    h = harness({ assistant: { first_message: GREETING } });
    h.session.start();
    await h.quiet(100);
    const said = h.session.sayCommand("Your van is on its way.", false);
    await h.until(() => h.said("assistant").length === 2);
    await said;
    expect(h.said("assistant")).toEqual([GREETING, "Your van is on its way."]);
    expect(h.audio.playedSamples).toBe((5 + 6) * 150 * 8);
    expect(h.record.hangups).toEqual([]);
  });

  it("say with end_after: hangs up once the line has been heard", async () => {
    h = harness();
    h.session.start();
    const done = h.session.sayCommand("We are closing now, goodbye.", true);
    await h.until(() => h.record.hangups.length > 0);
    await done;
    expect(h.said("assistant")).toEqual(["We are closing now, goodbye."]);
    expect(h.record.hangups[0]).toMatchObject({ reason: "assistant_hangup", queued: 0, played: 5 * 150 * 8 });
  });

  it("inject-context without trigger_response is silent context the next answer sees", async () => {
    h = harness({ stt: ["Where is my order?"], llm: [words("It shipped yesterday.")] });
    h.session.start();
    h.session.injectContext("Order 42 shipped yesterday.", false);
    expect(h.record.messages).toEqual([
      expect.objectContaining({ role: "system", content: "Order 42 shipped yesterday." }),
    ]);
    await h.quiet(2000);
    expect(h.llm.requests).toHaveLength(0);
    await h.speak(600);
    await h.until(() => h.said("assistant").length > 0);
    expect(h.llm.requests[0].messages).toEqual([
      { role: "system", content: "Order 42 shipped yesterday." },
      { role: "user", content: "Where is my order?" },
    ]);
  });

  it("inject-context with trigger_response answers at once, without a caller turn", async () => {
    h = harness({ llm: [words("Good news: your order has shipped.")] });
    h.session.start();
    const t0 = h.now();
    h.session.injectContext("Tell the caller their order shipped.", true);
    expect(h.llm.requests).toHaveLength(1);
    expect(h.llm.requests[0].at).toBe(t0);
    await h.until(() => h.said("assistant").length > 0);
    expect(h.said("assistant")).toEqual(["Good news: your order has shipped."]);
    // No caller turn to measure from.
    expect(h.record.metrics).toEqual([]);
  });

  it("control skips the audio queue: context injected mid-turn is stored at once and the turn's answer sees it", async () => {
    h = harness({ stt: ["I want to cancel."], llm: [words("I see you are a VIP. Let me help.")] });
    h.session.start();
    await h.quiet(400);
    await h.speak(300);
    h.session.injectContext("The caller is a VIP.", false);
    expect(h.record.messages.map((m) => m.role)).toEqual(["system"]);
    await h.speak(300);
    await h.until(() => h.said("assistant").length > 0);
    expect(h.said("user")).toEqual(["I want to cancel."]);
    expect(h.llm.requests[0].messages.map((m) => m.role)).toEqual(["system", "user"]);
  });

  it("end-call with a message: what is playing finishes, the message is said, then the host hangs up", async () => {
    h = harness({ assistant: { first_message: GREETING } });
    h.session.start();
    await h.quiet(200);
    const ended = h.session.endCall("Thanks for calling.", "assistant_hangup");
    // A second end-call while the first is under way changes nothing.
    void h.session.endCall(null, "max_duration");
    await h.until(() => h.record.hangups.length > 0);
    await ended;
    expect(h.said("assistant")).toEqual([GREETING, "Thanks for calling."]);
    expect(h.record.hangups).toEqual([
      expect.objectContaining({ reason: "assistant_hangup", queued: 0, played: (5 + 3) * 150 * 8 }),
    ]);
  });

  it("transfer: the message is heard first, then the host transfers and its answer comes back", async () => {
    h = harness({ transferOk: false });
    h.session.start();
    const result = h.session.transfer("+15550000", "Connecting you to our billing team.");
    await h.until(() => h.record.transfers.length > 0);
    expect(await result).toBe(false);
    expect(h.record.transfers).toEqual([expect.objectContaining({ destination: "+15550000", queued: 0 })]);
    expect(h.log).toEqual(["assistant: Connecting you to our billing team.", "transfer +15550000"]);
    // A failed transfer leaves the call with the assistant.
    expect(h.record.hangups).toEqual([]);
  });
});
