import type { RouteRecordRaw } from "vue-router";

export const routes: RouteRecordRaw[] = [
  {
    path: "/models",
    name: "models",
    component: () => import("../../views/ModelsView.vue"),
    meta: { nav: "models.nav", order: 50, icon: "model" },
  },
];
