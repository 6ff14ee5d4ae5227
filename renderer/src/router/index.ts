import { createRouter, createWebHashHistory } from "vue-router";
import CallsView from "../views/CallsView.vue";
import CallView from "../views/CallView.vue";
import KeyView from "../views/KeyView.vue";
import { apiKey } from "../api/client";

// Hash history: works from file:// in Electron and from any path the engine serves.
export const router = createRouter({
  history: createWebHashHistory(),
  routes: [
    { path: "/", redirect: "/calls" },
    { path: "/calls", component: CallsView },
    { path: "/calls/:id", name: "call", component: CallView, props: true },
    { path: "/key", component: KeyView },
  ],
});

router.beforeEach((to) => (to.path !== "/key" && !apiKey() ? { path: "/key", query: { next: to.fullPath } } : true));
