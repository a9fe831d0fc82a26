-- PostgreSQL twin of migrations/0032_account_closure.sql (BIGINT, a rowid
-- column: see 0021_schema.sql).
-- Account closure (P10): an account closed by its owner or an operator
-- waits out a grace period (status `closed` in accounts, state `closing`
-- here), during which it can be cancelled; then the fax service's periodic
-- pass destroys it (state `destroyed`): its key and every document key are
-- deleted (crypto-shredding), its content, secrets, sessions and API keys
-- go, its numbers are quarantined and its members deprovisioned. The
-- account row stays, and the deletion certificate (JSON) is kept here and
-- in the audit chain. One row per account: a cancelled closure is replaced
-- by the next one (the audit log keeps them all).
CREATE TABLE account_closures (
  rowid         BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  account_id    TEXT PRIMARY KEY REFERENCES accounts(id),
  state         TEXT NOT NULL CHECK (state IN ('closing', 'cancelled', 'destroyed')),
  prior_status  TEXT NOT NULL,           -- the account's status before, restored on cancel
  requested_by  TEXT NOT NULL,           -- principal id of who closed it
  requested_at  BIGINT NOT NULL,
  destroy_at    BIGINT NOT NULL,
  reason        TEXT,
  cancelled_by  TEXT,
  cancelled_at  BIGINT,
  destroyed_at  BIGINT,
  certificate   TEXT                     -- JSON, once destroyed
);
CREATE INDEX account_closures_due ON account_closures (state, destroy_at);
