import type { RouteRecordRaw } from "vue-router";

export const routes: RouteRecordRaw[] = [
  {
    path: "/webhooks",
    name: "webhooks",
    component: () => import("../../views/WebhooksView.vue"),
    meta: { nav: "webhooks.nav", order: 70, icon: "webhook" },
  },
];
