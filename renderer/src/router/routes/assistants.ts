import type { RouteRecordRaw } from "vue-router";

export const routes: RouteRecordRaw[] = [
  {
    path: "/assistants",
    name: "assistants",
    component: () => import("../../views/AssistantsView.vue"),
    meta: { nav: "assistants.nav", order: 40, icon: "assistant" },
  },
  {
    path: "/assistants/:id",
    name: "assistant",
    component: () => import("../../views/AssistantView.vue"),
    props: true,
  },
];
