-- PostgreSQL twin of migrations/0067_send_jobs.sql.
CREATE UNIQUE INDEX jobs_send_once ON jobs (kind, ref)
  WHERE kind = 'send' AND state IN ('queued', 'running');
