// USB headset buttons and lights through WebHID, by the HID Usage Tables (Telephony page 0x0B, LED page
// 0x08): where each control sits in the device's reports is read from the collections the browser parsed
// from its report descriptor, so no vendor's layout is written in here. Unit-tested in
// test/unit/hid-telephony.test.ts; the navigator.hid glue is in hid-headset.ts.
import type { PhoneAction } from "./actions";

/** The parts of WebHID's HIDReportItem / HIDReportInfo / HIDCollectionInfo that the layout needs. */
export interface HidItem {
  usages?: number[];
  isRange?: boolean;
  usageMinimum?: number;
  usageMaximum?: number;
  reportSize: number;
  reportCount: number;
  isConstant?: boolean;
}
export interface HidReport {
  reportId: number;
  items?: HidItem[];
}
export interface HidCollection {
  usagePage: number;
  usage: number;
  inputReports?: HidReport[];
  outputReports?: HidReport[];
  children?: HidCollection[];
}

const usage = (page: number, id: number) => ((page << 16) | id) >>> 0;
export const HOOK_SWITCH = usage(0x0b, 0x20);
export const FLASH = usage(0x0b, 0x21);
export const PHONE_MUTE = usage(0x0b, 0x2f);
export const LED_MUTE = usage(0x08, 0x09);
export const LED_OFF_HOOK = usage(0x08, 0x17);
export const LED_RING = usage(0x08, 0x18);
export const LED_HOLD = usage(0x08, 0x20);
const WANTED_IN = new Set([HOOK_SWITCH, FLASH, PHONE_MUTE]);
const WANTED_OUT = new Set([LED_MUTE, LED_OFF_HOOK, LED_RING, LED_HOLD]);

/** Where one usage sits in a report, in bits from the start of the report's data (after its id). */
interface Field {
  usage: number;
  bitOffset: number;
  bitSize: number;
}
export interface TelephonyLayout {
  inputs: Map<number, Field[]>;
  outputs: Map<number, { bytes: number; fields: Field[] }>;
}

/** The usage of each field an item declares: listed ones in order (the last repeats), or a range. */
function itemUsages(item: HidItem): number[] {
  if (item.isRange && item.usageMinimum !== undefined && item.usageMaximum !== undefined) {
    const out: number[] = [];
    for (let u = item.usageMinimum; u <= item.usageMaximum && out.length < item.reportCount; u++) out.push(u);
    return out;
  }
  return item.usages ?? [];
}

function fieldsOf(report: HidReport, wanted: Set<number>): { fields: Field[]; bits: number } {
  const fields: Field[] = [];
  let bit = 0;
  for (const item of report.items ?? []) {
    const usages = itemUsages(item);
    for (let i = 0; i < item.reportCount; i++, bit += item.reportSize) {
      if (item.isConstant || !usages.length) continue; // padding
      const u = usages[Math.min(i, usages.length - 1)]!;
      if (wanted.has(u)) fields.push({ usage: u, bitOffset: bit, bitSize: item.reportSize });
    }
  }
  return { fields, bits: bit };
}

/** The telephony controls and lights of a device, from every collection (headsets nest them). */
export function telephonyLayout(collections: readonly HidCollection[]): TelephonyLayout {
  const layout: TelephonyLayout = { inputs: new Map(), outputs: new Map() };
  const walk = (c: HidCollection) => {
    for (const r of c.inputReports ?? []) {
      const { fields } = fieldsOf(r, WANTED_IN);
      if (fields.length) layout.inputs.set(r.reportId, [...(layout.inputs.get(r.reportId) ?? []), ...fields]);
    }
    for (const r of c.outputReports ?? []) {
      const { fields, bits } = fieldsOf(r, WANTED_OUT);
      if (fields.length) layout.outputs.set(r.reportId, { bytes: Math.ceil(bits / 8), fields });
    }
    c.children?.forEach(walk);
  };
  collections.forEach(walk);
  return layout;
}

function readBits(data: DataView, bitOffset: number, bitSize: number): number {
  let v = 0;
  for (let i = 0; i < bitSize; i++) {
    const b = bitOffset + i;
    if (b >> 3 >= data.byteLength) break;
    if ((data.getUint8(b >> 3) >> (b & 7)) & 1) v |= 1 << i;
  }
  return v;
}

export interface Lights {
  offHook: boolean;
  ring: boolean;
  mute: boolean;
  hold: boolean;
}

/**
 * One headset's state: input reports become phone actions on their edges, and the console's state becomes
 * output reports for its lights. The hook switch is a state, not a press: going off-hook answers a ringing
 * call, going on-hook hangs up. Edges are against the device's own previous report, never against the light
 * we set: many headsets take the host's off-hook light as their hook state, so their next report (a mute
 * press) "goes off-hook" merely to agree with a call answered on screen — with no call ringing that does
 * nothing, where counting it as a press would hang up.
 */
export class HidTelephony {
  private readonly last = new Map<number, number>();

  constructor(readonly layout: TelephonyLayout) {}

  get usable(): boolean {
    return this.layout.inputs.size > 0;
  }

  /** The actions one input report asks for (most reports change nothing: they repeat the state). */
  input(reportId: number, data: DataView): PhoneAction[] {
    const actions: PhoneAction[] = [];
    for (const f of this.layout.inputs.get(reportId) ?? []) {
      const value = readBits(data, f.bitOffset, f.bitSize);
      const before = this.last.get(f.usage) ?? 0;
      this.last.set(f.usage, value);
      if (value === before) continue;
      if (f.usage === HOOK_SWITCH) actions.push(value ? "answer" : "hangUp");
      else if (value && f.usage === PHONE_MUTE) actions.push("mute");
      else if (value && f.usage === FLASH) actions.push("hold");
    }
    return actions;
  }

  /** Output reports that show `lights` (the off-hook light also tells the device the call was answered). */
  output(lights: Lights): { reportId: number; data: Uint8Array }[] {
    const on = new Map([
      [LED_OFF_HOOK, lights.offHook],
      [LED_RING, lights.ring],
      [LED_MUTE, lights.mute],
      [LED_HOLD, lights.hold],
    ]);
    const out: { reportId: number; data: Uint8Array }[] = [];
    for (const [reportId, { bytes, fields }] of this.layout.outputs) {
      const data = new Uint8Array(bytes);
      for (const f of fields) if (on.get(f.usage)) data[f.bitOffset >> 3]! |= 1 << (f.bitOffset & 7);
      out.push({ reportId, data });
    }
    return out;
  }
}
