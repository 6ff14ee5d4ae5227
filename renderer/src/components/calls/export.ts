import type { Call } from "../../api/types";

/** RFC 4180 quoting: fields with a comma, quote or line break are quoted, quotes doubled. */
function csvField(value: unknown): string {
  const s = value === null || value === undefined ? "" : String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

// Raw API values, not the on-screen text: a spreadsheet wants ISO times and seconds.
const CSV_FIELDS = [
  "id",
  "created_at",
  "started_at",
  "ended_at",
  "direction",
  "status",
  "caller_phone",
  "destination",
  "assistant_phone",
  "agent_name",
  "duration_seconds",
  "end_reason",
] as const satisfies readonly (keyof Call)[];

export function callsToCsv(calls: Call[], numberName: (phone: string | null) => string | null): string {
  const header = [...CSV_FIELDS, "number_name"];
  const rows = calls.map((c) => [...CSV_FIELDS.map((f) => c[f]), numberName(c.assistant_phone)].map(csvField));
  return [header.join(","), ...rows.map((r) => r.join(","))].join("\r\n") + "\r\n";
}

export function callsToJson(calls: Call[]): string {
  return JSON.stringify(calls, null, 2);
}

export function download(filename: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  a.click();
  // Give the browser the tick it needs to start the download before the URL goes.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
