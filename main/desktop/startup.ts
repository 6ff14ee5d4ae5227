/**
 * Start at login and start minimised: a small JSON file beside the engine's data, applied through the
 * operating system's login items. Electron's `app` is passed in so the rules are tested without it.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface StartupSettings {
  openAtLogin: boolean;
  /** Start with the window hidden (only the tray icon). */
  startMinimized: boolean;
}

/** The part of Electron's `app` used here. */
export interface LoginItems {
  setLoginItemSettings(settings: { openAtLogin: boolean; args?: string[] }): void;
  getLoginItemSettings(): { openAtLogin: boolean; wasOpenedAsHidden?: boolean };
}

const FILE = "desktop-startup.json";
const DEFAULTS: StartupSettings = { openAtLogin: false, startMinimized: false };
export const HIDDEN_ARG = "--hidden";

export function readStartup(dir: string): StartupSettings {
  const path = join(dir, FILE);
  if (!existsSync(path)) return { ...DEFAULTS };
  try {
    const raw = JSON.parse(readFileSync(path, "utf8")) as Partial<StartupSettings>;
    return {
      openAtLogin: raw.openAtLogin === true,
      startMinimized: raw.startMinimized === true,
    };
  } catch {
    // A damaged file must not stop the app from starting: the defaults are safe.
    return { ...DEFAULTS };
  }
}

export function writeStartup(dir: string, settings: StartupSettings, items: LoginItems): void {
  writeFileSync(join(dir, FILE), JSON.stringify(settings, null, 2));
  // Linux has no login items in Electron: the .desktop autostart entry is written by the packaged app's
  // installer, so this call is a no-op there (Electron documents it for macOS and Windows).
  items.setLoginItemSettings({ openAtLogin: settings.openAtLogin, args: settings.startMinimized ? [HIDDEN_ARG] : [] });
}

/** Whether this start should keep the window hidden: started at login with the setting, or `--hidden`. */
export function startHidden(argv: readonly string[], settings: StartupSettings, items: LoginItems): boolean {
  if (argv.includes(HIDDEN_ARG)) return true;
  return settings.startMinimized && items.getLoginItemSettings().wasOpenedAsHidden === true;
}
