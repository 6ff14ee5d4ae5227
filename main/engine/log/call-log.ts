import type { EventBus } from "../events/bus.js";
import type { CallRecord } from "../store/calls.js";

/** The logger methods used here (fastify's pino logger has them). */
export interface LineLogger {
  info(msg: string): void;
  warn(msg: string): void;
}

/**
 * One readable line per call event at `info`, so a person watching the log sees what the phone did:
 * created, ringing, answered, ended with its reason, problems, trunk registration changes. Failures are
 * `warn`. Per-frame and per-request detail stays at `debug` elsewhere.
 */
export function logCallEvents(
  bus: EventBus,
  log: LineLogger,
  trunkName: (id: string) => string | undefined,
): () => void {
  // What was last logged per live call, to log changes only (call.updated fires for many reasons).
  const seen = new Map<string, { status: string; ringing: boolean }>();
  const registrations = new Map<string, string>();
  const who = (c: CallRecord) =>
    c.direction === "outbound"
      ? `outbound to ${c.destination ?? c.caller_phone ?? "?"}${c.assistant_phone ? ` from ${c.assistant_phone}` : ""}`
      : `${c.direction} from ${c.caller_phone ?? "unknown"}${c.assistant_phone ? ` to ${c.assistant_phone}` : ""}`;
  return bus.subscribe((e) => {
    switch (e.type) {
      case "call.created":
        seen.set(e.call.id, { status: e.call.status, ringing: Boolean(e.call.ringing_at) });
        log.info(`call ${e.call.id}: ${who(e.call)}${e.call.agent_name ? `, assistant '${e.call.agent_name}'` : ""}`);
        break;
      case "call.incoming":
        log.info(`call ${e.call.id}: ringing the console`);
        break;
      case "call.updated": {
        const before = seen.get(e.call.id);
        if (!before) break;
        if (!before.ringing && e.call.ringing_at) log.info(`call ${e.call.id}: ringing`);
        if (before.status !== "in-progress" && e.call.status === "in-progress") log.info(`call ${e.call.id}: answered`);
        seen.set(e.call.id, { status: e.call.status, ringing: Boolean(e.call.ringing_at) });
        break;
      }
      case "call.ended": {
        seen.delete(e.call.id);
        const c = e.call;
        const after = c.duration_seconds ? ` after ${c.duration_seconds} s` : "";
        if (c.status === "failed")
          log.warn(`call ${c.id}: failed (${c.end_reason ?? "no reason"})${after}: ${c.error ?? "no detail"}`);
        else log.info(`call ${c.id}: ended (${c.end_reason ?? "no reason"})${after}`);
        break;
      }
      case "call.problem":
        log.warn(`call ${e.call_id}: ${e.message}`);
        break;
      case "call.hold":
        log.info(
          `call ${e.call_id}: ${e.on_hold ? "on hold" : "off hold"} (${e.by === "us" ? "by us" : "by the far end"})`,
        );
        break;
      case "call.owner":
        log.info(
          `call ${e.call_id}: ${e.change === "taken_over" ? "taken over by a person" : "handed back to its assistant"}`,
        );
        break;
      case "call.coach":
        log.info(
          `call ${e.call_id}: a console ${e.on ? "coaches the person on it" : `stopped coaching (${e.reason})`}`,
        );
        break;
      case "trunk.registration": {
        const name = trunkName(e.trunk_id) ?? e.trunk_id;
        const r = e.registration;
        // Refreshes re-announce the same state: only changes make a line.
        const key = `${r.status}|${r.reason ?? ""}`;
        if (registrations.get(e.trunk_id) === key) break;
        registrations.set(e.trunk_id, key);
        const line = `trunk '${name}': ${r.status}${r.reason ? ` (${r.reason})` : ""}${r.expires_at ? `, until ${r.expires_at}` : ""}`;
        if (r.status === "failed") log.warn(line);
        else log.info(line);
        break;
      }
      default:
        break;
    }
  });
}
