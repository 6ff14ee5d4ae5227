// HTTP client for the local v1 API: the console uses nothing else (and the events WebSocket).
const KEY_STORAGE = "voicedock.apiKey";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
  ) {
    super(message);
  }
}

export function apiBase(): string {
  return window.voicedock?.apiBase || window.location.origin;
}

export function apiKey(): string | null {
  return window.voicedock?.apiKey || localStorage.getItem(KEY_STORAGE);
}

export function saveApiKey(key: string): void {
  localStorage.setItem(KEY_STORAGE, key.trim());
}
export function forgetApiKey(): void {
  localStorage.removeItem(KEY_STORAGE);
}

export async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const headers = new Headers(init.headers);
  const key = apiKey();
  if (key) headers.set("authorization", `Bearer ${key}`);
  if (init.body) headers.set("content-type", "application/json");
  const res = await fetch(`${apiBase()}/api/v1${path}`, { ...init, headers });
  const body = await res.json().catch(() => ({}));
  if (!res.ok)
    throw new ApiError(res.status, body.error ?? res.statusText, body.message ?? `Request failed (${res.status})`);
  return body as T;
}

/**
 * A file from the API as a Blob, with the key: elements like <audio src> cannot send the header, so the
 * console fetches the bytes itself and hands the element an object URL. `url` is an API path or an
 * absolute URL the engine returned (recording_url).
 */
export async function apiBlob(url: string): Promise<Blob> {
  const headers = new Headers();
  const key = apiKey();
  if (key) headers.set("authorization", `Bearer ${key}`);
  const res = await fetch(/^https?:/.test(url) ? url : `${apiBase()}/api/v1${url}`, { headers });
  if (!res.ok) {
    const body = await res.json().catch(() => ({}));
    throw new ApiError(res.status, body.error ?? res.statusText, body.message ?? `Request failed (${res.status})`);
  }
  return res.blob();
}
