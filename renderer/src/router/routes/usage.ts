import type { RouteRecordRaw } from "vue-router";

export const routes: RouteRecordRaw[] = [
  {
    path: "/usage",
    name: "usage",
    component: () => import("../../views/UsageView.vue"),
    meta: { nav: "usage.nav", order: 80, icon: "usage" },
  },
];
