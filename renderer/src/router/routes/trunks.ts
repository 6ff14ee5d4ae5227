import type { RouteRecordRaw } from "vue-router";

export const routes: RouteRecordRaw[] = [
  {
    path: "/trunks",
    name: "trunks",
    component: () => import("../../views/TrunksView.vue"),
    meta: { nav: "nav.trunks", order: 20, icon: "trunk" },
  },
];
