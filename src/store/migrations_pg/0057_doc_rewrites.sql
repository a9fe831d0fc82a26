-- PostgreSQL twin of migrations/0057_doc_rewrites.sql (BIGINT times, a
-- rowid column: see 0021_schema.sql).
CREATE TABLE fax_renderings (
  rowid       BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  doc_id      TEXT PRIMARY KEY,
  account_id  TEXT NOT NULL,
  cover       INTEGER NOT NULL,
  lang        TEXT NOT NULL,
  date_ms     BIGINT NOT NULL
);
CREATE TABLE doc_rewrites (
  rowid       BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  doc_id      TEXT PRIMARY KEY,
  account_id  TEXT NOT NULL,
  reason      TEXT NOT NULL,
  subject_id  TEXT NOT NULL,
  created_at  BIGINT NOT NULL
);
