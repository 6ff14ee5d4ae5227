import type { RouteRecordRaw } from "vue-router";

export const routes: RouteRecordRaw[] = [
  {
    path: "/numbers",
    name: "numbers",
    component: () => import("../../views/NumbersView.vue"),
    meta: { nav: "nav.numbers", order: 30, icon: "number" },
  },
];
