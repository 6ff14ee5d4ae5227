import { createRouter, createWebHashHistory, type RouteRecordRaw } from "vue-router";
import { apiKey } from "../api/client";
import { landingAfterSignIn } from "../components/welcome/landing";

declare module "vue-router" {
  interface RouteMeta {
    /** i18n key of the navigation label: routes with it appear in the side navigation. */
    nav?: string;
    /** Position in the navigation, ascending. */
    order?: number;
    /** Icon name from components/layout/nav-icons.ts. */
    icon?: string;
    /** Reachable without an API key. */
    public?: boolean;
    /** Rendered without the app shell (no navigation or header). */
    bare?: boolean;
  }
}

// One file per area: a new page appears in the console (and its navigation) by adding a file here.
const modules = import.meta.glob<{ routes: RouteRecordRaw[] }>("./routes/*.ts", { eager: true });
const all = Object.values(modules).flatMap((m) => m.routes);
// The catch-all must come last whatever the files' order.
const routes = [...all.filter((r) => r.name !== "not-found"), ...all.filter((r) => r.name === "not-found")];

export interface NavItem {
  path: string;
  label: string;
  icon?: string;
}

export const navItems: NavItem[] = routes
  .filter((r) => r.meta?.nav)
  .sort((a, b) => (a.meta?.order ?? 0) - (b.meta?.order ?? 0))
  .map((r) => ({ path: r.path, label: r.meta!.nav!, icon: r.meta?.icon }));

// Hash history: works from file:// in Electron and from any path the engine serves.
export const router = createRouter({ history: createWebHashHistory(), routes });

router.beforeEach((to) => (!to.meta.public && !apiKey() ? { path: "/key", query: { next: to.fullPath } } : true));

// The desktop app hands the key over IPC and opens the start page: like a browser after the one-time link,
// an engine with nothing set up starts in the first-run wizard (once per launch, only from the start page).
let landed = false;
router.beforeEach(async (to) => {
  if (landed) return true;
  landed = true;
  if (!window.voicedock?.apiKey || to.path !== "/calls") return true;
  const path = await landingAfterSignIn();
  return path === to.path ? true : path;
});
