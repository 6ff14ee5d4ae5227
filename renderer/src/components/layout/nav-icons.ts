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
  Guide,
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
  welcome: Guide,
};

export const navIcon = (name?: string): Component => (name && icons[name]) || Document;
