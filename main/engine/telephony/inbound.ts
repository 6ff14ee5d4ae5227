import type { Store } from "../store/index.js";
import type { CallManager } from "../calls/call-manager.js";
import type { ConsoleRing } from "../calls/console-ring.js";
import { newCallId } from "../util/ids.js";
import { SdpError } from "../sip/rtp-sdh.js";
import type { IncomingCall } from "../sip/call-leg.js";
import type { TrunkConfig } from "../sip/stack.js";
import { toE164 } from "./numbers.js";
import { bindLeg, type BindingDeps } from "./call-binding.js";
import { callHandling, planInbound } from "../calls/call-handling.js";

export interface InboundDeps extends BindingDeps {
  store: Store;
  calls: CallManager;
  /** Rings the open consoles for numbers without an active assistant; `onIncoming` announces such a call. */
  ring?: ConsoleRing;
  onIncoming?: (callId: string) => void;
}

/**
 * Routes an INVITE to a number (Request-URI user, else To user, else the trunk's only number), answers it
 * for the number's assistant (or rings the consoles when it has none), and keeps the call row in step
 * with the SIP session.
 */
export async function handleInvite(deps: InboundDeps, trunk: TrunkConfig, incoming: IncomingCall): Promise<void> {
  const { store, calls } = deps;
  const { requestUser, toUser, fromUser } = incoming.address;
  const candidates = [requestUser, toUser].map(toE164).filter((n): n is string => Boolean(n));
  let number = candidates.map((n) => store.numbers.byPhoneNumber(n)).find(Boolean);
  if (!number && candidates.length === 0) {
    const onTrunk = store.numbers.list().filter((n) => n.sip_trunk_id === trunk.id && n.is_active);
    if (onTrunk.length === 1) number = onTrunk[0];
  }
  if (!number) {
    await incoming.reject(404, "Not Found");
    return;
  }
  const found = number.assistant_id ? store.assistants.get(number.assistant_id) : undefined;
  const own = found?.is_active ? found : undefined;
  if (!number.is_active) {
    await incoming.reject(480, "Temporarily Unavailable");
    return;
  }
  const plan = planInbound(
    callHandling(store),
    own?.id ?? null,
    deps.ring?.ringSeconds ?? 30,
    Boolean(deps.ring?.consoleCount),
  );
  const chosen = plan.assistantId ? store.assistants.get(plan.assistantId) : undefined;
  const assistant = chosen?.is_active ? chosen : undefined;

  const callId = newCallId("inbound");
  const base = {
    id: callId,
    status: "connecting" as const,
    direction: "inbound" as const,
    caller_phone: toE164(fromUser),
    assistant_phone: number.phone_number,
    phone_number: number.phone_number,
    number_id: number.id,
  };
  if (assistant) {
    const { webhook_secret: _mask, ...resolved } = assistant;
    const secret = store.assistants.webhookSecret(assistant.id);
    calls.create({
      ...base,
      agent_id: assistant.id,
      agent_name: assistant.name,
      business_name: (assistant.business_name as string | null) ?? null,
      assistant_config: { ...resolved, webhook_secret_enc: secret ? store.box.seal(secret) : null },
    });
  } else calls.create(base);
  // Do not disturb: a call that would ring a person is refused as busy; its row stays, as a missed call.
  if (plan.busy) {
    calls.transition(callId, "ended", { end_reason: "do_not_disturb" });
    await incoming.reject(486, "Busy Here");
    return;
  }
  // A number without an active assistant is for a person at a console; with none open, nobody can answer:
  // tell the caller to try later rather than ringing forever. The row stays, as a missed call.
  if (!assistant && !deps.ring?.consoleCount) {
    calls.transition(callId, "ended", { end_reason: "unavailable" });
    await incoming.reject(480, "Temporarily Unavailable");
    return;
  }

  /** Set when the call ends before it was answered for a reason of ours (declined, not answered). */
  let unanswered: string | null = null;
  const callerGaveUp = new AbortController();
  const finish = (status: "ended" | "failed", patch: { end_reason: string; error?: string }) => {
    const current = calls.get(callId);
    if (current && current.status !== "ended" && current.status !== "failed") calls.transition(callId, status, patch);
  };
  // Our side hung up: the assistant, or on a call a person took at the console, that person.
  const ours = () => (assistant && calls.liveCall(callId)?.owner !== "person" ? "assistant_hangup" : "operator_hangup");
  incoming.on("ended", () => callerGaveUp.abort());
  bindLeg(deps, callId, incoming, ({ byUs }) =>
    finish("ended", { end_reason: unanswered ?? (byUs ? ours() : "user_hangup") }),
  );

  try {
    const ringFirst = plan.ringSeconds !== null && deps.ring && deps.ring.consoleCount > 0;
    if ((!assistant && deps.ring) || ringFirst) {
      await incoming.ring();
      deps.onIncoming?.(callId);
      const live = calls.liveCall(callId)!;
      const outcome = await live.ring(plan.ringSeconds ?? deps.ring!.ringSeconds, callerGaveUp.signal);
      // Nobody picked up in time: the assistant answers (ring me, then AI).
      const aiTakesIt = outcome === "timeout" && assistant;
      // A person answered a call an assistant could have taken: it is theirs, and they may hand it over.
      if (outcome === "answered" && assistant) live.answerAsPerson();
      if (!aiTakesIt && (outcome === "declined" || outcome === "timeout")) {
        unanswered = outcome === "declined" ? "declined" : "no_answer";
        await (outcome === "declined" ? incoming.reject(603, "Decline") : incoming.reject(480, "No Answer"));
        finish("ended", { end_reason: unanswered });
        return;
      }
      if (!incoming.isRinging) return; // the caller gave up
    } else {
      // While the caller hears ringing: the `assistant-request` webhook may choose the assistant.
      await incoming.ring();
      await calls
        .liveCall(callId)
        ?.askWebhookForAssistant()
        .catch(() => undefined);
      if (!incoming.isRinging) return; // the caller gave up
    }
    await incoming.accept();
  } catch (err) {
    const sdpError = err instanceof SdpError ? err : null;
    finish("failed", {
      end_reason: "sip_error",
      error: sdpError
        ? `Could not agree on audio with the caller: ${sdpError.message}`
        : `Could not answer: ${(err as Error).message}`,
    });
  }
}
