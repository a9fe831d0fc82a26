-- SafeBoxes (issue 16): secure exchanges of messages and files between an
-- account member (the owner of the box) and participants, account members
-- or guests outside the account. Message bodies and files are documents
-- (encrypted under their own keys, see docs.h); these tables hold what
-- they point to. A deleted box stays as a tombstone with its events; its
-- participants, messages and files go, their documents crypto-shredded.
CREATE TABLE safeboxes (
  id                TEXT PRIMARY KEY,
  account_id        TEXT NOT NULL REFERENCES accounts(id),
  owner_id          TEXT NOT NULL,
  subject           TEXT NOT NULL,
  status            TEXT NOT NULL DEFAULT 'open',  -- open, closed
  expires_at        INTEGER NOT NULL,
  legal_hold_reason TEXT,
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL,
  closed_at         INTEGER,
  deleted_at        INTEGER
);
CREATE INDEX safeboxes_account ON safeboxes (account_id, created_at) WHERE deleted_at IS NULL;
CREATE INDEX safeboxes_owner ON safeboxes (owner_id) WHERE deleted_at IS NULL;

-- A participant: a member of the account (principal_id set) or a guest.
-- A guest opens the box by a link holding a token (stored hashed), then
-- proves the address with a one-time code mailed to it (stored hashed,
-- single use, short-lived, a few attempts before the link is locked).
CREATE TABLE safebox_participants (
  id               TEXT PRIMARY KEY,
  safebox_id       TEXT NOT NULL REFERENCES safeboxes(id),
  account_id       TEXT NOT NULL,
  email            TEXT NOT NULL,
  kind             TEXT NOT NULL,                  -- member, guest
  principal_id     TEXT,
  status           TEXT NOT NULL DEFAULT 'active', -- active, revoked
  token_hash       TEXT UNIQUE,
  code_hash        TEXT,
  code_expires_at  INTEGER,
  code_attempts    INTEGER NOT NULL DEFAULT 0,
  locked_at        INTEGER,
  verified_at      INTEGER,
  created_at       INTEGER NOT NULL,
  revoked_at       INTEGER,
  UNIQUE (safebox_id, email)
);
CREATE INDEX safebox_participants_principal ON safebox_participants (principal_id)
  WHERE principal_id IS NOT NULL;

-- A guest's session after verification (cookie, stored hashed): that box only.
CREATE TABLE safebox_guest_sessions (
  id             TEXT PRIMARY KEY,
  token_hash     TEXT NOT NULL UNIQUE,
  participant_id TEXT NOT NULL REFERENCES safebox_participants(id),
  safebox_id     TEXT NOT NULL,
  account_id     TEXT NOT NULL,
  expires_at     INTEGER NOT NULL,
  created_at     INTEGER NOT NULL
);

CREATE TABLE safebox_messages (
  id           TEXT PRIMARY KEY,
  safebox_id   TEXT NOT NULL REFERENCES safeboxes(id),
  account_id   TEXT NOT NULL,
  author_kind  TEXT NOT NULL,  -- member, guest
  author_id    TEXT NOT NULL,  -- principal id or participant id
  author_email TEXT NOT NULL,
  doc_id       TEXT NOT NULL,  -- the body, encrypted
  size         INTEGER NOT NULL,
  created_at   INTEGER NOT NULL
);
CREATE INDEX safebox_messages_box ON safebox_messages (safebox_id, created_at);

CREATE TABLE safebox_files (
  id           TEXT PRIMARY KEY,
  safebox_id   TEXT NOT NULL REFERENCES safeboxes(id),
  account_id   TEXT NOT NULL,
  author_kind  TEXT NOT NULL,
  author_id    TEXT NOT NULL,
  author_email TEXT NOT NULL,
  doc_id       TEXT NOT NULL,
  filename     TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size         INTEGER NOT NULL,
  created_at   INTEGER NOT NULL
);
CREATE INDEX safebox_files_box ON safebox_files (safebox_id, created_at);

-- What happened in a box, for its owner (each is also an audit event).
CREATE TABLE safebox_events (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  safebox_id  TEXT NOT NULL,
  account_id  TEXT NOT NULL,
  type        TEXT NOT NULL,
  actor_kind  TEXT NOT NULL,  -- member, guest, system
  actor       TEXT NOT NULL,  -- principal id, participant e-mail, or system actor
  detail      TEXT,
  created_at  INTEGER NOT NULL
);
CREATE INDEX safebox_events_box ON safebox_events (safebox_id, seq);

-- The account's SafeBox profile (JSON), chosen by an administrator.
CREATE TABLE safebox_profiles (
  account_id  TEXT PRIMARY KEY REFERENCES accounts(id),
  profile     TEXT NOT NULL,
  updated_at  INTEGER NOT NULL
);
