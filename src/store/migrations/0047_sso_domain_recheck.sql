-- Verified sign-in domains re-checked in the DNS (issue 17, docs/sso.md):
-- a domain verified by its TXT record is looked up again every
-- sso.domain_recheck_hours; checked_at is the last look, failing_since the
-- first look that found the record gone (NULL while it is there). Past
-- sso.domain_grace_hours of absence the domain becomes 'unverified' and
-- routes nobody until verified again. SQLite cannot change a CHECK: the
-- table is rebuilt, rows and rowids kept.
CREATE TABLE sso_domains_v2 (
  id            TEXT PRIMARY KEY,
  account_id    TEXT NOT NULL REFERENCES accounts(id),
  domain        TEXT NOT NULL,
  token         TEXT NOT NULL,
  status        TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'verified', 'unverified')),
  method        TEXT NOT NULL DEFAULT '' CHECK (method IN ('', 'dns', 'operator')),
  created_at    INTEGER NOT NULL,
  verified_at   INTEGER,
  checked_at    INTEGER,
  failing_since INTEGER
);
INSERT INTO sso_domains_v2 (rowid, id, account_id, domain, token, status, method, created_at,
  verified_at, checked_at)
  SELECT rowid, id, account_id, domain, token, status, method, created_at, verified_at, verified_at
  FROM sso_domains;
DROP TABLE sso_domains;
ALTER TABLE sso_domains_v2 RENAME TO sso_domains;
CREATE UNIQUE INDEX sso_domains_claim ON sso_domains (account_id, domain);
CREATE UNIQUE INDEX sso_domains_verified ON sso_domains (domain) WHERE status = 'verified';
