-- PostgreSQL twin of migrations/0024_scim.sql (BIGINT, a rowid column per
-- table: see 0021_schema.sql).
-- SCIM 2.0 provisioning (issue 17, C05): the account's SCIM bearer tokens
-- (stored hashed, like API keys; permissions fixed at creation, never more
-- than the creator holds), and what SCIM knows of the people it provisions
-- beside their principal record: externalId and the other attributes of
-- the User resource (JSON text). A person deactivated by SCIM keeps this
-- row (and shows as active=false); a SCIM DELETE removes it.

CREATE TABLE scim_tokens (
  rowid         BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  id            TEXT PRIMARY KEY,
  account_id    TEXT NOT NULL REFERENCES accounts(id),
  creator_id    TEXT NOT NULL REFERENCES principals(id),
  name          TEXT NOT NULL,
  prefix        TEXT NOT NULL,
  secret_hash   TEXT NOT NULL UNIQUE,
  permissions   TEXT NOT NULL,
  created_at    BIGINT NOT NULL,
  last_used_at  BIGINT,
  revoked_at    BIGINT
);
CREATE INDEX scim_tokens_account ON scim_tokens (account_id);

CREATE TABLE scim_users (
  rowid         BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  principal_id  TEXT PRIMARY KEY REFERENCES principals(id),
  account_id    TEXT NOT NULL REFERENCES accounts(id),
  external_id   TEXT,
  attrs         TEXT NOT NULL DEFAULT '{}',
  created_at    BIGINT NOT NULL,
  updated_at    BIGINT NOT NULL
);
CREATE INDEX scim_users_account ON scim_users (account_id);
