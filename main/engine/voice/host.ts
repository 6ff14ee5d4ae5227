import type { ToolSpec } from "./tools.js";
import type { TurnMetrics } from "./metrics.js";
import type { AmdReport } from "./amd/voicemail.js";

export type { AmdReport } from "./amd/voicemail.js";
export type EndReason = "assistant_hangup" | "max_duration" | "silence_timeout" | "voicemail";

/** The call around the voice session: storage, hang-up, transfer, webhooks. Implemented in calls/. */
export interface PipelineHost {
  message(role: "user" | "assistant" | "system", content: string): void;
  /**
   * The caller's turn so far, while it is not yet a `message` (display only; "" takes it back): the words
   * of its finished stretches and what the streaming recognizer has of the one in progress.
   */
  partial?(text: string): void;
  hangup(reason: EndReason): void;
  /** Ends the call as failed with a reason a person can read (after the session said goodbye). */
  fail(error: string): void;
  transfer(destination: string): Promise<boolean>;
  /** Runs a custom tool through its webhook; resolves with the text the model gets back. */
  toolCall(
    call: { id: string; name: string; arguments: Record<string, unknown> },
    tool: Extract<ToolSpec, { kind: "webhook" }>,
  ): Promise<string>;
  sendDtmf(digits: string): boolean;
  /** Puts the other party's number on the do-not-call list; returns it, or null when the call has none. */
  doNotCall(reason: string | null): string | null;
  turnMetrics(m: TurnMetrics): void;
  /** A provider fault or another problem worth a line in the call's event log. */
  problem(message: string): void;
  interruption(heard: string): void;
  /** Voicemail detection's result (outbound calls with `voicemail_detection`), again once a message was left. */
  amd(report: AmdReport): void;
}
