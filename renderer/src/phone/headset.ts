import { runPhoneAction, type PhoneAction } from "./actions";

/** The little of the Media Session API this needs (a test passes its own). */
export interface MediaSessionLike {
  setActionHandler(action: string, handler: (() => void) | null): void;
}

/**
 * Headset and keyboard media keys through the Media Session API: the call button (play/pause) answers a
 * ringing call and otherwise hangs up; the headset's hang-up and microphone buttons do what they say.
 * Chromium routes these only while the page plays audio, which it does whenever it rings or is on a call.
 */
export function bindHeadset(
  session: MediaSessionLike | undefined,
  run: (a: PhoneAction) => boolean = runPhoneAction,
): () => void {
  if (!session) return () => undefined;
  const callButton = () => {
    if (!run("answer")) run("hangUp");
  };
  const bindings: [string, () => void][] = [
    ["play", callButton],
    ["pause", callButton],
    ["hangup", () => run("hangUp")],
    ["togglemicrophone", () => run("mute")],
  ];
  for (const [action, handler] of bindings) {
    try {
      session.setActionHandler(action, handler);
    } catch {
      // A browser that does not know this action (older ones lack hangup/togglemicrophone): skipped.
    }
  }
  return () => {
    for (const [action] of bindings) {
      try {
        session.setActionHandler(action, null);
      } catch {
        // As above.
      }
    }
  };
}
