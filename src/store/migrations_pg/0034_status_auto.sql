-- PostgreSQL twin of migrations/0034_status_auto.sql (BIGINT, a rowid
-- column per table: see 0021_schema.sql).
-- Status board, second part (issue 19, P13 and P14).
-- status_auto: the state each component's health checks and fax metrics give
-- it (trunk keep-alive, failure rate of a trunk's calls, mail relay), as the
-- service's periodic pass last computed it; a component pinned by an
-- operator (status_components) shows the operator's state instead.
CREATE TABLE status_auto (
  rowid       BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  id          TEXT PRIMARY KEY,   -- component id
  state       TEXT NOT NULL,
  reason      TEXT NOT NULL,      -- why, in English, for operators
  updated_at  BIGINT NOT NULL
);
-- Every change of a component's state, automatic or by an operator.
CREATE TABLE status_history (
  rowid       BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  id          TEXT PRIMARY KEY,
  component   TEXT NOT NULL,
  source      TEXT NOT NULL,      -- automatic | pin | unpin
  state       TEXT NOT NULL,      -- the state set (unpin: the automatic state again)
  reason      TEXT NOT NULL,
  actor       TEXT NOT NULL,
  created_at  BIGINT NOT NULL
);
CREATE INDEX status_history_component ON status_history (component, created_at);
-- The failure rate of a trunk's calls over a window.
CREATE INDEX fax_attempts_trunk_ended ON fax_attempts (trunk_id, ended_at);
-- Mail subscriptions of account contacts to chosen components: a mail on
-- every incident or maintenance update naming one of them; the unsubscribe
-- token is looked up by its hash, kept sealed for the mails that carry it,
-- and works once (the row goes).
CREATE TABLE status_subscriptions (
  rowid       BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  id          TEXT PRIMARY KEY,
  account_id  TEXT NOT NULL REFERENCES accounts(id),
  user_id     TEXT,               -- a member's own subscription (mail to that member)
  email       TEXT NOT NULL,
  name        TEXT NOT NULL,
  lang        TEXT NOT NULL,      -- en | fr
  components  TEXT NOT NULL,      -- JSON array of component ids
  token_hash  TEXT NOT NULL UNIQUE,
  token_sealed TEXT NOT NULL,      -- the same token sealed under the account's key, for the mails
  created_by  TEXT NOT NULL,
  created_at  BIGINT NOT NULL
);
CREATE INDEX status_subscriptions_account ON status_subscriptions (account_id);
-- Reminders of a maintenance window already mailed, e.g. "24h 1h".
ALTER TABLE status_incidents ADD COLUMN reminders TEXT NOT NULL DEFAULT '';
-- An account's security contacts: breach notices and status incident mails
-- also reach them.
CREATE TABLE security_contacts (
  rowid       BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  id          TEXT PRIMARY KEY,
  account_id  TEXT NOT NULL REFERENCES accounts(id),
  name        TEXT NOT NULL,
  email       TEXT NOT NULL,
  phone       TEXT NOT NULL DEFAULT '',
  lang        TEXT NOT NULL,      -- en | fr
  created_by  TEXT NOT NULL,
  created_at  BIGINT NOT NULL
);
CREATE INDEX security_contacts_account ON security_contacts (account_id);
