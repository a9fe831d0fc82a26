-- PostgreSQL twin of migrations/0023_sso.sql (BIGINT, a rowid column per
-- table: see 0021_schema.sql).
-- Single sign-on (issue 17, OpenID Connect): an account's identity
-- providers, and the short-lived records of sign-ins under way.
--
-- client_secret is sealed under the account's key (secrets.h, purpose
-- "idp", owner the provider's id). role_map is a JSON object from a claim
-- value (a group) to a role. A deleted provider stays as a tombstone for
-- the audit log's references.
CREATE TABLE identity_providers (
  rowid           BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  id              TEXT PRIMARY KEY,
  account_id      TEXT NOT NULL REFERENCES accounts(id),
  type            TEXT NOT NULL CHECK (type IN ('oidc')),
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
  created_at      BIGINT NOT NULL,
  updated_at      BIGINT NOT NULL,
  deleted_at      BIGINT
);
CREATE INDEX identity_providers_account ON identity_providers (account_id) WHERE deleted_at IS NULL;

-- A sign-in under way (kind 'auth': from the start to the callback) or a
-- signed-in browser waiting to fetch its session (kind 'handoff'). Only
-- the hash of the value sent to the browser is kept; single use (used_at),
-- short expiry. The PKCE verifier and the nonce are derived from the
-- browser's binding cookie and the state, and are never stored.
CREATE TABLE sso_flows (
  rowid           BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  value_hash      TEXT PRIMARY KEY,
  kind            TEXT NOT NULL CHECK (kind IN ('auth', 'handoff')),
  account_id      TEXT NOT NULL,
  idp_id          TEXT NOT NULL,
  principal_id    TEXT,
  browser_hash    TEXT NOT NULL DEFAULT '',
  created_at      BIGINT NOT NULL,
  expires_at      BIGINT NOT NULL,
  used_at         BIGINT
);
CREATE INDEX sso_flows_expiry ON sso_flows (expires_at);
