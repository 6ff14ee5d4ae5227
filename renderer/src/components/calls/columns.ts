import type { Call } from "../../api/types";
import { formatDuration, formatTime, orDash } from "../../format";

export type ColumnId =
  "started" | "direction" | "customer" | "ourNumber" | "assistant" | "status" | "duration" | "endReason";

export interface Column {
  id: ColumnId;
  /** i18n key of the header. */
  label: string;
  /** The cell's text, also what the exports write; `numberLabel` adds a number's name. */
  text: (c: Call, numberLabel: (phone: string | null) => string) => string;
}

export const COLUMNS: Column[] = [
  { id: "started", label: "calls.columns.started", text: (c) => formatTime(c.started_at ?? c.created_at) },
  { id: "direction", label: "calls.columns.direction", text: (c) => c.direction },
  { id: "customer", label: "calls.columns.customer", text: (c) => orDash(c.caller_phone ?? c.destination) },
  { id: "ourNumber", label: "calls.columns.ourNumber", text: (c, label) => label(c.assistant_phone) },
  { id: "assistant", label: "calls.columns.assistant", text: (c) => orDash(c.agent_name) },
  { id: "status", label: "calls.columns.status", text: (c) => c.status },
  { id: "duration", label: "calls.columns.duration", text: (c) => formatDuration(c.duration_seconds) },
  { id: "endReason", label: "calls.columns.endReason", text: (c) => orDash(c.end_reason) },
];
