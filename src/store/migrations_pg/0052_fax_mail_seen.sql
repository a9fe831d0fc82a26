-- PostgreSQL twin of migrations/0052_fax_mail_seen.sql (BIGINT times, a
-- rowid column: see 0021_schema.sql).
CREATE TABLE fax_mail_seen (
  rowid        BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  digest       TEXT PRIMARY KEY,
  fax_id       TEXT NOT NULL,
  account_id   TEXT NOT NULL,
  accepted_at  BIGINT NOT NULL
);
CREATE INDEX fax_mail_seen_at ON fax_mail_seen (accepted_at);
