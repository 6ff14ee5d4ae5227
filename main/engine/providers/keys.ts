/** What a provider module may know about the user's keys: its own key and settings, nothing else. */
export interface ProviderKeys {
  /** The clear key saved with POST /byok, or null. */
  apiKey(provider: string): string | null;
  /** Settings saved with POST /byok/config (e.g. a base_url), or {}. */
  config(provider: string): Record<string, unknown>;
}
