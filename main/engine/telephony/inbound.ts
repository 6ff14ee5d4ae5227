import { SessionState, type Invitation, type Session } from "sip.js";
import type { Store } from "../store/index.js";
import type { CallManager } from "../calls/call-manager.js";
import type { ControlCommand } from "../calls/control.js";
import { newCallId } from "../util/ids.js";
import { RtpSessionDescriptionHandler, SdpError } from "../sip/rtp-sdh.js";
import { toE164 } from "./numbers.js";
import { ORIGINAL_URI_HEADER, type TrunkConfig } from "../sip/stack.js";
import { notImplemented } from "../errors.js";
import type { ConsoleRing } from "../calls/console-ring.js";

export interface InboundDeps {
  store: Store;
  calls: CallManager;
  onAnswered?: (callId: string, sdh: RtpSessionDescriptionHandler, session: Session) => void;
  /** Runs while the caller hears ringing, before we answer (the `assistant-request` webhook). */
  beforeAnswer?: (callId: string) => Promise<void>;
  /** Rings the open consoles for numbers without an active assistant; `onIncoming` announces such a call. */
  ring?: ConsoleRing;
  onIncoming?: (callId: string) => void;
}

/**
 * Routes an INVITE to a number (Request-URI user, else To user, else the trunk's only number), answers it
 * for the number's assistant (or rings the consoles when it has none), and keeps the call row in step
 * with the SIP session.
 */
export async function handleInvite(deps: InboundDeps, trunk: TrunkConfig, invitation: Invitation): Promise<void> {
  const { store, calls } = deps;
  const request = invitation.request;
  const original = /^sips?:([^@;>\s]+)@/i.exec(request.getHeader(ORIGINAL_URI_HEADER) ?? "")?.[1];
  const candidates = [original ?? request.ruri?.user, request.to.uri.user].map(toE164).filter((n): n is string => Boolean(n));
  let number = candidates.map((n) => store.numbers.byPhoneNumber(n)).find(Boolean);
  if (!number && candidates.length === 0) {
    const onTrunk = store.numbers.list().filter((n) => n.sip_trunk_id === trunk.id && n.is_active);
    if (onTrunk.length === 1) number = onTrunk[0];
  }
  if (!number) {
    await invitation.reject({ statusCode: 404, reasonPhrase: "Not Found" }).catch(() => undefined);
    return;
  }
  const found = number.assistant_id ? store.assistants.get(number.assistant_id) : undefined;
  const assistant = found?.is_active ? found : undefined;
  // A number without an active assistant is for a person at a console; with none open, nobody can answer:
  // tell the caller to try later rather than ringing forever.
  if (!number.is_active || (!assistant && !deps.ring?.consoleCount)) {
    await invitation.reject({ statusCode: 480, reasonPhrase: "Temporarily Unavailable" }).catch(() => undefined);
    return;
  }

  const callId = newCallId("inbound");
  const base = { id: callId, status: "connecting" as const, direction: "inbound" as const,
    caller_phone: toE164(request.from.uri.user), assistant_phone: number.phone_number, phone_number: number.phone_number, number_id: number.id };
  if (assistant) {
    const { webhook_secret: _mask, ...resolved } = assistant;
    const secret = store.assistants.webhookSecret(assistant.id);
    calls.create({ ...base, agent_id: assistant.id, agent_name: assistant.name, business_name: (assistant.business_name as string | null) ?? null,
      assistant_config: { ...resolved, webhook_secret_enc: secret ? store.box.seal(secret) : null } });
  } else calls.create(base);

  let endedBy: "assistant" | "caller" = "caller";
  /** Set when the call ends before it was answered for a reason of ours (declined, not answered). */
  let unanswered: string | null = null;
  const callerGaveUp = new AbortController();
  let media: RtpSessionDescriptionHandler | null = null;
  const finish = (status: "ended" | "failed", patch: { end_reason: string; error?: string }) => {
    const current = calls.get(callId);
    if (current && current.status !== "ended" && current.status !== "failed") calls.transition(callId, status, patch);
  };

  invitation.stateChange.addListener((state) => {
    if (state === SessionState.Established) {
      calls.transition(callId, "in-progress");
      const sdh = invitation.sessionDescriptionHandler as RtpSessionDescriptionHandler;
      media = sdh;
      calls.attach(callId, {
        control: async (command: ControlCommand) => {
          if (command.type === "end-call") { endedBy = "assistant"; await invitation.bye(); }
          else throw notImplemented(assistant
            ? `'${command.type}' needs the assistant, and this call runs none (its assistant has no llm_config)`
            : `'${command.type}' needs an assistant, and a person handles this call`);
        },
      });
      deps.onAnswered?.(callId, sdh, invitation);
    } else if (state === SessionState.Terminated) {
      callerGaveUp.abort();
      if (media) calls.mergeMetrics(callId, { media: media.rtp.mediaReport() });
      // Our side hung up: the assistant, or on a call a person took at the console, that person.
      const ours = assistant ? "assistant_hangup" : "operator_hangup";
      finish("ended", { end_reason: unanswered ?? (endedBy === "assistant" ? ours : "user_hangup") });
    }
  });

  try {
    if (!assistant && deps.ring) {
      await invitation.progress().catch(() => undefined);
      deps.onIncoming?.(callId);
      const outcome = await deps.ring.ring(callId, callerGaveUp.signal);
      if (outcome === "declined" || outcome === "timeout") {
        unanswered = outcome === "declined" ? "declined" : "no_answer";
        await invitation.reject(outcome === "declined" ? { statusCode: 603, reasonPhrase: "Decline" } : { statusCode: 480, reasonPhrase: "No Answer" }).catch(() => undefined);
        finish("ended", { end_reason: unanswered });
        return;
      }
      if (invitation.state !== SessionState.Initial && invitation.state !== SessionState.Establishing) return; // the caller gave up
    } else if (deps.beforeAnswer) {
      await invitation.progress().catch(() => undefined);
      await deps.beforeAnswer(callId).catch(() => undefined);
      if (invitation.state !== SessionState.Initial && invitation.state !== SessionState.Establishing) return; // the caller gave up
    }
    await invitation.accept();
  } catch (err) {
    const sdpError = err instanceof SdpError ? err : null;
    if (sdpError) await invitation.reject({ statusCode: sdpError.statusCode, reasonPhrase: "Not Acceptable Here" }).catch(() => undefined);
    finish("failed", { end_reason: "sip_error", error: sdpError ? `Could not agree on audio with the caller: ${sdpError.message}` : `Could not answer: ${(err as Error).message}` });
  }
}
