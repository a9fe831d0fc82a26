-- PostgreSQL twin of migrations/0022_fax_by_email.sql (BIGINT, a rowid
-- column: see 0021_schema.sql).
-- Fax by e-mail (C10): per account, whether mail to +E164@mail.domain from
-- its members becomes a fax, and the sender checks that mail must pass.
-- allowed_senders and allowed_servers are JSON arrays of strings. A missing
-- row means "off".
CREATE TABLE fax_by_email (
  rowid            BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  account_id       TEXT PRIMARY KEY REFERENCES accounts(id),
  enabled          BIGINT NOT NULL DEFAULT 0,
  allowed_senders  TEXT NOT NULL DEFAULT '[]',
  allowed_servers  TEXT NOT NULL DEFAULT '[]',
  spf              TEXT NOT NULL DEFAULT 'ignore',
  dkim             TEXT NOT NULL DEFAULT 'ignore',
  updated_at       BIGINT NOT NULL
);
