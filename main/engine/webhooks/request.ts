import { uuid } from "../util/ids.js";
import { webhookHeaders } from "./headers.js";
import type { WebhookEvent } from "./payloads.js";

/**
 * The two webhooks that need an answer while the call waits (`tool-calls` 10 s, `assistant-request` 5 s):
 * sent once, directly, signed like the outbox deliveries, with a hard deadline. Returns the parsed JSON
 * body; throws an Error whose message a person can act on.
 */
export async function requestWebhook(opts: {
  url: string;
  event: WebhookEvent;
  body: unknown;
  secret: string | null;
  timeoutMs: number;
}): Promise<unknown> {
  const raw = JSON.stringify(opts.body);
  const headers = webhookHeaders({ event: opts.event, deliveryId: uuid(), rawBody: raw, secret: opts.secret });
  let res: Response;
  try {
    res = await fetch(opts.url, {
      method: "POST",
      headers,
      body: raw,
      redirect: "manual",
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    // No `cause`: the message already names what failed, and fetch's error chain can carry the receiver's
    // URL (query-string tokens included) into the call's logs.
    // eslint-disable-next-line preserve-caught-error
    throw new Error(
      e.name === "TimeoutError"
        ? `the ${opts.event} webhook did not answer within ${opts.timeoutMs / 1000} s`
        : `the ${opts.event} webhook could not be reached (${e.cause?.code ?? e.message})`,
    );
  }
  const text = await res.text();
  if (res.status < 200 || res.status >= 300) throw new Error(`the ${opts.event} webhook answered HTTP ${res.status}`);
  if (!text.trim()) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`the ${opts.event} webhook answered with invalid JSON`);
  }
}

/**
 * The result for one tool call from any documented response shape (webhooks.md §7): `{results:[{tool_call_id,
 * result}]}`, `{result}`, `{error}`, or the whole body as the result. Returned as the text the model reads.
 */
export function toolResult(body: unknown, toolCallId: string): string {
  const b = body && typeof body === "object" ? (body as Record<string, unknown>) : { result: body };
  let value: unknown = b;
  if (Array.isArray(b.results)) {
    const hit =
      (b.results as Record<string, unknown>[]).find((r) => r?.tool_call_id === toolCallId) ??
      (b.results[0] as Record<string, unknown> | undefined);
    value = hit ? (hit.error !== undefined ? { error: hit.error } : hit.result) : b;
  } else if ("result" in b) value = b.result;
  else if ("error" in b && Object.keys(b).length === 1) value = { error: b.error };
  return typeof value === "string" ? value : JSON.stringify(value ?? null);
}
