// A large call history for the search and list measurements (test/integration/calls-search-scale.test.ts and
// bench/calls-search.ts): finished calls spread over a year, each with a short transcript, written in one
// transaction straight into the store's database, as the bench of GET /calls does.
import type { Store } from "../../main/engine/store/index.js";

const DAY = 86_400_000;
export const ASSISTANTS = ["Front desk", "Reception Robin", "Sales Sam", "Billing Bea", "Night line"];
export const NUMBER_NAMES = ["Main line", "Sales line", "Support line"];
const OPENERS = [
  "Good morning, Riverside Dental, how can I help?",
  "Hello, this is the front desk, what can I do for you?",
  "Thanks for calling, how may I help you today?",
];
const TOPICS = [
  "What are your opening hours on Saturday?",
  "I would like to move my appointment to next week.",
  "Can you tell me the price of a cleaning?",
  "My invoice shows the wrong amount.",
  "Is there parking near the practice?",
  "I need to cancel my appointment tomorrow.",
  "Do you accept new patients this month?",
];

export interface SeededHistory {
  calls: number;
  /** A word in exactly one call's transcript, and that call's id. */
  rareWord: string;
  rareCallId: string;
  /** A word in about a seventh of the transcripts. */
  commonWord: string;
  /** The caller number of the newest call. */
  newestCaller: string;
  seconds: number;
}

/** Writes `rows` finished calls (newest at `now`) with 2–3 transcript lines each, in one transaction. */
export function seedCallHistory(store: Store, rows: number, now = Date.now()): SeededHistory {
  const t0 = performance.now();
  const numbers = NUMBER_NAMES.map((name, i) => store.numbers.create({ phone_number: `+3120555000${i}`, name }).id);
  const insert = store.db.prepare(`INSERT INTO calls (id, status, direction, caller_phone, assistant_phone, number_id,
    agent_name, phone_number, end_reason, started_at, ended_at, duration_seconds, created_at, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const message = store.db.prepare("INSERT INTO call_messages (call_id, role, content, at) VALUES (?, ?, ?, ?)");
  const end = store.db.prepare("UPDATE calls SET status = ? WHERE id = ?");
  const rare = Math.floor(rows / 2);
  let newestCaller = "";
  store.tx(() => {
    for (let i = 0; i < rows; i++) {
      // Rows arrive in time order, as real calls do (rowid order follows created_at).
      const created = new Date(now - 365 * DAY + Math.floor(((i + 1) / rows) * 365 * DAY)).toISOString();
      const id = `call-${i.toString(36).padStart(8, "0")}`;
      const caller = `+3161${String((i * 7919) % 10_000_000).padStart(7, "0")}`;
      const n = i % NUMBER_NAMES.length;
      newestCaller = caller;
      insert.run(
        id,
        "in-progress",
        i % 4 ? "inbound" : "outbound",
        caller,
        `+3120555000${n}`,
        numbers[n],
        ASSISTANTS[i % ASSISTANTS.length],
        `+3120555000${n}`,
        "user_hangup",
        created,
        created,
        20 + (i % 600),
        created,
        created,
      );
      // As a call happens: its lines while live, then its end, which indexes its transcript once.
      message.run(id, "assistant", OPENERS[i % OPENERS.length], created);
      message.run(id, "user", TOPICS[i % TOPICS.length], created);
      if (i === rare) message.run(id, "user", "Also, my zebrafish tank needs a quote.", created);
      end.run(i % 10 === 3 ? "failed" : "ended", id);
    }
  });
  store.db.exec("ANALYZE");
  return {
    calls: rows,
    rareWord: "zebrafish",
    rareCallId: `call-${rare.toString(36).padStart(8, "0")}`,
    commonWord: "invoice",
    newestCaller,
    seconds: (performance.now() - t0) / 1000,
  };
}
