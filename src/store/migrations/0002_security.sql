-- Customer security controls: per-account settings, password history and
-- lockout, second factor, terms of service, contacts review, reset tokens.

CREATE TABLE account_settings (
  account_id             TEXT PRIMARY KEY REFERENCES accounts(id),
  security               TEXT NOT NULL DEFAULT '{}',
  contacts_confirmed_at  INTEGER,
  updated_at             INTEGER NOT NULL
);

ALTER TABLE principals ADD COLUMN password_changed_at INTEGER;
ALTER TABLE principals ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE principals ADD COLUMN locked_until INTEGER;
ALTER TABLE principals ADD COLUMN last_login_at INTEGER;
ALTER TABLE principals ADD COLUMN totp_secret TEXT;
ALTER TABLE principals ADD COLUMN totp_confirmed_at INTEGER;
ALTER TABLE principals ADD COLUMN totp_last_step INTEGER;
ALTER TABLE principals ADD COLUMN lang TEXT;

CREATE TABLE password_history (
  principal_id  TEXT NOT NULL REFERENCES principals(id),
  hash          TEXT NOT NULL,
  created_at    INTEGER NOT NULL
);
CREATE INDEX password_history_principal ON password_history (principal_id, created_at);

CREATE TABLE recovery_codes (
  principal_id  TEXT NOT NULL REFERENCES principals(id),
  code_hash     TEXT NOT NULL,
  used_at       INTEGER,
  PRIMARY KEY (principal_id, code_hash)
);

-- Failed logins per source address, for the per-address lockout.
CREATE TABLE login_failures (
  source        TEXT PRIMARY KEY,
  failures      INTEGER NOT NULL,
  first_at      INTEGER NOT NULL,
  locked_until  INTEGER
);

CREATE TABLE terms (
  version       TEXT PRIMARY KEY,
  text_en       TEXT NOT NULL,
  text_fr       TEXT NOT NULL,
  published_at  INTEGER NOT NULL,
  published_by  TEXT NOT NULL
);

CREATE TABLE terms_acceptances (
  principal_id  TEXT NOT NULL REFERENCES principals(id),
  version       TEXT NOT NULL REFERENCES terms(version),
  accepted_at   INTEGER NOT NULL,
  source        TEXT NOT NULL,
  PRIMARY KEY (principal_id, version)
);

CREATE TABLE password_resets (
  token_hash    TEXT PRIMARY KEY,
  principal_id  TEXT NOT NULL REFERENCES principals(id),
  expires_at    INTEGER NOT NULL,
  used_at       INTEGER
);
