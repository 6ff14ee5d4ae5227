import type { Store } from "../store/index.js";
import type { WebhookService } from "../webhooks/service.js";
import type { CallManager } from "./call-manager.js";
import type { ToolSpec } from "../voice/tools.js";
import { envelope } from "../webhooks/payloads.js";
import { requestWebhook, toolResult } from "../webhooks/request.js";
import { openCredential } from "../store/credentials.js";

export interface ToolWebhookDeps {
  store: Store;
  calls: CallManager;
  webhooks: WebhookService;
  /** Deadline for a synchronous tool webhook (webhooks.md §7: 10 s). */
  timeoutMs: number;
}

export interface ModelToolCall {
  id: string;
  name: string;
  arguments: Record<string, unknown>;
}

/**
 * A tool the model called that runs at the business's server (webhooks.md §7): posts `tool-calls` signed
 * with the tool's own secret (else the assistant's) and returns what the model reads as the result. An
 * async tool answers at once with its own message and reports a failure as a problem of the call.
 */
export async function callToolWebhook(
  deps: ToolWebhookDeps,
  callId: string,
  call: ModelToolCall,
  tool: Extract<ToolSpec, { kind: "webhook" }>,
): Promise<string> {
  const { store, calls, webhooks } = deps;
  const record = calls.get(callId)!;
  const assistant = store.calls.assistantConfig(callId) ?? {};
  const url = tool.url ?? (typeof assistant.webhook_url === "string" ? assistant.webhook_url : null);
  if (!url) throw new Error(`tool '${call.name}' has no url and the assistant has no webhook_url`);
  const secretEnc = typeof assistant.webhook_secret_enc === "string" ? assistant.webhook_secret_enc : null;
  const secret = tool.secret ? openCredential(store.box, tool.secret) : secretEnc ? store.box.open(secretEnc) : null;
  const body = {
    message: {
      ...envelope("tool-calls", record, webhooks.numberInfo(record), assistant),
      tool_call_list: [{ id: call.id, type: "function", function: { name: call.name, arguments: call.arguments } }],
    },
  };
  store.calls.addEvent(callId, "tool_call", { name: call.name, async: tool.async });
  const request = { url, event: "tool-calls" as const, body, secret, timeoutMs: deps.timeoutMs };
  if (tool.async) {
    // Fire and forget: the model continues with the tool's own message.
    void requestWebhook(request).catch((err: Error) =>
      calls.problem(callId, `Async tool '${call.name}': ${err.message}`),
    );
    return JSON.stringify({ status: "started", message: tool.message ?? "The task was started." });
  }
  return toolResult(await requestWebhook(request), call.id);
}
