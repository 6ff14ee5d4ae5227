import { createApp } from "vue";
import { createPinia } from "pinia";
import ElementPlus from "element-plus";
import "element-plus/dist/index.css";
import "element-plus/theme-chalk/dark/css-vars.css";
import App from "./App.vue";
import { router } from "./router";
import { i18n } from "./i18n";
import "./style.css";
import "./theme.css";

document.documentElement.lang = i18n.global.locale.value;
createApp(App).use(createPinia()).use(router).use(i18n).use(ElementPlus).mount("#app");
