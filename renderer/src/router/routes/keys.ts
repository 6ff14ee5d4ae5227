import type { RouteRecordRaw } from "vue-router";

export const routes: RouteRecordRaw[] = [
  {
    path: "/keys",
    name: "keys",
    component: () => import("../../views/KeysView.vue"),
    meta: { nav: "keys.nav", order: 60, icon: "key" },
  },
];
