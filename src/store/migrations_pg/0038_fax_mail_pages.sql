-- PostgreSQL twin of migrations/0038_fax_mail_pages.sql (BIGINT, a rowid
-- column: see 0021_schema.sql).
-- Fax by e-mail's per-sender page quota (mail.sender_max_pages_per_day):
-- each fax made from a mail, with its sender (the SHA-256, hex, of the
-- lower-cased From address, as fax_mail_senders keeps it: no address at
-- rest) and the day it was submitted (ms / 86400000, UTC). The pages are
-- the faxes' own page_count, read by a join, so that a fax counts once it
-- is rendered. Rows of earlier days are deleted as mail arrives. No foreign
-- key: erasing a fax must not depend on this table.
CREATE TABLE fax_mail_pages (
  rowid   BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  fax_id  TEXT PRIMARY KEY,
  sender  TEXT NOT NULL,
  day     BIGINT NOT NULL
);
CREATE INDEX fax_mail_pages_sender ON fax_mail_pages (sender, day);
