-- The periodic sweeps on the job queue (src/queue/sweep.h): each sweep is
-- one recurring job of kind 'sweep' whose ref is the sweep's name, queued
-- again by the run that ends it. At most one queued or running job per
-- sweep, whichever nodes enqueue at their start (INSERT ... ON CONFLICT DO
-- NOTHING against this index): two nodes never run the same sweep at once.
CREATE UNIQUE INDEX jobs_sweep_once ON jobs (kind, ref)
  WHERE kind = 'sweep' AND state IN ('queued', 'running');
