/** How the outbox dispatcher retries, and the small timing helpers it needs. */

export interface WebhookRetryOptions {
  /** First retry after this, doubling each attempt (with ±20 % jitter) up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** After this many attempts a delivery is marked failed (it stays visible and can be redelivered). */
  maxAttempts: number;
  /** Per-request timeout (connect + response headers). */
  timeoutMs: number;
}

export const DEFAULT_RETRY: WebhookRetryOptions = {
  baseDelayMs: 1000,
  maxDelayMs: 5 * 60_000,
  maxAttempts: 12,
  timeoutMs: 10_000,
};

/** Defaults overridden by whatever the caller set; an explicit `undefined` keeps the default. */
export function retryOptions(partial: Partial<WebhookRetryOptions> | undefined): WebhookRetryOptions {
  const set = Object.fromEntries(
    Object.entries(partial ?? {}).filter(([, v]) => v !== undefined),
  ) as Partial<WebhookRetryOptions>;
  return { ...DEFAULT_RETRY, ...set };
}

/** Delay before the retry that follows attempt number `attempts` (1-based): base·2^(n−1), capped, ±20 %. */
export function backoffMs(retry: WebhookRetryOptions, attempts: number): number {
  const { baseDelayMs, maxDelayMs } = retry;
  return Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(attempts - 1, 30)) * (0.8 + Math.random() * 0.4);
}

/** True when every promise settled within `ms`. */
export async function settledWithin(promises: Promise<unknown>[], ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((r) => {
    timer = setTimeout(() => r(false), ms);
  });
  try {
    return await Promise.race([Promise.allSettled(promises).then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** What went wrong, for a person reading the delivery log: the OS error (e.g. ECONNREFUSED) when there is one. */
export function describeFetchError(err: unknown, timeoutMs: number): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e?.name === "TimeoutError") return `no answer within ${timeoutMs} ms`;
  const cause = e?.cause;
  if (cause?.code)
    return `could not reach the receiver: ${cause.message && cause.message.includes(cause.code) ? cause.message : `${cause.code} ${cause.message ?? ""}`.trim()}`;
  return `could not reach the receiver: ${cause?.message ?? e?.message ?? String(err)}`;
}
