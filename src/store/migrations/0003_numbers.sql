-- Trunks, the number inventory, port-in requests and the notifications of
-- an account (docs/fax-service.md, "Numbers and trunks").

CREATE TABLE trunks (
  id              TEXT PRIMARY KEY,
  name            TEXT NOT NULL,
  peer            TEXT NOT NULL DEFAULT '',        -- "IP:PORT"; answered live for loopback
  username        TEXT,
  secret          TEXT,                            -- SIP digest password, never answered
  transport       TEXT NOT NULL DEFAULT 't38_first', -- t38_first | g711_only | t38_only
  max_calls       INTEGER NOT NULL DEFAULT 4,
  caller_id_rule  TEXT NOT NULL DEFAULT 'account_number', -- account_number | fixed:+E164
  prefixes        TEXT NOT NULL DEFAULT '[]',      -- JSON array of "+digits"
  status          TEXT NOT NULL DEFAULT 'active',  -- active | disabled
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);

-- The built-in trunk between numbers of this installation.
INSERT INTO trunks (id, name, transport, max_calls, created_at, updated_at)
  VALUES ('loopback', 'Loopback', 't38_first', 16, 0, 0);

CREATE TABLE numbers (
  number            TEXT PRIMARY KEY,              -- E.164
  trunk_id          TEXT NOT NULL REFERENCES trunks(id),
  country           TEXT NOT NULL DEFAULT '',      -- ISO 3166 alpha-2, '' when unknown
  status            TEXT NOT NULL DEFAULT 'available', -- available | assigned | quarantined | porting
  account_id        TEXT REFERENCES accounts(id),
  route_user_id     TEXT,                          -- NULL: the account's shared inbox
  assigned_at       INTEGER,
  released_at       INTEGER,
  quarantine_until  INTEGER,
  created_at        INTEGER NOT NULL
);
CREATE INDEX numbers_account ON numbers (account_id);
CREATE INDEX numbers_pick ON numbers (country, status);
CREATE INDEX numbers_trunk ON numbers (trunk_id);

CREATE TABLE port_requests (
  id                         TEXT PRIMARY KEY,
  account_id                 TEXT NOT NULL REFERENCES accounts(id),
  status                     TEXT NOT NULL,      -- submitted | in_progress | completed | rejected
  numbers                    TEXT NOT NULL,      -- JSON array of E.164 numbers
  losing_carrier             TEXT NOT NULL,
  account_number_at_carrier  TEXT,
  loa_document_id            TEXT,
  reason                     TEXT,
  trunk_id                   TEXT,
  created_by                 TEXT NOT NULL,
  created_at                 INTEGER NOT NULL,
  updated_at                 INTEGER NOT NULL
);
CREATE INDEX port_requests_account ON port_requests (account_id);
CREATE INDEX port_requests_status ON port_requests (status);

-- Messages to an account's people, recorded now and mailed later.
CREATE TABLE notifications (
  id          TEXT PRIMARY KEY,
  account_id  TEXT NOT NULL REFERENCES accounts(id),
  kind        TEXT NOT NULL,
  target      TEXT,
  subject_en  TEXT NOT NULL,
  subject_fr  TEXT NOT NULL,
  body_en     TEXT NOT NULL,
  body_fr     TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  sent_at     INTEGER
);
CREATE INDEX notifications_account ON notifications (account_id);
