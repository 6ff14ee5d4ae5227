import type { RouteRecordRaw } from "vue-router";

export const routes: RouteRecordRaw[] = [
  {
    path: "/campaigns",
    name: "campaigns",
    component: () => import("../../views/CampaignsView.vue"),
    meta: { nav: "campaigns.nav", order: 35, icon: "campaign" },
  },
  // The editor before the campaign exists (vue-router ranks this static path above ":id").
  { path: "/campaigns/new", name: "campaign-new", component: () => import("../../views/CampaignView.vue") },
  { path: "/campaigns/:id", name: "campaign", component: () => import("../../views/CampaignView.vue"), props: true },
  {
    path: "/do-not-call",
    name: "do-not-call",
    component: () => import("../../views/DoNotCallView.vue"),
    meta: { nav: "campaigns.dnc.nav", order: 36, icon: "dnc" },
  },
];
