import { describe, expect, it } from "vitest";
import { LOGIN_LINK_TTL_MS, LoginLinks } from "../../main/engine/api/login-links.js";

describe("one-time login links", () => {
  it("a token works once, and not after 10 minutes", () => {
    let now = 1_000_000;
    const links = new LoginLinks(LOGIN_LINK_TTL_MS, () => now);
    const a = links.issue();
    const b = links.issue();
    expect(a.token).not.toBe(b.token);
    expect(Date.parse(a.expires_at)).toBe(now + 10 * 60 * 1000);
    expect(links.redeem(a.token)).toBe(true);
    expect(links.redeem(a.token)).toBe(false);
    now += LOGIN_LINK_TTL_MS - 1;
    expect(links.redeem("x" + b.token)).toBe(false);
    now += 1;
    expect(links.redeem(b.token)).toBe(false);
  });
});
