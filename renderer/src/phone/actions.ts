/** What a hotkey or a headset button can do to the call in front of the person. */
export const PHONE_ACTIONS = ["answer", "hangUp", "mute", "hold", "takeOver", "handBack"] as const;
export type PhoneAction = (typeof PHONE_ACTIONS)[number];

/** Does the action if it applies now and says so (false: not now, e.g. no call ringing). */
type Handler = () => boolean;
const handlers = new Map<PhoneAction, Handler[]>();

/**
 * The parts of the console that can act register their handlers (the call page: hang up, mute…; the ringing
 * banner: answer); the newest that applies now acts.
 */
export function onPhoneAction(action: PhoneAction, handler: Handler): () => void {
  const list = handlers.get(action) ?? [];
  list.push(handler);
  handlers.set(action, list);
  return () => {
    const i = list.indexOf(handler);
    if (i >= 0) list.splice(i, 1);
  };
}

/** Runs an action; false when nothing on screen can do it now (a hotkey pressed with no call up). */
export function runPhoneAction(action: PhoneAction): boolean {
  const list = handlers.get(action) ?? [];
  for (let i = list.length - 1; i >= 0; i--) if (list[i]()) return true;
  return false;
}
