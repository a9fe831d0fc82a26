-- Fax sends on the job queue (docs/fax-service.md): each outbound fax that
-- is queued or sending has one job of kind 'send' whose ref is the fax id,
-- enqueued in the transaction that makes the fax queued (INSERT ... ON
-- CONFLICT DO NOTHING against this index), queued again by its run while
-- the fax is not final: one run of a fax's send at a time among the nodes.
CREATE UNIQUE INDEX jobs_send_once ON jobs (kind, ref)
  WHERE kind = 'send' AND state IN ('queued', 'running');
