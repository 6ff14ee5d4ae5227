import type { Page } from "playwright-core";

// The page-side half of the console's keyboard checks (test/e2e/console-pages.test.ts). Test files are
// type-checked without the DOM library, so the browser code is plain script text installed before the
// console loads; the functions below call it and type what it returns.

/** What the test knows about the focused element. */
export interface Focused {
  /** A stable id the probe gives every element it has seen focused (data-vd-focus). */
  id: string;
  tag: string;
  testid: string | null;
  name: string;
  href: string | null;
  inMain: boolean;
  inNav: boolean;
  /** Inside an open dialog or drawer (role="dialog"). */
  inDialog: boolean;
  focusVisible: boolean;
}

/** An element a keyboard user must be able to reach in the page's main area. */
export interface Reachable {
  id: string;
  tag: string;
  testid: string | null;
  name: string;
}

const SCRIPT = /* js */ `
(() => {
  let next = 0;
  const idOf = (e) => {
    if (!e.dataset.vdFocus) e.dataset.vdFocus = "f" + ++next;
    return e.dataset.vdFocus;
  };
  const nameOf = (e) =>
    (e.getAttribute("aria-label") || e.textContent || e.getAttribute("placeholder") || e.getAttribute("title") || "")
      .replace(/\\s+/g, " ").trim().slice(0, 60);
  // A focus indicator may be drawn on the element, a wrapper (Element Plus inputs and selects draw it on
  // theirs) or a following sibling (its switch draws it on the track after a hidden input).
  const candidates = (e) => {
    const out = [e];
    let p = e.parentElement;
    for (let i = 0; i < 3 && p; i++, p = p.parentElement) out.push(p);
    for (let s = e.nextElementSibling, i = 0; s && i < 2; s = s.nextElementSibling, i++) out.push(s);
    return out;
  };
  const PROPS = ["outlineStyle", "outlineWidth", "outlineColor", "boxShadow", "borderTopColor", "backgroundColor", "textDecorationLine"];
  const look = (els) => els.map((x) => { const s = getComputedStyle(x); return PROPS.map((p) => s[p]).join("|"); }).join("#");
  const seen = new Map();
  const visible = (e) => {
    const r = e.getBoundingClientRect();
    if (r.width < 2 || r.height < 2) return false;
    const s = getComputedStyle(e);
    return s.visibility !== "hidden" && s.display !== "none" && Number(s.opacity) > 0 && !e.closest("[inert], [aria-hidden=true]");
  };
  window.__vdFocus = {
    describe() {
      const e = document.activeElement;
      if (!e || e === document.body || e === document.documentElement) return null;
      return {
        id: idOf(e),
        tag: e.tagName.toLowerCase(),
        testid: e.getAttribute("data-testid"),
        name: nameOf(e),
        href: e.getAttribute("href"),
        inMain: !!e.closest("main"),
        inNav: !!e.closest("[data-testid=side-nav]"),
        inDialog: !!e.closest("[role=dialog]"),
        focusVisible: e.matches(":focus-visible"),
      };
    },
    /** Remembers how the focused element and its surroundings look while focused. */
    remember() {
      const e = document.activeElement;
      if (!e || e === document.body) return;
      const els = candidates(e);
      seen.set(idOf(e), { els, focused: look(els) });
    },
    /** Whether the element looked different while it had the focus (called once the focus has left it). */
    indicated(id) {
      const s = seen.get(id);
      return !!s && look(s.els) !== s.focused;
    },
    /** The visible, enabled, tabbable elements of the page's main area. */
    reachable() {
      const sel = 'a[href], button, input:not([type=hidden]), select, textarea, [tabindex]';
      return [...document.querySelectorAll("main " + sel.split(", ").join(", main "))]
        .filter((e) => !e.disabled && e.tabIndex >= 0 && e.getAttribute("tabindex") !== "-1" && visible(e))
        .map((e) => ({ id: idOf(e), tag: e.tagName.toLowerCase(), testid: e.getAttribute("data-testid"), name: nameOf(e) }));
    },
    /** The visible dialog openers of the main area (aria-haspopup="dialog"), in document order. */
    openers() {
      // Buttons and links: a combobox (Element Plus's date picker says aria-haspopup="dialog" too) keeps
      // the focus in its field while its panel is open, which is the pattern for a combobox.
      return [...document.querySelectorAll('main button[aria-haspopup="dialog"], main a[aria-haspopup="dialog"]')]
        .filter((e) => !e.disabled && visible(e))
        .map((e) => ({ id: idOf(e), tag: e.tagName.toLowerCase(), testid: e.getAttribute("data-testid"), name: nameOf(e) }));
    },
    /** Open dialogs or drawers: their titles. */
    dialogs() {
      return [...document.querySelectorAll("[role=dialog]")].filter(visible).map((d) => nameOf(d).slice(0, 40));
    },
  };
  // Transitions off: a focus ring read mid-transition would look like no ring at all.
  const style = () => {
    const s = document.createElement("style");
    s.textContent = "*, *::before, *::after { transition: none !important; animation: none !important; }";
    document.head.appendChild(s);
  };
  if (document.head) style();
  else document.addEventListener("DOMContentLoaded", style);
})();
`;

/** Installs the probe in every document the page loads. */
export async function installFocusProbe(page: Page): Promise<void> {
  await page.addInitScript({ content: SCRIPT });
}

export const focused = (page: Page) => page.evaluate("window.__vdFocus.describe()") as Promise<Focused | null>;
export const rememberFocused = (page: Page) => page.evaluate("window.__vdFocus.remember()");
export const wasIndicated = (page: Page, id: string) =>
  page.evaluate(`window.__vdFocus.indicated(${JSON.stringify(id)})`) as Promise<boolean>;
export const reachable = (page: Page) => page.evaluate("window.__vdFocus.reachable()") as Promise<Reachable[]>;
export const dialogOpeners = (page: Page) => page.evaluate("window.__vdFocus.openers()") as Promise<Reachable[]>;
export const openDialogs = (page: Page) => page.evaluate("window.__vdFocus.dialogs()") as Promise<string[]>;

/** "button 'Add trunk' [trunk-add]": for failure messages. */
export const show = (f: Pick<Focused, "tag" | "name" | "testid"> | null) =>
  f ? `${f.tag} '${f.name}'${f.testid ? ` [${f.testid}]` : ""}` : "(nothing: body)";

/**
 * Presses Tab (or Shift+Tab) until the focused element satisfies `want`, at most `max` times. Returns the
 * elements passed on the way, so a failure can say where the focus went.
 */
export async function tabUntil(
  page: Page,
  want: (f: Focused | null) => boolean,
  { max = 80, back = false } = {},
): Promise<{ found: Focused | null; path: (Focused | null)[] }> {
  const path: (Focused | null)[] = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(back ? "Shift+Tab" : "Tab");
    const f = await focused(page);
    path.push(f);
    if (want(f)) return { found: f, path };
  }
  return { found: null, path };
}
