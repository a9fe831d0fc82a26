-- Webhook deliveries and outgoing mail have been jobs of the queue since
-- migration 0062, whose leases are the jobs' own: the outboxes' lease
-- columns, written (cleared) and never read since, are dropped. The
-- Idempotency-Key answers are purged by age (api.idempotency_hours, the
-- retention sweep, oldest first): an index on created_at spares that purge
-- a scan of the whole table.
ALTER TABLE webhook_deliveries DROP COLUMN lease_node;
ALTER TABLE webhook_deliveries DROP COLUMN lease_until;
ALTER TABLE mail_outbox DROP COLUMN lease_node;
ALTER TABLE mail_outbox DROP COLUMN lease_until;
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
