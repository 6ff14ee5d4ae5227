import m001 from "./001-initial.js";
import m002 from "./002-call-counts.js";
import m003 from "./003-call-json.js";
import m004 from "./004-ringing-at.js";
import m005 from "./005-campaigns.js";
import m006 from "./006-live-call-json.js";
import m007 from "./007-call-search.js";
import m008 from "./008-webhook-response.js";

/** Numbered migrations, applied in order inside one transaction each; never edit a released one. */
export const migrations: readonly { version: number; name: string; sql: string }[] = [
  { version: 1, name: "initial", sql: m001 },
  { version: 2, name: "call-counts", sql: m002 },
  { version: 3, name: "call-json", sql: m003 },
  { version: 4, name: "ringing-at", sql: m004 },
  { version: 5, name: "campaigns", sql: m005 },
  { version: 6, name: "live-call-json", sql: m006 },
  { version: 7, name: "call-search", sql: m007 },
  { version: 8, name: "webhook-response", sql: m008 },
];
