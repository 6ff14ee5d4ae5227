import type { RouteRecordRaw } from "vue-router";

export const routes: RouteRecordRaw[] = [
  { path: "/", redirect: "/calls" },
  {
    path: "/calls",
    name: "calls",
    component: () => import("../../views/CallsView.vue"),
    meta: { nav: "nav.calls", order: 10, icon: "phone" },
  },
  { path: "/calls/:id", name: "call", component: () => import("../../views/CallView.vue"), props: true },
  // The desktop app's incoming-call popup.
  {
    path: "/ring/:id",
    name: "ring",
    component: () => import("../../views/RingPopup.vue"),
    props: true,
    meta: { bare: true },
  },
];
