/** Polls `fn` until it returns something truthy, and returns it; throws after `ms`. */
export async function waitFor<T>(fn: () => T | undefined | null | false, ms = 15_000, everyMs = 25): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Like `waitFor`, for conditions that must be fetched (e.g. through the API); `describe` explains a timeout. */
export async function waitForAsync<T>(
  fn: () => Promise<T | undefined | null | false>,
  ms = 15_000,
  everyMs = 100,
  describe?: () => Promise<string> | string,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${ms} ms${describe ? `: ${await describe()}` : ""}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
