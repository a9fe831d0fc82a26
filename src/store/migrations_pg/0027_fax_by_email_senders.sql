-- PostgreSQL twin of migrations/0027_fax_by_email_senders.sql (BIGINT, a
-- rowid column: see 0021_schema.sql).
-- fax_mail_senders: the per-sender limit (mail.sender_max_per_hour), counted
-- in the database so that it holds across SMTP front ends, restarts and
-- nodes. One row per sender address seen in the current clock hour: sender
-- is the SHA-256 (hex) of the lower-cased From address (no address at rest),
-- window_hour the hour number (ms / 3600000), mails the mails it handed
-- over in that hour, refused ones included. Rows of earlier hours are
-- deleted as mail arrives.
CREATE TABLE fax_mail_senders (
  rowid        BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  sender       TEXT PRIMARY KEY,
  window_hour  BIGINT NOT NULL,
  mails        BIGINT NOT NULL
);
CREATE INDEX fax_mail_senders_hour ON fax_mail_senders (window_hour);

-- fax_mail_reports: faxes that came by e-mail and whose sender gets a
-- delivery report when they end. Written with the fax, taken (deleted) in
-- the transaction that ends the fax and queues the report. No foreign key:
-- erasing a fax must not depend on this table.
CREATE TABLE fax_mail_reports (
  rowid       BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  fax_id      TEXT PRIMARY KEY,
  created_at  BIGINT NOT NULL
);
