-- Platform core: partners, accounts, principals (people), invitations,
-- sessions, API keys, the audit chain and idempotency records.
-- Portable SQL: TEXT, INTEGER (64-bit), times as ms since the epoch (UTC).

CREATE TABLE partners (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  status      TEXT NOT NULL DEFAULT 'active',
  created_at  INTEGER NOT NULL
);

CREATE TABLE accounts (
  id                  TEXT PRIMARY KEY,
  name                TEXT NOT NULL,
  status              TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'closed')),
  regulatory_profile  TEXT NOT NULL DEFAULT 'none',
  partner_id          TEXT REFERENCES partners(id),
  owner_id            TEXT,
  created_at          INTEGER NOT NULL,
  updated_at          INTEGER NOT NULL
);
CREATE INDEX accounts_partner ON accounts (partner_id);

-- Every person who can log in: provider staff, partner staff, account members.
CREATE TABLE principals (
  id             TEXT PRIMARY KEY,
  kind           TEXT NOT NULL CHECK (kind IN ('provider', 'partner', 'account')),
  account_id     TEXT REFERENCES accounts(id),
  partner_id     TEXT REFERENCES partners(id),
  email          TEXT NOT NULL,
  name           TEXT NOT NULL,
  role           TEXT NOT NULL,
  permissions    TEXT NOT NULL DEFAULT '',
  status         TEXT NOT NULL CHECK (status IN ('invited', 'active', 'deprovisioned')),
  password_hash  TEXT,
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL
);
CREATE UNIQUE INDEX principals_email_live ON principals (email) WHERE status <> 'deprovisioned';
CREATE INDEX principals_account ON principals (account_id);
CREATE INDEX principals_partner ON principals (partner_id);

CREATE TABLE invitations (
  token_hash    TEXT PRIMARY KEY,
  principal_id  TEXT NOT NULL REFERENCES principals(id),
  expires_at    INTEGER NOT NULL,
  used_at       INTEGER
);
CREATE INDEX invitations_principal ON invitations (principal_id);

CREATE TABLE sessions (
  id            TEXT PRIMARY KEY,
  token_hash    TEXT NOT NULL UNIQUE,
  principal_id  TEXT NOT NULL REFERENCES principals(id),
  source        TEXT NOT NULL DEFAULT '',
  created_at    INTEGER NOT NULL,
  last_seen_at  INTEGER NOT NULL,
  expires_at    INTEGER NOT NULL,
  revoked_at    INTEGER
);
CREATE INDEX sessions_principal ON sessions (principal_id);

CREATE TABLE api_keys (
  id            TEXT PRIMARY KEY,
  account_id    TEXT NOT NULL REFERENCES accounts(id),
  creator_id    TEXT NOT NULL REFERENCES principals(id),
  name          TEXT NOT NULL,
  prefix        TEXT NOT NULL,
  secret_hash   TEXT NOT NULL UNIQUE,
  permissions   TEXT NOT NULL,
  expires_at    INTEGER,
  created_at    INTEGER NOT NULL,
  last_used_at  INTEGER,
  revoked_at    INTEGER
);
CREATE INDEX api_keys_account ON api_keys (account_id);
CREATE INDEX api_keys_creator ON api_keys (creator_id);

-- The tamper-evident audit log: each event carries the hash of the one before.
CREATE TABLE audit_events (
  seq           INTEGER PRIMARY KEY,
  id            TEXT NOT NULL UNIQUE,
  time          INTEGER NOT NULL,
  actor_id      TEXT NOT NULL,
  actor_type    TEXT NOT NULL,
  on_behalf_of  TEXT NOT NULL DEFAULT '',
  action        TEXT NOT NULL,
  target        TEXT NOT NULL DEFAULT '',
  account_id    TEXT NOT NULL DEFAULT '',
  source        TEXT NOT NULL DEFAULT '',
  outcome       TEXT NOT NULL,
  detail        TEXT NOT NULL DEFAULT '{}',
  prev_hash     TEXT NOT NULL,
  hash          TEXT NOT NULL
);
CREATE INDEX audit_account_seq ON audit_events (account_id, seq);

CREATE TABLE idempotency_keys (
  principal_id  TEXT NOT NULL,
  key           TEXT NOT NULL,
  request_hash  TEXT NOT NULL,
  status        INTEGER NOT NULL,
  body          TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  PRIMARY KEY (principal_id, key)
);
