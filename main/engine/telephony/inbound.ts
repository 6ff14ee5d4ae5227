import { SessionState, type Invitation, type Session } from "sip.js";
import type { Store } from "../store/index.js";
import type { CallManager } from "../calls/call-manager.js";
import type { ControlCommand } from "../calls/control.js";
import { newCallId } from "../util/ids.js";
import { RtpSessionDescriptionHandler, SdpError } from "../sip/rtp-sdh.js";
import { toE164 } from "./numbers.js";
import { ORIGINAL_URI_HEADER, type TrunkConfig } from "../sip/stack.js";
import { ApiError } from "../api/errors.js";

export interface InboundDeps {
  store: Store;
  calls: CallManager;
  onAnswered?: (callId: string, sdh: RtpSessionDescriptionHandler, session: Session) => void;
  /** Runs while the caller hears ringing, before we answer (the `assistant-request` webhook). */
  beforeAnswer?: (callId: string) => Promise<void>;
}

/**
 * Routes an INVITE to a number (Request-URI user, else To user, else the trunk's only number), answers it
 * for the number's assistant, and keeps the call row in step with the SIP session.
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
  const assistant = number.assistant_id ? store.assistants.get(number.assistant_id) : undefined;
  if (!number.is_active || !assistant || !assistant.is_active) {
    // No console rings yet: tell the caller to try later rather than ringing forever.
    await invitation.reject({ statusCode: 480, reasonPhrase: "Temporarily Unavailable" }).catch(() => undefined);
    return;
  }

  const { webhook_secret: _mask, ...resolved } = assistant;
  const secret = store.assistants.webhookSecret(assistant.id);
  const callId = newCallId("inbound");
  calls.create({
    id: callId, status: "connecting", direction: "inbound",
    caller_phone: toE164(request.from.uri.user), assistant_phone: number.phone_number, phone_number: number.phone_number,
    number_id: number.id, agent_id: assistant.id, agent_name: assistant.name, business_name: (assistant.business_name as string | null) ?? null,
    assistant_config: { ...resolved, webhook_secret_enc: secret ? store.box.seal(secret) : null },
  });

  let endedBy: "assistant" | "caller" = "caller";
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
          else throw new ApiError(501, "Not Implemented", `'${command.type}' needs the assistant, and this call runs none (its assistant has no llm_config)`, "not_available");
        },
      });
      deps.onAnswered?.(callId, sdh, invitation);
    } else if (state === SessionState.Terminated) {
      if (media) calls.mergeMetrics(callId, { media: media.rtp.mediaReport() });
      finish("ended", { end_reason: endedBy === "assistant" ? "assistant_hangup" : "user_hangup" });
    }
  });

  try {
    if (deps.beforeAnswer) {
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
