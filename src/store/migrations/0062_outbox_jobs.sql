-- Webhook deliveries and outgoing mail are jobs of the queue (kinds
-- "webhook" and "mail", src/faxsvc/webhook_sender.c, src/mail/mail_sender.c):
-- each pending delivery and message of the outboxes at upgrade time gets
-- its job, due when the row was, with the attempts it has made. The rows
-- stay the delivery logs; their lease columns are no longer used.
INSERT INTO jobs (id, kind, account_id, ref, payload, state, attempts, max_attempts,
  run_after, created_at, updated_at)
SELECT 'job_' || id, 'webhook', account_id, id, '{"delivery_id":"' || id || '"}', 'queued',
  attempts, 8, next_attempt_at, created_at, created_at
FROM webhook_deliveries WHERE status = 'pending';
INSERT INTO jobs (id, kind, account_id, ref, payload, state, attempts, max_attempts,
  run_after, created_at, updated_at)
SELECT 'job_' || id, 'mail', account_id, id, '{"mail_id":"' || id || '"}', 'queued',
  attempts, 8, next_attempt_at, created_at, created_at
FROM mail_outbox WHERE status = 'pending';
