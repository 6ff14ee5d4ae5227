import { describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IncomingPopups, type PopupLike } from "../../main/desktop/incoming-popup.js";
import { allowHeadsets, type HidSessionLike } from "../../main/desktop/hid-permission.js";
import {
  DEFAULT_HOTKEYS,
  HOTKEYS_FILE,
  readHotkeys,
  registerHotkeys,
  type ShortcutsLike,
} from "../../main/desktop/hotkeys.js";
import { applyEvent, emptyState, type CallLike } from "../../main/desktop/desktop-state.js";
import { bindHeadset } from "../../renderer/src/phone/headset.js";
import { onPhoneAction, runPhoneAction } from "../../renderer/src/phone/actions.js";

const call = (over: Partial<CallLike>): CallLike => ({
  id: "c1",
  status: "connecting",
  direction: "inbound",
  agent_id: null,
  started_at: null,
  end_reason: null,
  caller_phone: "+31612345678",
  ...over,
});

/** A popup window as Electron's would be driven: what was done to it, in order. */
function fakePopups() {
  const made: { id: string; log: string[]; destroyed: boolean }[] = [];
  const popups = new IncomingPopups((id) => {
    const w = { id, log: [] as string[], destroyed: false };
    made.push(w);
    const popup: PopupLike = {
      showInactive: () => w.log.push("showInactive"),
      close: () => {
        w.log.push("close");
        w.destroyed = true;
      },
      isDestroyed: () => w.destroyed,
    };
    return popup;
  });
  return { popups, made };
}

describe("desktop: the incoming-call popup", () => {
  it("opens without focus when a call rings, lives while it rings, closes when it is answered or ends; an OS notification goes with it", () => {
    const state = emptyState();
    const { popups, made } = fakePopups();
    const notes = applyEvent(state, { type: "call.incoming", call: call({}) });
    expect(notes).toEqual([{ kind: "incoming-call", title: "Incoming call", body: "+31612345678" }]);
    popups.sync(state.ringing);
    expect(made.map((w) => [w.id, w.log])).toEqual([["c1", ["showInactive"]]]);
    // Updates while it still rings change nothing; a second call gets its own popup.
    applyEvent(state, { type: "call.updated", call: call({}) });
    applyEvent(state, { type: "call.incoming", call: call({ id: "c2" }) });
    popups.sync(state.ringing);
    expect(popups.count).toBe(2);
    // Answered: c1's popup closes; c2 ends unanswered: its popup closes too.
    applyEvent(state, {
      type: "call.updated",
      call: call({ status: "in-progress", started_at: "2026-12-04T10:00:00Z" }),
    });
    popups.sync(state.ringing);
    expect(made[0].log).toEqual(["showInactive", "close"]);
    applyEvent(state, { type: "call.ended", call: call({ id: "c2", status: "ended", end_reason: "user_hangup" }) });
    popups.sync(state.ringing);
    expect(made[1].log).toEqual(["showInactive", "close"]);
    expect(popups.count).toBe(0);
    // Nowhere is focus taken: no popup was ever shown any other way.
    expect(made.flatMap((w) => w.log).filter((l) => l !== "showInactive" && l !== "close")).toEqual([]);
  });

  it("a popup the person closed by hand is forgotten, and not reopened for the same ringing", () => {
    const state = emptyState();
    const { popups, made } = fakePopups();
    applyEvent(state, { type: "call.incoming", call: call({}) });
    popups.sync(state.ringing);
    made[0].destroyed = true;
    popups.sync(new Set());
    expect(made[0].log).toEqual(["showInactive"]);
    expect(popups.count).toBe(0);
  });
});

describe("desktop: global hotkeys", () => {
  const shortcuts = (taken: string[] = []) => {
    const registered = new Map<string, () => void>();
    const s: ShortcutsLike & { registered: Map<string, () => void> } = {
      registered,
      register: (accel, cb) => {
        if (taken.includes(accel)) return false;
        if (accel === "Nonsense+") throw new Error("invalid accelerator");
        registered.set(accel, cb);
        return true;
      },
      unregisterAll: () => registered.clear(),
    };
    return s;
  };

  it("defaults without a file; the file's entries replace them, null turns one off, bad entries keep the default", () => {
    const dir = mkdtempSync(join(tmpdir(), "hotkeys-"));
    expect(readHotkeys(dir)).toEqual(DEFAULT_HOTKEYS);
    writeFileSync(join(dir, HOTKEYS_FILE), JSON.stringify({ answer: "F9", mute: null, hold: 42 }));
    expect(readHotkeys(dir)).toEqual({ ...DEFAULT_HOTKEYS, answer: "F9", mute: null });
    writeFileSync(join(dir, HOTKEYS_FILE), "{ not json");
    expect(readHotkeys(dir)).toEqual(DEFAULT_HOTKEYS);
  });

  it("each key sends its action to the console; keys held by other applications (or invalid) are reported", () => {
    const s = shortcuts(["CommandOrControl+Alt+H"]);
    const sent: string[] = [];
    const result = registerHotkeys(s, { ...DEFAULT_HOTKEYS, mute: null, hold: "Nonsense+" }, (a) => sent.push(a));
    expect(result.registered).toEqual(["answer", "takeOver", "handBack"]);
    expect(result.failed).toEqual([
      { action: "hangUp", accelerator: "CommandOrControl+Alt+H" },
      { action: "hold", accelerator: "Nonsense+" },
    ]);
    s.registered.get("CommandOrControl+Alt+A")!();
    s.registered.get("CommandOrControl+Alt+B")!();
    expect(sent).toEqual(["answer", "handBack"]);
  });
});

describe("console: headset buttons and phone actions", () => {
  function fakeSession() {
    const handlers = new Map<string, (() => void) | null>();
    return {
      handlers,
      setActionHandler: (a: string, h: (() => void) | null) => {
        if (a === "togglemicrophone" && h === undefined) throw new Error("unknown");
        handlers.set(a, h);
      },
    };
  }

  it("the call button answers a ringing call, else hangs up; hang-up and microphone buttons do what they say", () => {
    const session = fakeSession();
    const ran: string[] = [];
    let ringing = true;
    const unbind = bindHeadset(session, (a) => {
      if (a === "answer" && !ringing) return false;
      ran.push(a);
      return true;
    });
    session.handlers.get("play")?.();
    ringing = false;
    session.handlers.get("pause")?.();
    session.handlers.get("hangup")?.();
    session.handlers.get("togglemicrophone")?.();
    expect(ran).toEqual(["answer", "hangUp", "hangUp", "mute"]);
    unbind();
    expect([...session.handlers.values()].every((h) => h === null)).toBe(true);
  });

  it("the newest part of the console that can act does; nothing acting is reported", () => {
    expect(runPhoneAction("hold")).toBe(false);
    const done: string[] = [];
    const offBanner = onPhoneAction("hold", () => false);
    const offPage = onPhoneAction("hold", () => (done.push("page"), true));
    expect(runPhoneAction("hold")).toBe(true);
    offPage();
    expect(runPhoneAction("hold")).toBe(false);
    offBanner();
    expect(done).toEqual(["page"]);
  });
});

describe("desktop: USB headsets over WebHID", () => {
  it("answers the console's device request with the first telephony headset, and allows HID only to the console's origin", () => {
    let select: Parameters<HidSessionLike["on"]>[1] | null = null;
    let permission: ((d: { deviceType: string; origin: string }) => boolean) | null = null;
    allowHeadsets(
      {
        on: (_event, listener) => (select = listener),
        setDevicePermissionHandler: (h) => (permission = h),
      },
      () => "http://127.0.0.1:8765",
    );
    const chosen: (string | null | undefined)[] = [];
    let prevented = false;
    const event = { preventDefault: () => (prevented = true) };
    select!(event, { deviceList: [{ deviceId: "jabra-1" }, { deviceId: "poly-2" }] }, (id) => chosen.push(id));
    select!(event, { deviceList: [] }, (id) => chosen.push(id));
    expect(prevented).toBe(true);
    expect(chosen).toEqual(["jabra-1", null]);
    expect(permission!({ deviceType: "hid", origin: "http://127.0.0.1:8765" })).toBe(true);
    expect(permission!({ deviceType: "hid", origin: "https://elsewhere.example" })).toBe(false);
    expect(permission!({ deviceType: "usb", origin: "http://127.0.0.1:8765" })).toBe(false);
  });
});
