-- PostgreSQL twin of migrations/0028_saml.sql (BIGINT, a rowid column per
-- table: see 0021_schema.sql). PostgreSQL changes the CHECK in place.
ALTER TABLE identity_providers DROP CONSTRAINT identity_providers_type_check;
ALTER TABLE identity_providers ADD CONSTRAINT identity_providers_type_check
  CHECK (type IN ('oidc', 'saml'));

-- A SAML provider: see the SQLite migration.
CREATE TABLE saml_providers (
  rowid           BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  idp_id          TEXT PRIMARY KEY REFERENCES identity_providers(id),
  account_id      TEXT NOT NULL,
  idp_metadata    TEXT NOT NULL,
  metadata_url    TEXT NOT NULL DEFAULT '',
  sp_entity_id    TEXT NOT NULL,
  acs_url         TEXT NOT NULL,
  sp_cert         TEXT NOT NULL,
  sp_key          TEXT NOT NULL,
  email_attribute TEXT NOT NULL DEFAULT '',
  allow_sha1      BIGINT NOT NULL DEFAULT 0
);

-- The replay cache of accepted assertions.
CREATE TABLE saml_assertions (
  rowid           BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  idp_id          TEXT NOT NULL,
  assertion_id    TEXT NOT NULL,
  expires_at      BIGINT NOT NULL,
  PRIMARY KEY (idp_id, assertion_id)
);
CREATE INDEX saml_assertions_expiry ON saml_assertions (expires_at);
