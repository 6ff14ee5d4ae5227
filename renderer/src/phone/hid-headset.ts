import { reactive, watch } from "vue";
import { runPhoneAction } from "./actions";
import { HidTelephony, telephonyLayout, type HidCollection, type Lights } from "./hid-telephony";

/** The parts of WebHID's HIDDevice used here. */
interface HidDeviceLike {
  opened: boolean;
  productName: string;
  collections: HidCollection[];
  open(): Promise<void>;
  sendReport(reportId: number, data: Uint8Array): Promise<void>;
  addEventListener(type: "inputreport", listener: (e: { reportId: number; data: DataView }) => void): void;
}
interface HidLike {
  requestDevice(o: { filters: { usagePage: number }[] }): Promise<HidDeviceLike[]>;
  getDevices(): Promise<HidDeviceLike[]>;
  addEventListener(type: "disconnect", listener: (e: { device: HidDeviceLike }) => void): void;
}

/** The USB headset this console drives (its buttons act, its lights follow the phone), if any. */
export const hidHeadset = reactive<{ supported: boolean; name: string | null; error: string | null }>({
  supported: false,
  name: null,
  error: null,
});

const TELEPHONY = 0x0b;
let current: HidDeviceLike | null = null;
let lightsNow: () => Lights = () => ({ offHook: false, ring: false, mute: false, hold: false });

const hid = (): HidLike | undefined => (globalThis.navigator as { hid?: HidLike } | undefined)?.hid;

async function attach(device: HidDeviceLike): Promise<void> {
  const phone = new HidTelephony(telephonyLayout(device.collections));
  if (!phone.usable) {
    hidHeadset.error = `${device.productName}: no telephony buttons`;
    return;
  }
  if (!device.opened) await device.open();
  current = device;
  hidHeadset.name = device.productName;
  hidHeadset.error = null;
  device.addEventListener("inputreport", (e) => {
    if (current !== device) return;
    for (const action of phone.input(e.reportId, e.data)) runPhoneAction(action);
  });
  watch(
    lightsNow,
    (lights) => {
      if (current !== device) return;
      for (const r of phone.output(lights)) device.sendReport(r.reportId, r.data).catch(() => undefined); // a light that fails to change is cosmetic
    },
    { immediate: true, deep: true },
  );
}

/**
 * Starts WebHID: a headset allowed before is taken up again at once; `lights` is what its lights show.
 * Browsers without WebHID (Firefox, Safari) keep the Media Session buttons only.
 */
export async function startHidHeadset(lights: () => Lights): Promise<void> {
  const api = hid();
  hidHeadset.supported = Boolean(api);
  if (!api) return;
  lightsNow = lights;
  api.addEventListener("disconnect", (e) => {
    if (e.device !== current) return;
    current = null;
    hidHeadset.name = null;
  });
  const [known] = (await api.getDevices().catch(() => [])).filter((d) =>
    d.collections.some((c) => c.usagePage === TELEPHONY),
  );
  if (known) await attach(known).catch((e: Error) => (hidHeadset.error = e.message));
}

/** Asks the person to pick a headset (needs a click: browsers allow the chooser only from one). */
export async function connectHidHeadset(): Promise<void> {
  const api = hid();
  if (!api) return;
  try {
    const [device] = await api.requestDevice({ filters: [{ usagePage: TELEPHONY }] });
    if (device) await attach(device);
  } catch (e) {
    hidHeadset.error = (e as Error).message;
  }
}
