-- Webhooks: per-account subscriptions, the events they are sent, and the
-- outbox of deliveries (one per event and subscription) that the sender
-- thread drains. See docs/fax-service.md.

CREATE TABLE webhooks (
  id            TEXT PRIMARY KEY,
  account_id    TEXT NOT NULL REFERENCES accounts(id),
  url           TEXT NOT NULL,
  events        TEXT NOT NULL,          -- comma-separated event types
  description   TEXT NOT NULL DEFAULT '',
  status        TEXT NOT NULL,          -- active | disabled
  secret        TEXT NOT NULL,          -- whsec_…, needed in clear to sign
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  deleted_at    INTEGER
);
CREATE INDEX webhooks_account ON webhooks (account_id);

CREATE TABLE webhook_events (
  id            TEXT PRIMARY KEY,       -- msg_…, the webhook-id header
  account_id    TEXT NOT NULL REFERENCES accounts(id),
  type          TEXT NOT NULL,
  payload       TEXT NOT NULL,          -- the exact body that is signed and sent
  created_at    INTEGER NOT NULL
);

CREATE TABLE webhook_deliveries (
  id               TEXT PRIMARY KEY,
  webhook_id       TEXT NOT NULL REFERENCES webhooks(id),
  event_id         TEXT NOT NULL REFERENCES webhook_events(id),
  account_id       TEXT NOT NULL REFERENCES accounts(id),
  status           TEXT NOT NULL,       -- pending | delivered | failed
  attempts         INTEGER NOT NULL DEFAULT 0,
  last_status_code INTEGER,
  last_error       TEXT,
  next_attempt_at  INTEGER NOT NULL,
  delivered_at     INTEGER,
  created_at       INTEGER NOT NULL,
  lease_node       TEXT,               -- the node sending it now, until lease_until
  lease_until      INTEGER
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id);
