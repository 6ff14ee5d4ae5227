import type { LlmTool } from "../providers/llm/types.js";

/** A tool as the pipeline runs it: built-ins act on the call, `webhook` ones go to the customer. */
export type ToolSpec =
  | { kind: "end_call"; llm: LlmTool }
  | { kind: "dtmf"; llm: LlmTool }
  | { kind: "do_not_call"; llm: LlmTool }
  | { kind: "transfer_call"; llm: LlmTool; destinations: { number: string; description?: string; message?: string }[] }
  | {
      kind: "webhook";
      llm: LlmTool;
      url: string | null;
      secret: string | null;
      async: boolean;
      message: string | null;
    };

const obj = (v: unknown): Record<string, unknown> =>
  v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const EMPTY_PARAMS = { type: "object", properties: {} };

/**
 * Reads every documented tool shape (features.md §8): flat `{name, description, url, async, parameters}`,
 * nested OpenAI `{type:"function", function:{…}, server:{url, secret}}`, and the built-ins
 * `end_call`/`endCall` and `transfer_call`/`transferCall` with `destinations`, and our `dtmf` (send_dtmf) and
 * `do_not_call`.
 */
export function normaliseTools(raw: unknown[]): ToolSpec[] {
  const out: ToolSpec[] = [];
  for (const item of raw) {
    const t = obj(item);
    const type = typeof t.type === "string" ? t.type : "";
    if (type === "end_call" || type === "endCall") {
      out.push({
        kind: "end_call",
        llm: {
          name: "end_call",
          description:
            "End the phone call. Use it when the conversation is finished or the caller asks to hang up; say goodbye first.",
          parameters: EMPTY_PARAMS,
        },
      });
      continue;
    }
    if (type === "dtmf" || type === "send_dtmf" || type === "sendDtmf") {
      // Local addition: press keys on the line (IVR menus of the called party on outbound calls).
      out.push({
        kind: "dtmf",
        llm: {
          name: "send_dtmf",
          description: "Press telephone keys on the call, e.g. to pick an option in a phone menu.",
          parameters: {
            type: "object",
            properties: {
              digits: {
                type: "string",
                pattern: "^[0-9*#A-Da-d]{1,32}$",
                description: 'Keys to press, e.g. "1" or "1234#"',
              },
            },
            required: ["digits"],
          },
        },
      });
      continue;
    }
    if (type === "do_not_call" || type === "doNotCall") {
      // Local addition (issue #17): a person who asks not to be called again is never dialled again.
      out.push({
        kind: "do_not_call",
        llm: {
          name: "do_not_call",
          description:
            "Put the person's number on the do-not-call list when they ask not to be called again (or to be removed from the list). Confirm it to them, then end the call.",
          parameters: {
            type: "object",
            properties: { reason: { type: "string", description: "What they said, in a few words" } },
          },
        },
      });
      continue;
    }
    if (type === "transfer_call" || type === "transferCall") {
      const destinations = (Array.isArray(t.destinations) ? t.destinations : [])
        .map(obj)
        .map((d) => ({
          number: String(d.number ?? d.phone_number ?? d.destination ?? d.sip_uri ?? ""),
          description: typeof d.description === "string" ? d.description : undefined,
          message: typeof d.message === "string" ? d.message : undefined,
        }))
        .filter((d) => d.number);
      const list = destinations.map((d) => `${d.number}${d.description ? ` (${d.description})` : ""}`).join("; ");
      out.push({
        kind: "transfer_call",
        destinations,
        llm: {
          name: "transfer_call",
          description: `Transfer the caller to a person or another line.${list ? ` Destinations: ${list}.` : ""}`,
          parameters: {
            type: "object",
            properties: {
              destination: {
                type: "string",
                ...(destinations.length ? { enum: destinations.map((d) => d.number) } : {}),
                description: "Number to transfer to",
              },
            },
            required: ["destination"],
          },
        },
      });
      continue;
    }
    const fn = type === "function" && t.function ? obj(t.function) : t;
    const name = typeof fn.name === "string" ? fn.name : "";
    if (!name) continue;
    const server = obj(t.server);
    out.push({
      kind: "webhook",
      llm: {
        name,
        description: typeof fn.description === "string" ? fn.description : "",
        parameters: Object.keys(obj(fn.parameters)).length ? obj(fn.parameters) : EMPTY_PARAMS,
      },
      url: (typeof t.url === "string" && t.url) || (typeof server.url === "string" && server.url) || null,
      secret: typeof server.secret === "string" ? server.secret : null,
      async: t.async === true,
      message:
        (typeof t.message === "string" && t.message) ||
        (typeof t.async_response === "string" && t.async_response) ||
        null,
    });
  }
  return out;
}

const comparable = (n: string) => n.replace(/[\s().-]/g, "").toLowerCase();

/**
 * Where a `transfer_call` tool call may go: one of the tool's configured destinations, never a number the
 * model produced (a caller can talk a model into anything, e.g. a premium-rate number: issue #13 §9). What
 * `say` or `inject-context` add to the conversation cannot change the list, which comes from the config.
 */
export function transferTarget(
  tool: Extract<ToolSpec, { kind: "transfer_call" }>,
  requested: unknown,
): { number: string; message?: string } | { refused: string } {
  if (!tool.destinations.length) return { refused: "this transfer tool has no destinations configured" };
  if (typeof requested !== "string" || !requested.trim()) return tool.destinations[0];
  const match = tool.destinations.find((d) => comparable(d.number) === comparable(requested));
  return (
    match ?? {
      refused: `${requested} is not one of this tool's destinations (${tool.destinations.map((d) => d.number).join(", ")})`,
    }
  );
}
