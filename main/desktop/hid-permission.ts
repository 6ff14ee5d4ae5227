/**
 * WebHID in the desktop app: Electron shows no device chooser of its own, so the console's request (which
 * already asks for telephony headsets only) is answered here with the first match, and a headset once
 * chosen stays allowed for the console's own origin, so it works again after a restart. Electron's session
 * is passed in, so this is tested without Electron.
 */
export interface HidSessionLike {
  on(
    event: "select-hid-device",
    listener: (
      event: { preventDefault(): void },
      details: { deviceList: { deviceId: string }[] },
      callback: (deviceId?: string | null) => void,
    ) => void,
  ): unknown;
  setDevicePermissionHandler(handler: (details: { deviceType: string; origin: string }) => boolean): void;
}

export function allowHeadsets(session: HidSessionLike, consoleOrigin: () => string | null): void {
  session.on("select-hid-device", (event, details, callback) => {
    event.preventDefault();
    callback(details.deviceList[0]?.deviceId ?? null);
  });
  session.setDevicePermissionHandler((d) => d.deviceType === "hid" && d.origin === consoleOrigin());
}
