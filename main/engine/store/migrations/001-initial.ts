// Migration 001: the initial schema. Kept as a TS string so it survives bundling (electron-vite) and tsx alike.
export default /* sql */ `
-- One local organization; everything else belongs to it implicitly.
CREATE TABLE organization (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  prefix TEXT NOT NULL,            -- first characters, shown in lists so a person can tell keys apart
  hash TEXT NOT NULL UNIQUE,       -- sha256 of the whole key; the key itself is never stored
  created_at TEXT NOT NULL,
  last_used_at TEXT,
  revoked_at TEXT
);

CREATE TABLE assistants (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  is_active INTEGER NOT NULL DEFAULT 1,
  config TEXT NOT NULL,            -- JSON of every Assistant field except id, name, secrets, timestamps
  webhook_secret_enc TEXT,         -- encrypted with the data dir's secret key
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE sip_trunks (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  provider TEXT,
  host TEXT NOT NULL,
  port INTEGER NOT NULL DEFAULT 5060,
  transport TEXT NOT NULL DEFAULT 'udp',
  auth_username TEXT,
  password_enc TEXT,
  extra TEXT NOT NULL DEFAULT '{}', -- JSON: register, outbound_proxy, ca, ...
  is_active INTEGER NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE numbers (
  id TEXT PRIMARY KEY,
  phone_number TEXT NOT NULL UNIQUE,
  name TEXT,
  assistant_id TEXT REFERENCES assistants(id) ON DELETE SET NULL,
  transfer_trunk_id TEXT REFERENCES sip_trunks(id) ON DELETE SET NULL,
  sip_trunk_id TEXT REFERENCES sip_trunks(id) ON DELETE SET NULL,
  workflow_id TEXT,
  source TEXT NOT NULL DEFAULT 'local',
  is_active INTEGER NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE calls (
  id TEXT PRIMARY KEY,
  status TEXT NOT NULL,
  direction TEXT NOT NULL,
  caller_phone TEXT,
  assistant_phone TEXT,
  agent_id TEXT,
  number_id TEXT,
  agent_name TEXT,
  business_name TEXT,
  phone_number TEXT,
  end_reason TEXT,
  error TEXT,
  started_at TEXT,
  ended_at TEXT,
  duration_seconds INTEGER,
  summary TEXT,
  analysis_result TEXT,            -- JSON
  recording_url TEXT,
  room_name TEXT,
  destination TEXT,
  assistant_config TEXT,           -- JSON: the resolved assistant for this call (secrets stripped)
  metadata TEXT,                   -- JSON
  metrics TEXT,                    -- JSON
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
-- The list endpoint filters on status and a created_at range and sorts newest first.
CREATE INDEX calls_created ON calls (created_at DESC, id DESC);
CREATE INDEX calls_status_created ON calls (status, created_at DESC, id DESC);

CREATE TABLE call_messages (
  id INTEGER PRIMARY KEY,
  call_id TEXT NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
  role TEXT NOT NULL,
  content TEXT NOT NULL,
  at TEXT NOT NULL
);
CREATE INDEX call_messages_call ON call_messages (call_id, id);

CREATE TABLE call_events (
  id INTEGER PRIMARY KEY,
  call_id TEXT NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
  type TEXT NOT NULL,
  data TEXT NOT NULL DEFAULT '{}',
  at TEXT NOT NULL
);
CREATE INDEX call_events_call ON call_events (call_id, id);

CREATE TABLE byok_keys (
  provider TEXT PRIMARY KEY,
  secret_id TEXT NOT NULL,
  api_key_enc TEXT NOT NULL,
  config TEXT NOT NULL DEFAULT '{}',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE analysis_templates (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  data TEXT NOT NULL,              -- JSON of the remaining fields
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE tool_templates (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  data TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

-- Webhook outbox: a row is written in the same transaction as the state change it reports,
-- so a crash can never lose an event that the API already acknowledged.
CREATE TABLE webhook_outbox (
  id TEXT PRIMARY KEY,             -- delivery id, sent as X-Webhook-Delivery: receivers de-duplicate on it
  call_id TEXT,
  event TEXT NOT NULL,
  url TEXT NOT NULL,
  body TEXT NOT NULL,              -- the exact bytes that are signed and sent
  secret_enc TEXT,
  status TEXT NOT NULL DEFAULT 'pending',  -- pending | delivered | failed
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT NOT NULL,
  last_error TEXT,
  last_status_code INTEGER,
  created_at TEXT NOT NULL,
  delivered_at TEXT
);
CREATE INDEX webhook_outbox_due ON webhook_outbox (status, next_attempt_at);
CREATE INDEX webhook_outbox_call ON webhook_outbox (call_id);

CREATE TABLE webhook_attempts (
  id INTEGER PRIMARY KEY,
  delivery_id TEXT NOT NULL REFERENCES webhook_outbox(id) ON DELETE CASCADE,
  attempt INTEGER NOT NULL,
  status_code INTEGER,
  error TEXT,
  duration_ms INTEGER NOT NULL,
  at TEXT NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, attempt);

CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`;
