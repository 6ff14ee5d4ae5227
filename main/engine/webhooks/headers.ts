import { signPayload } from "./sign.js";
import type { WebhookEvent } from "./payloads.js";

const USER_AGENT = "HMS-Sovereign/1.0";

/**
 * The headers of every webhook POST, outbox delivery or direct request alike, so receivers verify both the
 * same way (webhooks.md §4). Built per attempt: the timestamp is part of what is signed.
 */
export function webhookHeaders(opts: {
  event: WebhookEvent | string;
  deliveryId: string;
  rawBody: string;
  secret: string | null;
}): Record<string, string> {
  const timestamp = Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "user-agent": USER_AGENT,
    // Printed like this in every edition of the docs; sent beside User-Agent (gaps.md 11).
    "user-assistant": USER_AGENT,
    "x-webhook-event": opts.event,
    "x-webhook-timestamp": String(timestamp),
    "x-webhook-delivery": opts.deliveryId,
  };
  if (opts.secret) headers["x-webhook-signature"] = signPayload(opts.secret, timestamp, opts.rawBody);
  return headers;
}
