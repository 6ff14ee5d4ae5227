import type { RouteRecordRaw } from "vue-router";

// The key page is outside the app shell: it is where a console without a key lands.
export const routes: RouteRecordRaw[] = [
  { path: "/key", name: "key", component: () => import("../../views/KeyView.vue"), meta: { public: true, bare: true } },
  // The one-time sign-in link printed by `voicedock serve`.
  {
    path: "/login",
    name: "login",
    component: () => import("../../views/LoginView.vue"),
    meta: { public: true, bare: true },
  },
];
