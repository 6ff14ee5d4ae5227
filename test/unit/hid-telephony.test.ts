import { describe, expect, it } from "vitest";
import {
  FLASH,
  HOOK_SWITCH,
  HidTelephony,
  LED_MUTE,
  LED_OFF_HOOK,
  LED_RING,
  PHONE_MUTE,
  telephonyLayout,
  type HidCollection,
} from "../../renderer/src/phone/hid-telephony.js";

/**
 * A USB headset's collections as Chromium's WebHID reports them for a typical descriptor (HID Usage Tables
 * 1.4 §14, Telephony "Headset" collection): input report 2 holds Hook Switch and Phone Mute as 1-bit fields,
 * then Flash, then 5 bits of padding; output report 3 holds the Off-Hook, Ring and Mute LEDs, padded to a
 * byte. Constructed from the tables, not captured from a device (none is attached to these machines). A
 * vendor-defined collection beside it must be ignored.
 */
const headset: HidCollection[] = [
  {
    usagePage: 0x0b,
    usage: 0x05,
    inputReports: [
      {
        reportId: 2,
        items: [
          { usages: [HOOK_SWITCH, PHONE_MUTE], reportSize: 1, reportCount: 2 },
          { usages: [FLASH], reportSize: 1, reportCount: 1 },
          { reportSize: 1, reportCount: 5, isConstant: true },
        ],
      },
    ],
    children: [
      {
        usagePage: 0x08,
        usage: 0x00,
        outputReports: [
          {
            reportId: 3,
            items: [
              { isRange: false, usages: [LED_OFF_HOOK, LED_RING, LED_MUTE], reportSize: 1, reportCount: 3 },
              { reportSize: 1, reportCount: 5, isConstant: true },
            ],
          },
        ],
      },
    ],
  },
  {
    usagePage: 0xff30,
    usage: 0x01,
    inputReports: [{ reportId: 5, items: [{ usages: [0xff300001], reportSize: 8, reportCount: 4 }] }],
  },
];

const report = (...bytes: number[]) => new DataView(new Uint8Array(bytes).buffer);

describe("USB headset over WebHID (telephony usages)", () => {
  it("finds the hook switch, mute and flash in the input report and the lights in the output report", () => {
    const layout = telephonyLayout(headset);
    expect([...layout.inputs.keys()]).toEqual([2]);
    expect(layout.inputs.get(2)).toEqual([
      { usage: HOOK_SWITCH, bitOffset: 0, bitSize: 1 },
      { usage: PHONE_MUTE, bitOffset: 1, bitSize: 1 },
      { usage: FLASH, bitOffset: 2, bitSize: 1 },
    ]);
    expect(layout.outputs.get(3)).toMatchObject({ bytes: 1 });
    expect(new HidTelephony(telephonyLayout([headset[1]!])).usable).toBe(false);
  });

  it("the hook going off answers, back on hangs up; mute and flash act on the press, not on the release", () => {
    const hid = new HidTelephony(telephonyLayout(headset));
    expect(hid.input(2, report(0b001))).toEqual(["answer"]);
    // The same state again (a report for another control) is no press.
    expect(hid.input(2, report(0b011))).toEqual(["mute"]);
    expect(hid.input(2, report(0b001))).toEqual([]);
    expect(hid.input(2, report(0b101))).toEqual(["hold"]);
    expect(hid.input(2, report(0b001))).toEqual([]);
    expect(hid.input(2, report(0b000))).toEqual(["hangUp"]);
    // Another report id (the vendor's) changes nothing.
    expect(hid.input(5, report(1, 2, 3, 4))).toEqual([]);
  });

  it("sets the off-hook, ring and mute lights as one output report", () => {
    const hid = new HidTelephony(telephonyLayout(headset));
    expect(hid.output({ offHook: false, ring: true, mute: false, hold: false })).toEqual([
      { reportId: 3, data: new Uint8Array([0b010]) },
    ]);
    expect(hid.output({ offHook: true, ring: false, mute: true, hold: true })).toEqual([
      { reportId: 3, data: new Uint8Array([0b101]) },
    ]);
  });

  it("a headset that follows the off-hook light answered on screen: its next report agrees with it, and hangs up nothing", () => {
    const hid = new HidTelephony(telephonyLayout(headset));
    hid.output({ offHook: true, ring: false, mute: false, hold: false });
    // The person presses mute: the report carries the hook as the light set it (off-hook) and mute.
    expect(hid.input(2, report(0b011))).toEqual(["answer", "mute"]);
    // Only then does the call button put it on hook: that hangs up.
    expect(hid.input(2, report(0b000))).toEqual(["hangUp"]);
  });
});
