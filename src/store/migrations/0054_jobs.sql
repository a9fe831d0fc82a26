-- The job queue (src/queue, docs/architecture.md "The job queue"): one row
-- per job of a kind (render, gdpr_export, ...) with its payload (JSON text),
-- state (queued, running, done, failed), attempts made, when it may run
-- (run_after, ms), the lease of the node running it (lease_node until
-- lease_until: once passed, any node may claim it again), its last error,
-- and progress (JSON text a handler records as it goes, so that a job
-- resumed after a crash does not repeat what was committed). account_id
-- scopes what a tenant may read of it; ref names what the job is about (a
-- submission's id for a render), so that others can find it.
CREATE TABLE jobs (
  id           TEXT PRIMARY KEY,
  kind         TEXT NOT NULL,
  account_id   TEXT,
  ref          TEXT,
  payload      TEXT NOT NULL DEFAULT '{}',
  state        TEXT NOT NULL DEFAULT 'queued',
  attempts     INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL DEFAULT 5,
  run_after    INTEGER NOT NULL,
  lease_node   TEXT,
  lease_until  INTEGER,
  last_error   TEXT,
  progress     TEXT,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  finished_at  INTEGER
);
CREATE INDEX jobs_due ON jobs (state, kind, run_after);
CREATE INDEX jobs_account ON jobs (account_id, kind);
CREATE INDEX jobs_ref ON jobs (ref, kind);
