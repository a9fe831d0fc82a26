-- PostgreSQL twin of migrations/0063_outbox_leases_idem_index.sql: the
-- outboxes' unused lease columns dropped, the Idempotency-Key answers
-- indexed by age for their purge.
ALTER TABLE webhook_deliveries DROP COLUMN lease_node;
ALTER TABLE webhook_deliveries DROP COLUMN lease_until;
ALTER TABLE mail_outbox DROP COLUMN lease_node;
ALTER TABLE mail_outbox DROP COLUMN lease_until;
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
