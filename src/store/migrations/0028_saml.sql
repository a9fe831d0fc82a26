-- SAML 2.0 identity providers (issue 17): identity_providers accepts the
-- type 'saml' (SQLite cannot change a CHECK: the table is rebuilt, rows and
-- rowids kept), a SAML provider's own settings live in saml_providers, and
-- saml_assertions is the replay cache of the assertions accepted.
CREATE TABLE identity_providers_v2 (
  id              TEXT PRIMARY KEY,
  account_id      TEXT NOT NULL REFERENCES accounts(id),
  type            TEXT NOT NULL CHECK (type IN ('oidc', 'saml')),
  name            TEXT NOT NULL,
  issuer          TEXT NOT NULL,
  client_id       TEXT NOT NULL,
  client_secret   TEXT NOT NULL,
  token_auth      TEXT NOT NULL DEFAULT 'client_secret_basic',
  scopes          TEXT NOT NULL DEFAULT 'openid email profile',
  provisioning    TEXT NOT NULL DEFAULT 'invited' CHECK (provisioning IN ('invited', 'jit')),
  role_claim      TEXT NOT NULL DEFAULT '',
  role_map        TEXT NOT NULL DEFAULT '{}',
  default_role    TEXT NOT NULL DEFAULT 'user',
  status          TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  deleted_at      INTEGER
);
INSERT INTO identity_providers_v2 (rowid, id, account_id, type, name, issuer, client_id,
  client_secret, token_auth, scopes, provisioning, role_claim, role_map, default_role, status,
  created_at, updated_at, deleted_at)
  SELECT rowid, id, account_id, type, name, issuer, client_id, client_secret, token_auth, scopes,
  provisioning, role_claim, role_map, default_role, status, created_at, updated_at, deleted_at
  FROM identity_providers;
DROP TABLE identity_providers;
ALTER TABLE identity_providers_v2 RENAME TO identity_providers;
CREATE INDEX identity_providers_account ON identity_providers (account_id) WHERE deleted_at IS NULL;

-- A SAML provider (identity_providers.type = 'saml'; there issuer is the
-- IdP's entity id, client_id and client_secret are empty, role_claim is
-- the attribute whose values role_map maps). idp_metadata is the IdP's
-- metadata as imported (metadata_url: where from, '' when given inline).
-- The SP's key pair is made per provider: sp_key is sealed under the
-- account's key (secrets.h, purpose "saml", owner the provider's id);
-- sp_entity_id and acs_url are fixed at creation (an IdP knows them).
-- allow_sha1 (0 or 1): responses signed with SHA-1 are accepted (refused
-- by default).
CREATE TABLE saml_providers (
  idp_id          TEXT PRIMARY KEY REFERENCES identity_providers(id),
  account_id      TEXT NOT NULL,
  idp_metadata    TEXT NOT NULL,
  metadata_url    TEXT NOT NULL DEFAULT '',
  sp_entity_id    TEXT NOT NULL,
  acs_url         TEXT NOT NULL,
  sp_cert         TEXT NOT NULL,
  sp_key          TEXT NOT NULL,
  email_attribute TEXT NOT NULL DEFAULT '',
  allow_sha1      INTEGER NOT NULL DEFAULT 0
);

-- The ids of the assertions accepted, kept until they expire: a second
-- use of one is refused.
CREATE TABLE saml_assertions (
  idp_id          TEXT NOT NULL,
  assertion_id    TEXT NOT NULL,
  expires_at      INTEGER NOT NULL,
  PRIMARY KEY (idp_id, assertion_id)
);
CREATE INDEX saml_assertions_expiry ON saml_assertions (expires_at);
