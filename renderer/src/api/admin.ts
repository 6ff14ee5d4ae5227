// Typed calls to the endpoints the admin pages use (Models, Keys and providers, Webhooks, Usage).
import { api } from "./client";
import type {
  ApiKeyInfo,
  AssistantAdminSummary,
  Call,
  CallList,
  DeliveryStatus,
  Model,
  ModelStorage,
  ProviderInfo,
  ProviderTest,
  WebhookDelivery,
  WebhookDeliveryDetail,
} from "./types";

const post = (body?: unknown): RequestInit => ({
  method: "POST",
  ...(body === undefined ? {} : { body: JSON.stringify(body) }),
});
const del = (body?: unknown): RequestInit => ({
  method: "DELETE",
  ...(body === undefined ? {} : { body: JSON.stringify(body) }),
});

export const modelsApi = {
  list: () => api<{ models: Model[] }>("/models").then((r) => r.models),
  storage: () => api<{ storage: ModelStorage }>("/models/storage").then((r) => r.storage),
  /** Also resumes: the engine continues a partial file with an HTTP Range request. */
  download: (id: string) => api<{ model: Model }>(`/models/${encodeURIComponent(id)}/download`, post()),
  /** Stops the transfer and keeps the partial file: this is "pause". */
  stop: (id: string) => api<{ model: Model }>(`/models/${encodeURIComponent(id)}/download`, del()),
  /** Deletes the installed files and any partial download. */
  remove: (id: string) => api<{ success: true }>(`/models/${encodeURIComponent(id)}`, del()),
};

export const keysApi = {
  list: () => api<{ api_keys: ApiKeyInfo[] }>("/api-keys").then((r) => r.api_keys),
  create: (name: string) => api<{ api_key: ApiKeyInfo; key: string }>("/api-keys", post({ name })),
  revoke: (id: string) => api<{ success: true }>(`/api-keys/${encodeURIComponent(id)}`, del()),
};

export const providersApi = {
  catalogue: () => api<{ providers: ProviderInfo[] }>("/byok/config").then((r) => r.providers),
  settings: () => api<{ settings: Record<string, Record<string, unknown>> }>("/byok/settings").then((r) => r.settings),
  save: (provider: string, apiKey: string, baseUrl: string | null) =>
    api<{ success: true }>("/byok", post({ provider, api_key: apiKey, base_url: baseUrl })),
  remove: (provider: string) => api<{ success: true }>("/byok", del({ provider })),
  test: (provider: string) => api<ProviderTest>("/byok/test", post({ provider })),
};

export interface DeliveryQuery {
  event?: string;
  status?: DeliveryStatus;
  assistant_id?: string;
  start_date?: string;
  end_date?: string;
  limit: number;
  offset: number;
}

const query = (q: object) => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== "") p.set(k, String(v));
  return p.toString();
};

export const webhooksApi = {
  list: (q: DeliveryQuery) =>
    api<{ deliveries: WebhookDelivery[]; pagination: { total: number } }>(`/webhook-deliveries?${query(q)}`),
  get: (id: string) =>
    api<{ delivery: WebhookDeliveryDetail }>(`/webhook-deliveries/${encodeURIComponent(id)}`).then((r) => r.delivery),
  resend: (id: string) =>
    api<{ delivery: WebhookDeliveryDetail }>(`/webhook-deliveries/${encodeURIComponent(id)}/redeliver`, post()),
  test: (assistantId: string) =>
    api<{ delivery_id: string; url: string }>("/webhooks/test", post({ assistant_id: assistantId })),
};

export const assistantsApi = {
  list: () => api<{ assistants: AssistantAdminSummary[] }>("/assistants").then((r) => r.assistants),
};

/** Most calls one analytics view reads; past it the page says the figures are partial. */
export const MAX_ANALYTICS_CALLS = 20_000;

/** Every call created since `start`, a page of 1000 at a time (the API's largest page). */
export async function callsSince(start: Date): Promise<{ calls: Call[]; total: number }> {
  const calls: Call[] = [];
  let total = 0;
  for (let offset = 0; offset < MAX_ANALYTICS_CALLS; offset += 1000) {
    const page = await api<CallList>(`/calls?${query({ start_date: start.toISOString(), limit: 1000, offset })}`);
    total = page.pagination.total;
    calls.push(...page.calls);
    if (page.calls.length < 1000 || calls.length >= total) break;
  }
  return { calls, total };
}
