-- Partners and provider staff acting on customer accounts (R01-R03, C18,
-- P06, P11).
--
-- A consent: the owner of an account lets the staff of one partner hold a
-- scope of the administrator powers on it, from starts_at until expires_at
-- (or revoked_at). scope is the space-separated permission names;
-- full_scope says the owner chose "full". The signer, the version of the
-- text they agreed to and how (method) are kept with it.
CREATE TABLE consents (
  id              TEXT PRIMARY KEY,
  account_id      TEXT NOT NULL REFERENCES accounts(id),
  partner_id      TEXT NOT NULL REFERENCES partners(id),
  scope           TEXT NOT NULL,
  full_scope      INTEGER NOT NULL DEFAULT 0,
  starts_at       INTEGER NOT NULL,
  expires_at      INTEGER NOT NULL,
  signer_id       TEXT NOT NULL REFERENCES principals(id),
  text_version    TEXT NOT NULL,
  method          TEXT NOT NULL CHECK (method IN ('in-session', 'letter')),
  mfa_checked     INTEGER NOT NULL DEFAULT 0,
  created_at      INTEGER NOT NULL,
  revoked_at      INTEGER,
  revoked_by      TEXT,
  first_used_at   INTEGER,
  end_notified_at INTEGER
);
CREATE INDEX consents_account ON consents (account_id, partner_id, expires_at);
CREATE INDEX consents_ending ON consents (expires_at) WHERE end_notified_at IS NULL;

-- A support access grant: a provider staff member asks for one scope on one
-- account for a while, with a reason; the owner or an administrator approves
-- (or refuses); break-glass grants of operators start at once.
CREATE TABLE access_grants (
  id            TEXT PRIMARY KEY,
  account_id    TEXT NOT NULL REFERENCES accounts(id),
  staff_id      TEXT NOT NULL REFERENCES principals(id),
  scope         TEXT NOT NULL CHECK (scope IN ('config.read', 'data.read', 'admin')),
  reason        TEXT NOT NULL,
  duration_min  INTEGER NOT NULL,
  break_glass   INTEGER NOT NULL DEFAULT 0,
  status        TEXT NOT NULL CHECK (status IN ('requested', 'approved', 'refused', 'revoked')),
  requested_at  INTEGER NOT NULL,
  decided_at    INTEGER,
  decided_by    TEXT,
  starts_at     INTEGER,
  expires_at    INTEGER
);
CREATE INDEX access_grants_account ON access_grants (account_id, requested_at);

-- What the provider lets a partner do by itself (R01): how many accounts
-- it may provision (NULL: no self-service).
ALTER TABLE partners ADD COLUMN max_accounts INTEGER;
