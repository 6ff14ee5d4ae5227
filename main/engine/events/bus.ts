import { EventEmitter } from "node:events";
import type { CallMessage, CallRecord } from "../store/calls.js";
import type {
  CallCoachEvent,
  CallHoldEvent,
  CallMessageOrigin,
  CallOwnerEvent,
  CallPartialEvent,
  CallTurnEvent,
} from "../domain/call.js";

/**
 * Every event the engine publishes, as one discriminated union. The events WebSocket, the console and
 * (later) notifications all consume this one stream. Add new kinds here, never ad-hoc emitters.
 */
export type EngineEvent =
  | { type: "call.created"; call: CallRecord }
  /** An inbound call rings the consoles: a person may answer or decline it (POST /calls/{id}/answer|decline). */
  | { type: "call.incoming"; call: CallRecord }
  | { type: "call.updated"; call: CallRecord }
  | { type: "call.ended"; call: CallRecord }
  /**
   * `speaker: "operator"` (local addition): a person at the console said this line, stored as the business's side.
   * `origin: "say"` (local addition): the assistant spoke a line a control `say` scripted, not one of its own.
   * `turn` (local addition, on the caller's and a person's lines): the `call.partial`s this line supersedes.
   */
  | {
      type: "call.message";
      call_id: string;
      message: CallMessage;
      speaker?: "operator";
      origin?: CallMessageOrigin;
      turn?: number;
    }
  | { type: "call.dtmf"; call_id: string; digit: string; via: "rfc4733" | "sip-info" }
  | CallHoldEvent
  | CallOwnerEvent
  | CallCoachEvent
  | CallTurnEvent
  | CallPartialEvent
  /** Something went wrong on a call that did not end it (a provider failure, a refused webhook answer…). */
  | { type: "call.problem"; call_id: string; message: string }
  | {
      type: "trunk.registration";
      trunk_id: string;
      registration: { status: string; reason: string | null; expires_at: string | null };
    }
  | {
      type: "webhook.delivery";
      delivery_id: string;
      call_id: string | null;
      event: string;
      status: string;
      attempts: number;
      status_code: number | null;
      error: string | null;
    }
  | {
      type: "model.download";
      model_id: string;
      state: "downloading" | "verifying" | "installed" | "failed" | "cancelled";
      received_bytes: number;
      total_bytes: number | null;
      error: string | null;
    };

export type EngineEventType = EngineEvent["type"];
type Stamped = EngineEvent & { at: string };

export class EventBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    // One listener per open WebSocket: many consoles/tools may subscribe.
    this.emitter.setMaxListeners(0);
  }

  publish(event: EngineEvent): void {
    this.emitter.emit("event", { ...event, at: new Date().toISOString() } satisfies Stamped);
  }

  /** Returns the unsubscribe function. */
  subscribe(listener: (event: Stamped) => void): () => void {
    this.emitter.on("event", listener);
    return () => this.emitter.off("event", listener);
  }
}
