import { reactive, watch } from "vue";

const STORAGE = "voicedock.autoAnswer";

/**
 * Auto-answer belongs to this console (a person with a headset on), not to the engine: calls that ring
 * here are answered after `delayMs`, long enough to hear the ring start.
 */
export const autoAnswer = reactive({ enabled: localStorage.getItem(STORAGE) === "1", delayMs: 1000 });
watch(
  () => autoAnswer.enabled,
  (on) => localStorage.setItem(STORAGE, on ? "1" : "0"),
);

/**
 * The call this console talks on now (null: none): a second call answered meanwhile puts it on hold first
 * (call waiting), and auto-answer leaves a second call to the person.
 */
export const activeLine = reactive<{ callId: string | null; muted: boolean; onHold: boolean }>({
  callId: null,
  muted: false,
  onHold: false,
});
