-- Requests from a customer (or its partner) to the provider: fraud and
-- suspicious-use reports (C17, R04), penetration-test authorizations (C15)
-- and traffic-forecast notices (C16), each with its own fields (JSON text,
-- checked by the domain) and a timeline of status changes, operators'
-- answers included.
CREATE TABLE provider_requests (
  id          TEXT PRIMARY KEY,
  account_id  TEXT NOT NULL REFERENCES accounts(id),
  kind        TEXT NOT NULL,      -- fraud | pentest | forecast
  status      TEXT NOT NULL,      -- see docs/provider-duties.md for each kind
  fields      TEXT NOT NULL,      -- JSON object, per kind
  created_by  TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  closed_at   INTEGER
);
CREATE INDEX provider_requests_account ON provider_requests (account_id, kind, created_at);
CREATE INDEX provider_requests_open ON provider_requests (kind, closed_at, created_at);
CREATE TABLE provider_request_events (
  id          TEXT PRIMARY KEY,
  request_id  TEXT NOT NULL REFERENCES provider_requests(id),
  status      TEXT NOT NULL,
  message     TEXT NOT NULL,
  created_by  TEXT NOT NULL,
  created_at  INTEGER NOT NULL
);
CREATE INDEX provider_request_events_request ON provider_request_events (request_id, created_at);
