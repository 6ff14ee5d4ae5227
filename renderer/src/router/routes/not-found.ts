import type { RouteRecordRaw } from "vue-router";

export const routes: RouteRecordRaw[] = [
  { path: "/:pathMatch(.*)*", name: "not-found", component: () => import("../../views/NotFoundView.vue") },
];
