-- PostgreSQL twin of migrations/0054_jobs.sql (BIGINT times).
CREATE TABLE jobs (
  rowid        BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  id           TEXT PRIMARY KEY,
  kind         TEXT NOT NULL,
  account_id   TEXT,
  ref          TEXT,
  payload      TEXT NOT NULL DEFAULT '{}',
  state        TEXT NOT NULL DEFAULT 'queued',
  attempts     BIGINT NOT NULL DEFAULT 0,
  max_attempts BIGINT NOT NULL DEFAULT 5,
  run_after    BIGINT NOT NULL,
  lease_node   TEXT,
  lease_until  BIGINT,
  last_error   TEXT,
  progress     TEXT,
  created_at   BIGINT NOT NULL,
  updated_at   BIGINT NOT NULL,
  finished_at  BIGINT
);
CREATE INDEX jobs_due ON jobs (state, kind, run_after);
CREATE INDEX jobs_account ON jobs (account_id, kind);
CREATE INDEX jobs_ref ON jobs (ref, kind);
