import { describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyEvent, emptyState, trayView, type CallLike } from "../../main/desktop/desktop-state.js";
import { dialRoute, linkFromArgv, numberFromLink } from "../../main/desktop/dial-link.js";
import { readStartup, startHidden, writeStartup, type LoginItems } from "../../main/desktop/startup.js";
import { trayBitmap } from "../../main/desktop/tray-icon.js";
import { ROOT } from "../helpers/cli.js";

const call = (over: Partial<CallLike>): CallLike => ({
  id: "c1",
  status: "in-progress",
  direction: "inbound",
  agent_id: "a1",
  started_at: "2026-12-03T10:00:00Z",
  end_reason: null,
  caller_phone: "+31612345678",
  ...over,
});

describe("desktop shell: tray and notifications from engine events", () => {
  it("counts live AI calls and drops them when they end", () => {
    const s = emptyState();
    applyEvent(s, { type: "call.updated", call: call({}) });
    applyEvent(s, { type: "call.updated", call: call({ id: "c2", agent_id: null }) }); // a person's call
    expect(s.liveAiCalls.size).toBe(1);
    expect(trayView(s).tooltip).toContain("1 live AI call");
    applyEvent(s, { type: "call.ended", call: call({ status: "ended", end_reason: "user_hangup" }) });
    expect(s.liveAiCalls.size).toBe(0);
  });

  it("a caller who gave up before an answer is a missed call with a notification; an answered call is not", () => {
    const s = emptyState();
    const answered = applyEvent(s, { type: "call.ended", call: call({ status: "ended", end_reason: "user_hangup" }) });
    expect(answered).toEqual([]);
    const notes = applyEvent(s, {
      type: "call.ended",
      call: call({ id: "c3", status: "ended", agent_id: null, started_at: null, end_reason: "no_answer" }),
    });
    expect(notes).toEqual([{ kind: "missed-call", title: "Missed call", body: "+31612345678" }]);
    const declined = applyEvent(s, {
      type: "call.ended",
      call: call({ id: "c4", status: "ended", started_at: null, end_reason: "declined" }),
    });
    expect(declined).toEqual([]);
    expect(trayView(s).tooltip).toContain("1 missed call");
  });

  it("notifies once when a trunk's registration fails, with the reason, and the icon follows the trunks", () => {
    const s = emptyState();
    s.trunks.set("t1", { name: "Main", status: "registered", reason: null });
    s.trunks.set("t2", { name: "Backup", status: "registered", reason: null });
    expect(trayView(s).status).toBe("registered");
    const failed = { status: "failed", reason: "403 Forbidden" };
    const notes = applyEvent(s, { type: "trunk.registration", trunk_id: "t2", registration: failed });
    expect(notes).toEqual([
      { kind: "registration-failed", title: 'Trunk "Backup" is not registered', body: "403 Forbidden" },
    ]);
    const retrying = { status: "registering", reason: null };
    expect(applyEvent(s, { type: "trunk.registration", trunk_id: "t2", registration: retrying })).toEqual([]);
    expect(applyEvent(s, { type: "trunk.registration", trunk_id: "t2", registration: failed })).toEqual([]);
    expect(trayView(s)).toMatchObject({ status: "partly" });
    expect(trayView(s).tooltip).toContain("Backup: failed (403 Forbidden)");
    applyEvent(s, { type: "trunk.registration", trunk_id: "t1", registration: failed });
    expect(trayView(s).status).toBe("failed");
    expect(trayView(emptyState())).toMatchObject({ status: "none" });
  });

  it("draws the tray icon: an opaque dot in the state's colour on transparency", () => {
    const size = 32;
    const px = (buf: Buffer, x: number, y: number) => [...buf.subarray((y * size + x) * 4, (y * size + x) * 4 + 4)];
    const green = trayBitmap("registered", size);
    const red = trayBitmap("failed", size);
    expect(green.length).toBe(size * size * 4);
    expect(px(green, 0, 0)[3]).toBe(0);
    const [b, g, r, a] = px(green, 16, 16);
    expect(a).toBe(255);
    expect(g!).toBeGreaterThan(r!);
    expect(g!).toBeGreaterThan(b!);
    const [, g2, r2] = px(red, 16, 16);
    expect(r2!).toBeGreaterThan(g2!);
  });
});

describe("desktop shell: sip:/tel: links pre-fill the dialler", () => {
  it.each([
    ["tel:+31-20-555-0100", "+31205550100"],
    ["tel:+1%20(555)%20010%200123", "+15550100123"],
    ["tel:0205550100;phone-context=+31", "0205550100"],
    ["sip:+31612345678@pbx.example.com", "+31612345678"],
    ["SIPS:1234@pbx.example.com;transport=tls", "1234"],
    ["sip://+31612345678@host", "+31612345678"],
  ])("%s → %s", (link, number) => {
    expect(numberFromLink(link)).toBe(number);
  });

  it.each([
    "http://example.com",
    "sip:alice@example.com",
    "tel:",
    "tel:%E0%A4%A",
    "tel:+31 6 abc",
    "javascript:alert(1)",
  ])("refuses %s", (link) => {
    expect(numberFromLink(link)).toBeNull();
  });

  it("finds the link among a second instance's arguments and builds the dialler's route", () => {
    expect(linkFromArgv(["/opt/VoiceDock/voicedock", "--no-sandbox", "tel:+3120"])).toBe("tel:+3120");
    expect(linkFromArgv(["/opt/VoiceDock/voicedock"])).toBeNull();
    expect(dialRoute("http://127.0.0.1:8787/#/calls", "+31 20")).toBe("http://127.0.0.1:8787/#/calls?q=%2B31%2020");
  });
});

describe("desktop shell: start at login, start minimised", () => {
  const items = (wasOpenedAsHidden = false) => {
    const calls: unknown[] = [];
    const api: LoginItems = {
      setLoginItemSettings: (s) => calls.push(s),
      getLoginItemSettings: () => ({ openAtLogin: true, wasOpenedAsHidden }),
    };
    return { api, calls };
  };

  it("saves the settings, registers the login item with --hidden, and starts hidden only when asked", () => {
    const dir = mkdtempSync(join(tmpdir(), "startup-"));
    expect(readStartup(dir)).toEqual({ openAtLogin: false, startMinimized: false });
    const { api, calls } = items();
    writeStartup(dir, { openAtLogin: true, startMinimized: true }, api);
    expect(calls).toEqual([{ openAtLogin: true, args: ["--hidden"] }]);
    const saved = readStartup(dir);
    expect(saved).toEqual({ openAtLogin: true, startMinimized: true });
    expect(startHidden(["voicedock", "--hidden"], saved, api)).toBe(true);
    expect(startHidden(["voicedock"], saved, items(true).api)).toBe(true);
    expect(startHidden(["voicedock"], saved, api)).toBe(false);
    expect(startHidden(["voicedock"], { ...saved, startMinimized: false }, items(true).api)).toBe(false);
  });

  it("a damaged settings file falls back to the defaults", () => {
    const dir = mkdtempSync(join(tmpdir(), "startup-"));
    writeFileSync(join(dir, "desktop-startup.json"), "{not json");
    expect(readStartup(dir)).toEqual({ openAtLogin: false, startMinimized: false });
  });
});

describe("desktop shell: packaging", () => {
  // electron-builder's own loader and schema: an unknown option or a wrong type fails here, not on a release.
  const require = createRequire(import.meta.url);
  const { getConfig, validateConfiguration } = require("app-builder-lib/out/util/config/config.js");
  const { DebugLogger } = require("builder-util");

  it("electron-builder.yml is valid and targets AppImage, deb, NSIS and dmg with sip:/tel: links", async () => {
    const config = await getConfig(ROOT, null, null);
    await validateConfiguration(config, new DebugLogger(false));
    expect(config.linux.target).toEqual(["AppImage", "deb"]);
    expect(config.win.target).toEqual(["nsis"]);
    expect(config.mac.target).toEqual(["dmg"]);
    expect(config.protocols[0].schemes).toEqual(["sip", "sips", "tel"]);
    await expect(
      validateConfiguration({ ...config, linux: { ...config.linux, bogus: 1 } }, new DebugLogger(false)),
    ).rejects.toThrow(/Invalid configuration/);
  });
});
