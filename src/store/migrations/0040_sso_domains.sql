-- E-mail domains of an account for single sign-on routing (issue 17,
-- docs/sso.md): an account claims a domain, proves it with a DNS TXT record
-- (_faxvault-challenge.DOMAIN = "faxvault-domain-verification=TOKEN") or
-- provider staff verify it; /v1/sso/discover then sends people of that
-- domain to the account's providers. Several accounts may claim a domain;
-- one only may hold it verified.
CREATE TABLE sso_domains (
  id          TEXT PRIMARY KEY,
  account_id  TEXT NOT NULL REFERENCES accounts(id),
  domain      TEXT NOT NULL,
  token       TEXT NOT NULL,
  status      TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'verified')),
  method      TEXT NOT NULL DEFAULT '' CHECK (method IN ('', 'dns', 'operator')),
  created_at  INTEGER NOT NULL,
  verified_at INTEGER
);
CREATE UNIQUE INDEX sso_domains_claim ON sso_domains (account_id, domain);
CREATE UNIQUE INDEX sso_domains_verified ON sso_domains (domain) WHERE status = 'verified';
