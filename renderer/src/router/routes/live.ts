import type { RouteRecordRaw } from "vue-router";

export const routes: RouteRecordRaw[] = [
  {
    path: "/live",
    name: "live",
    component: () => import("../../views/LiveView.vue"),
    meta: { nav: "live.nav", order: 12, icon: "live" },
  },
];
