// Migration 005: outbound campaigns (api-v1 §15), their leads, and the do-not-call list (local addition).
// A lead's `attempt_call_id` is written in the same transaction that creates its call row, so a crash
// between the two cannot leave one without the other (docs/decisions.md "Campaign dispatcher").
export default /* sql */ `
CREATE TABLE campaigns (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  status TEXT NOT NULL,
  system_message_template TEXT,
  schedule_start_time TEXT NOT NULL,
  schedule_end_time TEXT NOT NULL,
  timezone TEXT NOT NULL,
  weekdays TEXT NOT NULL,             -- JSON array of 1..7 (ISO: Monday = 1)
  max_concurrency INTEGER NOT NULL,
  calls_per_second REAL NOT NULL,
  number_id TEXT,
  last_error TEXT,                    -- why the dispatcher paused it (no trunk, assistant gone…)
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE campaign_leads (
  id TEXT PRIMARY KEY,
  campaign_id TEXT NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
  phone_number TEXT NOT NULL,
  name TEXT,
  variables TEXT NOT NULL,            -- JSON string map
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_attempt_at TEXT,
  next_attempt_at TEXT,               -- earliest time of the next attempt (retry policy); NULL = now
  call_id TEXT,
  last_outcome TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (campaign_id, phone_number)
);
CREATE INDEX campaign_leads_status ON campaign_leads (campaign_id, status, next_attempt_at);

CREATE TABLE do_not_call (
  phone_number TEXT PRIMARY KEY,
  reason TEXT,
  created_at TEXT NOT NULL
);
`;
