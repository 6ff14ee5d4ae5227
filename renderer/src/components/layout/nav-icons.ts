import type { Component } from "vue";
import {
  Phone,
  Connection,
  Cellphone,
  Key,
  Link,
  Box,
  DataAnalysis,
  Setting,
  User,
  Document,
  Promotion,
  MuteNotification,
  Guide,
  Headset,
} from "@element-plus/icons-vue";

// Route files name their icon (route meta `icon`); unknown names fall back to a plain document icon.
const icons: Record<string, Component> = {
  phone: Phone,
  trunk: Connection,
  number: Cellphone,
  key: Key,
  webhook: Link,
  model: Box,
  usage: DataAnalysis,
  settings: Setting,
  assistant: User,
  campaign: Promotion,
  dnc: MuteNotification,
  welcome: Guide,
  live: Headset,
};

export const navIcon = (name?: string): Component => (name && icons[name]) || Document;
