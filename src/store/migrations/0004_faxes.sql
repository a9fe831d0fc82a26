-- Faxes: encrypted documents and the keys that open them, fax jobs with
-- their pages and attempts (the attempts are the CDRs), submissions being
-- rendered, and the provider's rate table. See docs/fax-service.md.

-- One key per account, wrapped by the master key (hex of VAULT_WRAPPED_LEN bytes).
CREATE TABLE account_keys (
  account_id   TEXT PRIMARY KEY REFERENCES accounts(id),
  wrapped_key  TEXT NOT NULL,
  created_at   INTEGER NOT NULL
);

-- A document's blob is DATA_DIR/docs/ID.fvb; wrapped_key (hex, wrapped by
-- the account key) is the only way to open it. kind: original (an uploaded
-- file), fax (rendered TIFF-F of a submission), received (inbound TIFF-F),
-- loa (letter of authorization), ...
CREATE TABLE documents (
  id           TEXT PRIMARY KEY,
  account_id   TEXT NOT NULL REFERENCES accounts(id),
  kind         TEXT NOT NULL,
  size         INTEGER NOT NULL,
  pages        INTEGER,
  wrapped_key  TEXT NOT NULL,
  created_at   INTEGER NOT NULL
);
CREATE INDEX documents_account ON documents (account_id);

-- A submission between its acceptance and the end of its rendering: its
-- originals (JSON array of document ids) and its rendering options (JSON).
-- Gone once the faxes are queued (or failed).
CREATE TABLE submissions (
  id           TEXT PRIMARY KEY,
  account_id   TEXT NOT NULL REFERENCES accounts(id),
  user_id      TEXT,
  originals    TEXT NOT NULL,
  options      TEXT NOT NULL,
  created_at   INTEGER NOT NULL
);

CREATE TABLE faxes (
  id                   TEXT PRIMARY KEY,
  account_id           TEXT NOT NULL REFERENCES accounts(id),
  user_id              TEXT,
  direction            TEXT NOT NULL CHECK (direction IN ('outbound', 'inbound')),
  status               TEXT NOT NULL CHECK (status IN ('queued', 'rendering', 'sending',
                         'delivered', 'partial', 'failed', 'cancelled')),
  from_number          TEXT NOT NULL DEFAULT '',
  to_number            TEXT NOT NULL,
  trunk_id             TEXT,
  doc_id               TEXT,
  submission_id        TEXT,
  page_count           INTEGER NOT NULL DEFAULT 0,
  pages_confirmed      INTEGER NOT NULL DEFAULT 0,
  resolution           TEXT NOT NULL DEFAULT 'fine',
  header_text          TEXT,
  cover_subject        TEXT,
  send_at              INTEGER,
  retries              INTEGER NOT NULL DEFAULT 3,
  retry_delay_seconds  INTEGER NOT NULL DEFAULT 300,
  attempts_made        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at      INTEGER,
  next_ecm             INTEGER NOT NULL DEFAULT 1,
  next_max_rate        INTEGER NOT NULL DEFAULT 14400,
  failure_class        TEXT,
  failure_reason       TEXT,
  estimated_cost       INTEGER NOT NULL DEFAULT 0,
  cost                 INTEGER,
  currency             TEXT NOT NULL DEFAULT 'EUR',
  resent_from          TEXT,
  created_at           INTEGER NOT NULL,
  updated_at           INTEGER NOT NULL,
  completed_at         INTEGER
);
CREATE INDEX faxes_account ON faxes (account_id, direction);
CREATE INDEX faxes_due ON faxes (status, next_attempt_at);

-- Per-page status: queued, confirmed, failed (final, not confirmed),
-- received, bad (received with errors).
CREATE TABLE fax_pages (
  fax_id   TEXT NOT NULL REFERENCES faxes(id),
  page     INTEGER NOT NULL,
  status   TEXT NOT NULL,
  PRIMARY KEY (fax_id, page)
);

-- One row per call attempt: the CDR.
CREATE TABLE fax_attempts (
  id               TEXT PRIMARY KEY,
  fax_id           TEXT NOT NULL REFERENCES faxes(id),
  account_id       TEXT NOT NULL REFERENCES accounts(id),
  user_id          TEXT,
  attempt          INTEGER NOT NULL,
  direction        TEXT NOT NULL,
  from_number      TEXT NOT NULL DEFAULT '',
  to_number        TEXT NOT NULL DEFAULT '',
  trunk_id         TEXT,
  node             TEXT,
  result           TEXT NOT NULL CHECK (result IN ('in_progress', 'ok', 'partial', 'failed',
                     'interrupted')),
  started_at       INTEGER NOT NULL,
  answered_at      INTEGER,
  ended_at         INTEGER,
  duration_ms      INTEGER,
  pages_sent       INTEGER NOT NULL DEFAULT 0,
  pages_confirmed  INTEGER NOT NULL DEFAULT 0,
  first_page       INTEGER NOT NULL DEFAULT 1,
  transport        TEXT,
  bit_rate         INTEGER,
  ecm              INTEGER,
  remote_ident     TEXT,
  t30_code         INTEGER,
  t30_text         TEXT,
  failure_class    TEXT,
  cost             INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX fax_attempts_fax ON fax_attempts (fax_id, attempt);
CREATE INDEX fax_attempts_account ON fax_attempts (account_id, started_at);
CREATE INDEX fax_attempts_open ON fax_attempts (result, node);

-- The provider's price per page by destination prefix (minor units).
CREATE TABLE rates (
  prefix          TEXT PRIMARY KEY,
  price_per_page  INTEGER NOT NULL,
  currency        TEXT NOT NULL
);
