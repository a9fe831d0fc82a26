-- PostgreSQL twin of migrations/0066_sweep_jobs.sql.
CREATE UNIQUE INDEX jobs_sweep_once ON jobs (kind, ref)
  WHERE kind = 'sweep' AND state IN ('queued', 'running');
