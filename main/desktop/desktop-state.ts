/**
 * What the desktop shell shows outside the window (tray, notifications), folded from the engine's events.
 * Pure: the Electron side only renders what this returns, so the rules are unit-tested without Electron.
 */
import { isMissedCall, type CallDirection } from "../engine/domain/call.js";

export interface TrunkView {
  name: string;
  status: string;
  reason: string | null;
  /** A failure was notified; cleared when the trunk registers again. */
  alerted?: boolean;
}

export interface DesktopState {
  trunks: Map<string, TrunkView>;
  /** Calls in progress that an assistant is speaking on (the tray's "live AI calls"). */
  liveAiCalls: Set<string>;
  /** Missed calls since the user last opened the window. */
  missed: number;
  /** Calls ringing the consoles now (each has its popup). */
  ringing: Set<string>;
}

/** The part of a Call object the shell reads. */
export interface CallLike {
  id: string;
  status: string;
  direction: string;
  agent_id: string | null;
  started_at: string | null;
  end_reason: string | null;
  caller_phone: string | null;
}

export type DesktopEvent =
  | { type: "trunk.registration"; trunk_id: string; registration: { status: string; reason: string | null } }
  | { type: "call.created" | "call.updated" | "call.incoming" | "call.ended"; call: CallLike }
  | { type: string };

export interface DesktopNote {
  kind: "missed-call" | "registration-failed" | "incoming-call";
  title: string;
  body: string;
}

export function emptyState(): DesktopState {
  return { trunks: new Map(), liveAiCalls: new Set(), missed: 0, ringing: new Set() };
}

// A missed call the person did not decline themselves: one they would want to hear about.
const notifiesMissed = (call: CallLike): boolean =>
  isMissedCall({ ...call, direction: call.direction as CallDirection }) && call.end_reason !== "declined";

function isLiveAi(call: CallLike): boolean {
  return call.status === "in-progress" && call.agent_id !== null;
}

/**
 * Sets a trunk's registration. Its first failure calls for a notification; the retries that follow
 * (registering → failed again) do not, until the trunk has been registered once more.
 */
export function setTrunk(state: DesktopState, id: string, next: TrunkView): DesktopNote[] {
  const alerted = next.status === "registered" ? false : (state.trunks.get(id)?.alerted ?? false);
  const notify = next.status === "failed" && !alerted;
  state.trunks.set(id, { ...next, alerted: alerted || notify });
  return notify
    ? [{ kind: "registration-failed", title: `Trunk "${next.name}" is not registered`, body: next.reason ?? "" }]
    : [];
}

/** Folds one engine event into the state; returns the notifications it calls for. */
export function applyEvent(state: DesktopState, event: DesktopEvent): DesktopNote[] {
  if (event.type === "trunk.registration" && "trunk_id" in event) {
    const name = state.trunks.get(event.trunk_id)?.name ?? event.trunk_id;
    const { status, reason } = event.registration;
    return setTrunk(state, event.trunk_id, { name, status, reason });
  }
  if (!("call" in event)) return [];
  const call = event.call;
  if (isLiveAi(call)) state.liveAiCalls.add(call.id);
  else state.liveAiCalls.delete(call.id);
  // It rings from `call.incoming` until anything else happens to it (answered, declined, given up, ended).
  if (event.type === "call.incoming" && call.status === "connecting") {
    state.ringing.add(call.id);
    return [{ kind: "incoming-call", title: "Incoming call", body: call.caller_phone ?? "Unknown caller" }];
  }
  if (call.status !== "connecting") state.ringing.delete(call.id);
  if (event.type === "call.ended" && notifiesMissed(call)) {
    state.missed += 1;
    return [{ kind: "missed-call", title: "Missed call", body: call.caller_phone ?? "Unknown caller" }];
  }
  return [];
}

export type TrayStatus = "registered" | "partly" | "failed" | "none";

export interface TrayView {
  status: TrayStatus;
  tooltip: string;
}

/** The tray icon's state and its tooltip lines: registration, live AI calls, missed calls. */
export function trayView(state: DesktopState): TrayView {
  const trunks = [...state.trunks.values()];
  const ok = trunks.filter((t) => t.status === "registered").length;
  const status: TrayStatus =
    trunks.length === 0 ? "none" : ok === trunks.length ? "registered" : ok === 0 ? "failed" : "partly";
  const lines = ["VoiceDock"];
  if (trunks.length === 0) lines.push("No SIP trunk");
  for (const t of trunks)
    lines.push(`${t.name}: ${t.status}${t.status === "failed" && t.reason ? ` (${t.reason})` : ""}`);
  const live = state.liveAiCalls.size;
  lines.push(live === 1 ? "1 live AI call" : `${live} live AI calls`);
  if (state.missed > 0) lines.push(state.missed === 1 ? "1 missed call" : `${state.missed} missed calls`);
  return { status, tooltip: lines.join("\n") };
}
