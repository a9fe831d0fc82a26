-- PostgreSQL twin of migrations/0026_security_incidents.sql (BIGINT, a
-- rowid column per table: see 0021_schema.sql).
-- Security incidents (P03) and breach notices (P14): an operator's record
-- with a timeline, the accounts it affects, the regulatory clocks that run
-- from its detection when personal data may have been disclosed, and the
-- notice each affected account received and acknowledged.
CREATE TABLE security_incidents (
  rowid          BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  id             TEXT PRIMARY KEY,
  title          TEXT NOT NULL,
  description    TEXT NOT NULL,
  severity       TEXT NOT NULL,      -- low | medium | high | critical
  status         TEXT NOT NULL,      -- open | investigating | contained | closed
  personal_data  BIGINT NOT NULL,   -- 1: personal data may have been disclosed (clocks run)
  detected_at    BIGINT NOT NULL,
  alerts         TEXT NOT NULL DEFAULT '', -- clock alerts already raised, e.g. "gdpr_72h:warning"
  created_by     TEXT NOT NULL,
  created_at     BIGINT NOT NULL,
  updated_at     BIGINT NOT NULL,
  closed_at      BIGINT
);
CREATE INDEX security_incidents_open ON security_incidents (closed_at, created_at);
CREATE TABLE security_incident_events (
  rowid          BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  id           TEXT PRIMARY KEY,
  incident_id  TEXT NOT NULL REFERENCES security_incidents(id),
  kind         TEXT NOT NULL,        -- created | update | accounts | notice | acknowledged | clock
  status       TEXT NOT NULL,
  message      TEXT NOT NULL,
  created_by   TEXT NOT NULL,
  created_at   BIGINT NOT NULL
);
CREATE INDEX security_incident_events_incident ON security_incident_events (incident_id, created_at);
CREATE TABLE security_incident_accounts (
  rowid          BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  incident_id      TEXT NOT NULL REFERENCES security_incidents(id),
  account_id       TEXT NOT NULL REFERENCES accounts(id),
  reason           TEXT NOT NULL,    -- how it was found: the trunk and window, or "listed"
  added_at         BIGINT NOT NULL,
  notice_id        TEXT,             -- the breach notice it received, if any
  notified_at      BIGINT,
  acknowledged_at  BIGINT,
  acknowledged_by  TEXT,
  PRIMARY KEY (incident_id, account_id)
);
CREATE INDEX security_incident_accounts_account ON security_incident_accounts (account_id, added_at);
CREATE TABLE breach_notices (
  rowid          BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  id           TEXT PRIMARY KEY,
  incident_id  TEXT NOT NULL REFERENCES security_incidents(id),
  account_id   TEXT NOT NULL REFERENCES accounts(id),
  text_en      TEXT NOT NULL,
  text_fr      TEXT NOT NULL,
  sent_by      TEXT NOT NULL,
  sent_at      BIGINT NOT NULL
);
CREATE INDEX breach_notices_account ON breach_notices (account_id, sent_at);
