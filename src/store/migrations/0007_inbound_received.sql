-- A received (inbound) fax is `received`, no longer `delivered` (a sent
-- fax's word). SQLite cannot change a CHECK constraint in place, so the
-- table is rebuilt as SQLite's ALTER TABLE documentation describes (the
-- migration runner turns foreign keys off while migrations run and checks
-- them before each commits).
CREATE TABLE faxes_next (
  id                   TEXT PRIMARY KEY,
  account_id           TEXT NOT NULL REFERENCES accounts(id),
  user_id              TEXT,
  direction            TEXT NOT NULL CHECK (direction IN ('outbound', 'inbound')),
  status               TEXT NOT NULL CHECK (status IN ('queued', 'rendering', 'sending',
                         'delivered', 'received', 'partial', 'failed', 'cancelled')),
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
INSERT INTO faxes_next SELECT * FROM faxes;
UPDATE faxes_next SET status = 'received' WHERE direction = 'inbound' AND status = 'delivered';
DROP TABLE faxes;
ALTER TABLE faxes_next RENAME TO faxes;
CREATE INDEX faxes_account ON faxes (account_id, direction);
CREATE INDEX faxes_due ON faxes (status, next_attempt_at);
