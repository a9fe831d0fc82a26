-- PostgreSQL twin of migrations/0040_sso_domains.sql (BIGINT, a rowid
-- column: see 0021_schema.sql).
CREATE TABLE sso_domains (
  rowid       BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  id          TEXT PRIMARY KEY,
  account_id  TEXT NOT NULL REFERENCES accounts(id),
  domain      TEXT NOT NULL,
  token       TEXT NOT NULL,
  status      TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'verified')),
  method      TEXT NOT NULL DEFAULT '' CHECK (method IN ('', 'dns', 'operator')),
  created_at  BIGINT NOT NULL,
  verified_at BIGINT
);
CREATE UNIQUE INDEX sso_domains_claim ON sso_domains (account_id, domain);
CREATE UNIQUE INDEX sso_domains_verified ON sso_domains (domain) WHERE status = 'verified';
