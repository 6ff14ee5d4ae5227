/**
 * Global hotkeys: answer, hang up, mute, hold, take over and hand back from anywhere on the desktop. They
 * are kept in a small JSON file beside the engine's data (edit it, restart the app); a key another
 * application holds already is reported rather than silently dead. Electron's `globalShortcut` is passed
 * in, so the rules are tested without it.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const HOTKEY_ACTIONS = ["answer", "hangUp", "mute", "hold", "takeOver", "handBack"] as const;
export type HotkeyAction = (typeof HOTKEY_ACTIONS)[number];
/** An Electron accelerator (e.g. "CommandOrControl+Alt+A"), or null for no hotkey. */
export type Hotkeys = Record<HotkeyAction, string | null>;

export const HOTKEYS_FILE = "desktop-hotkeys.json";
export const DEFAULT_HOTKEYS: Hotkeys = {
  answer: "CommandOrControl+Alt+A",
  hangUp: "CommandOrControl+Alt+H",
  mute: "CommandOrControl+Alt+M",
  hold: "CommandOrControl+Alt+P",
  takeOver: "CommandOrControl+Alt+T",
  handBack: "CommandOrControl+Alt+B",
};

/** The part of Electron's `globalShortcut` used here. */
export interface ShortcutsLike {
  register(accelerator: string, callback: () => void): boolean;
  unregisterAll(): void;
}

/** What `dir`'s file says, over the defaults; an entry that is neither a string nor null keeps its default. */
export function readHotkeys(dir: string): Hotkeys {
  const path = join(dir, HOTKEYS_FILE);
  if (!existsSync(path)) return { ...DEFAULT_HOTKEYS };
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  } catch {
    return { ...DEFAULT_HOTKEYS };
  }
  const keys = { ...DEFAULT_HOTKEYS };
  for (const action of HOTKEY_ACTIONS) {
    const v = raw?.[action];
    if (v === null || (typeof v === "string" && v.trim())) keys[action] = v === null ? null : v.trim();
  }
  return keys;
}

/**
 * Registers each hotkey to send its action to the console; returns which could not be registered (another
 * application holds the key, or Electron does not accept it) so the shell can say so.
 */
export function registerHotkeys(
  shortcuts: ShortcutsLike,
  keys: Hotkeys,
  send: (action: HotkeyAction) => void,
): { registered: HotkeyAction[]; failed: { action: HotkeyAction; accelerator: string }[] } {
  shortcuts.unregisterAll();
  const registered: HotkeyAction[] = [];
  const failed: { action: HotkeyAction; accelerator: string }[] = [];
  for (const action of HOTKEY_ACTIONS) {
    const accelerator = keys[action];
    if (!accelerator) continue;
    let ok: boolean;
    try {
      ok = shortcuts.register(accelerator, () => send(action));
    } catch {
      ok = false;
    }
    if (ok) registered.push(action);
    else failed.push({ action, accelerator });
  }
  return { registered, failed };
}
