-- PostgreSQL twin of migrations/0044_mail_bounces.sql (BIGINT times).
ALTER TABLE mail_outbox ADD COLUMN bounce_action TEXT;
ALTER TABLE mail_outbox ADD COLUMN bounce_status TEXT;
ALTER TABLE mail_outbox ADD COLUMN bounce_diagnostic TEXT;
ALTER TABLE mail_outbox ADD COLUMN bounced_at BIGINT;
ALTER TABLE principals ADD COLUMN mail_bounced_at BIGINT;
ALTER TABLE principals ADD COLUMN mail_bounce_status TEXT;
ALTER TABLE principals ADD COLUMN mail_bounced_addr TEXT;
