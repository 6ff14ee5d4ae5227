import type { RouteRecordRaw } from "vue-router";

// The first-run wizard: opened after the first sign-in, and from the navigation at any time after.
export const routes: RouteRecordRaw[] = [
  {
    path: "/welcome",
    name: "welcome",
    component: () => import("../../views/WelcomeView.vue"),
    meta: { nav: "welcome.nav", order: 5, icon: "welcome" },
  },
];
