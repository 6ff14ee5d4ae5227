import { describe, expect, it } from "vitest";
import { LiveCall, type LiveCallDeps } from "../../main/engine/calls/live-call.js";
import type { CallLeg, HoldOutcome } from "../../main/engine/calls/control.js";
import type { CallAudio } from "../../main/engine/media/call-audio.js";

/** A person's call (no assistant config, so no assistant ever starts) on a leg the test describes. */
function personCall(leg: Partial<CallLeg>): LiveCall {
  const deps = { store: { calls: { assistantConfig: () => null } } } as unknown as LiveCallDeps;
  const live = new LiveCall("call-1", deps);
  live.connect({
    audio: {} as CallAudio,
    tap: () => ({}) as CallAudio,
    hangup: async () => undefined,
    transfer: async () => ({ method: "refer", ok: false }),
    sendDtmf: () => true,
    ...leg,
  });
  return live;
}

describe("a person's controls on a live call's leg", () => {
  it("a web call (a leg without a phone line) cannot be held, and says so", async () => {
    await expect(personCall({}).hold(true)).rejects.toMatchObject({
      kind: "conflict",
      code: "no_phone_line",
      message: "Call 'call-1': a web call has no phone line to hold",
    });
  });

  it("a hold still in flight and a refusal are conflicts that say why; an agreed hold resolves", async () => {
    let next: HoldOutcome = {
      ok: false,
      busy: true,
      reason: "a re-INVITE is already waiting for the far end's answer",
    };
    const asked: boolean[] = [];
    const live = personCall({
      hold: async (on) => {
        asked.push(on);
        return next;
      },
    });
    await expect(live.hold(true)).rejects.toMatchObject({ code: "hold_pending", message: /already waiting/ });
    next = { ok: false, reason: "the far end refused (488 Not Acceptable Here)" };
    await expect(live.hold(false)).rejects.toMatchObject({
      code: "hold_refused",
      message: "Call 'call-1' was not taken off hold: the far end refused (488 Not Acceptable Here)",
    });
    next = { ok: true };
    await expect(live.hold(true)).resolves.toBeUndefined();
    expect(asked).toEqual([true, false, true]);
  });

  it("digits to a far end without telephone-event are refused; otherwise they go to the leg as given", () => {
    expect(() => personCall({ sendDtmf: () => false }).sendDtmf("1")).toThrow(/offered no telephone-event/);
    const sent: string[] = [];
    personCall({ sendDtmf: (d) => (sent.push(d), true) }).sendDtmf("123#");
    expect(sent).toEqual(["123#"]);
  });
});
