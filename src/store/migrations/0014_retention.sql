-- Retention (C09): how long an account keeps its faxes, and legal holds
-- that stop both the retention sweep and deletion on demand. A missing row
-- or a NULL number of days means "keep".
CREATE TABLE retention_policies (
  account_id         TEXT PRIMARY KEY REFERENCES accounts(id),
  inbound_fax_days   INTEGER,
  outbound_fax_days  INTEGER,
  safebox_days       INTEGER,
  legal_hold         INTEGER NOT NULL DEFAULT 0,
  legal_hold_reason  TEXT,
  updated_at         INTEGER NOT NULL
);
-- A hold on one fax (its reason; NULL: not held).
ALTER TABLE faxes ADD COLUMN legal_hold_reason TEXT;
CREATE INDEX faxes_retention ON faxes (account_id, direction, created_at)
  WHERE deleted_at IS NULL;
