import { expect } from "vitest";
import { AxeBuilder } from "@axe-core/playwright";
import type { Page } from "playwright-core";

/**
 * Waits until no Vue enter/leave transition runs (half-faded colours fool axe and screenshots). Polls
 * with evaluate: waitForFunction's string form needs eval, which the console's CSP forbids.
 */
export async function settled(p: Page): Promise<void> {
  await expect
    .poll(() => p.evaluate(`!document.querySelector('[class*="-enter-active"], [class*="-leave-active"]')`))
    .toBe(true);
}

/**
 * axe-core on the page as it is: serious and critical WCAG A/AA violations, as readable lines (with axe's
 * own summary of each failing node). With a modal dialog open the page behind it is dimmed and inert to
 * the user: the dialog is what is checked.
 */
export async function seriousViolations(p: Page): Promise<string[]> {
  await settled(p);
  const builder = new AxeBuilder({ page: p }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]);
  const modal = await p.evaluate(
    `[...document.querySelectorAll(".el-overlay")].some((o) => getComputedStyle(o).display !== "none")`,
  );
  if (modal) builder.include(".el-overlay");
  const result = await builder.analyze();
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map(
      (v) =>
        `${v.id} (${v.impact}): ${v.nodes
          .map((n) => `${n.target.join(" ")} — ${(n.failureSummary ?? "").replace(/\s+/g, " ").slice(0, 160)}`)
          .join("; ")}`,
    );
}
