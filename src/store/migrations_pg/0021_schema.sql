-- The PostgreSQL schema of faxvault as the SQLite migrations 0001-0021 leave
-- it (src/store/migrations/), in one step. From 0022 on, every migration of
-- src/store/migrations/ has a twin of the same number here (the test
-- store_pg_migrations checks that both sets end at the same number).
--
-- Differences from the SQLite schema, each for a reason:
-- * every integer is BIGINT (times are ms since the epoch);
-- * every table has a "rowid" identity column, the insertion order SQLite's
--   rowid gives: lists page on it (WHERE rowid > ? ORDER BY rowid), so the
--   area SQL stays the same on both backends;
-- * SQLite's triggers that refuse an unsealed secret are CHECK constraints;
--   the append-only ledger keeps its triggers (a PL/pgSQL function);
-- * two functions SQLite has built in and PostgreSQL lacks: instr(text, text)
--   and json_extract(text, path) (numeric members only, which is all the
--   store asks of it).

CREATE TABLE partners (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  status      TEXT NOT NULL DEFAULT 'active',
  created_at  BIGINT NOT NULL
, max_accounts BIGINT);
CREATE TABLE accounts (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  id                  TEXT PRIMARY KEY,
  name                TEXT NOT NULL,
  status              TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'closed')),
  regulatory_profile  TEXT NOT NULL DEFAULT 'none',
  partner_id          TEXT REFERENCES partners(id),
  owner_id            TEXT,
  created_at          BIGINT NOT NULL,
  updated_at          BIGINT NOT NULL
, currency TEXT, fax_header TEXT);
CREATE TABLE principals (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  id             TEXT PRIMARY KEY,
  kind           TEXT NOT NULL CHECK (kind IN ('provider', 'partner', 'account')),
  account_id     TEXT REFERENCES accounts(id),
  partner_id     TEXT REFERENCES partners(id),
  email          TEXT NOT NULL,
  name           TEXT NOT NULL,
  role           TEXT NOT NULL,
  permissions    TEXT NOT NULL DEFAULT '',
  status         TEXT NOT NULL CHECK (status IN ('invited', 'active', 'deprovisioned')),
  password_hash  TEXT,
  created_at     BIGINT NOT NULL,
  updated_at     BIGINT NOT NULL
, password_changed_at BIGINT, failed_logins BIGINT NOT NULL DEFAULT 0, locked_until BIGINT, last_login_at BIGINT, totp_secret TEXT, totp_confirmed_at BIGINT, totp_last_step BIGINT, lang TEXT);
CREATE TABLE invitations (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  token_hash    TEXT PRIMARY KEY,
  principal_id  TEXT NOT NULL REFERENCES principals(id),
  expires_at    BIGINT NOT NULL,
  used_at       BIGINT
);
CREATE TABLE sessions (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  id            TEXT PRIMARY KEY,
  token_hash    TEXT NOT NULL UNIQUE,
  principal_id  TEXT NOT NULL REFERENCES principals(id),
  source        TEXT NOT NULL DEFAULT '',
  created_at    BIGINT NOT NULL,
  last_seen_at  BIGINT NOT NULL,
  expires_at    BIGINT NOT NULL,
  revoked_at    BIGINT
);
CREATE TABLE api_keys (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  id            TEXT PRIMARY KEY,
  account_id    TEXT NOT NULL REFERENCES accounts(id),
  creator_id    TEXT NOT NULL REFERENCES principals(id),
  name          TEXT NOT NULL,
  prefix        TEXT NOT NULL,
  secret_hash   TEXT NOT NULL UNIQUE,
  permissions   TEXT NOT NULL,
  expires_at    BIGINT,
  created_at    BIGINT NOT NULL,
  last_used_at  BIGINT,
  revoked_at    BIGINT
);
CREATE TABLE audit_events (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  seq           BIGINT PRIMARY KEY,
  id            TEXT NOT NULL UNIQUE,
  time          BIGINT NOT NULL,
  actor_id      TEXT NOT NULL,
  actor_type    TEXT NOT NULL,
  on_behalf_of  TEXT NOT NULL DEFAULT '',
  action        TEXT NOT NULL,
  target        TEXT NOT NULL DEFAULT '',
  account_id    TEXT NOT NULL DEFAULT '',
  source        TEXT NOT NULL DEFAULT '',
  outcome       TEXT NOT NULL,
  detail        TEXT NOT NULL DEFAULT '{}',
  prev_hash     TEXT NOT NULL,
  hash          TEXT NOT NULL
, chain BIGINT NOT NULL DEFAULT 1);
CREATE TABLE idempotency_keys (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  principal_id  TEXT NOT NULL,
  key           TEXT NOT NULL,
  request_hash  TEXT NOT NULL,
  status        BIGINT NOT NULL,
  body          TEXT NOT NULL,
  created_at    BIGINT NOT NULL,
  PRIMARY KEY (principal_id, key)
);
CREATE TABLE account_settings (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  account_id             TEXT PRIMARY KEY REFERENCES accounts(id),
  security               TEXT NOT NULL DEFAULT '{}',
  contacts_confirmed_at  BIGINT,
  updated_at             BIGINT NOT NULL
);
CREATE TABLE password_history (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  principal_id  TEXT NOT NULL REFERENCES principals(id),
  hash          TEXT NOT NULL,
  created_at    BIGINT NOT NULL
);
CREATE TABLE recovery_codes (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  principal_id  TEXT NOT NULL REFERENCES principals(id),
  code_hash     TEXT NOT NULL,
  used_at       BIGINT,
  PRIMARY KEY (principal_id, code_hash)
);
CREATE TABLE login_failures (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  source        TEXT PRIMARY KEY,
  failures      BIGINT NOT NULL,
  first_at      BIGINT NOT NULL,
  locked_until  BIGINT
);
CREATE TABLE terms (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  version       TEXT PRIMARY KEY,
  text_en       TEXT NOT NULL,
  text_fr       TEXT NOT NULL,
  published_at  BIGINT NOT NULL,
  published_by  TEXT NOT NULL
);
CREATE TABLE terms_acceptances (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  principal_id  TEXT NOT NULL REFERENCES principals(id),
  version       TEXT NOT NULL REFERENCES terms(version),
  accepted_at   BIGINT NOT NULL,
  source        TEXT NOT NULL,
  PRIMARY KEY (principal_id, version)
);
CREATE TABLE password_resets (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  token_hash    TEXT PRIMARY KEY,
  principal_id  TEXT NOT NULL REFERENCES principals(id),
  expires_at    BIGINT NOT NULL,
  used_at       BIGINT
);
CREATE TABLE trunks (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  id              TEXT PRIMARY KEY,
  name            TEXT NOT NULL,
  peer            TEXT NOT NULL DEFAULT '',
  username        TEXT,
  secret          TEXT,
  transport       TEXT NOT NULL DEFAULT 't38_first',
  max_calls       BIGINT NOT NULL DEFAULT 4,
  caller_id_rule  TEXT NOT NULL DEFAULT 'account_number',
  prefixes        TEXT NOT NULL DEFAULT '[]',
  status          TEXT NOT NULL DEFAULT 'active',
  created_at      BIGINT NOT NULL,
  updated_at      BIGINT NOT NULL
, inbound_cidrs TEXT NOT NULL DEFAULT '[]', called_number TEXT NOT NULL DEFAULT 'request_uri', inbound_rewrite TEXT NOT NULL DEFAULT '[]', inbound_auth TEXT NOT NULL DEFAULT 'source');
CREATE TABLE numbers (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  number            TEXT PRIMARY KEY,
  trunk_id          TEXT NOT NULL REFERENCES trunks(id),
  country           TEXT NOT NULL DEFAULT '',
  status            TEXT NOT NULL DEFAULT 'available',
  account_id        TEXT REFERENCES accounts(id),
  route_user_id     TEXT,
  assigned_at       BIGINT,
  released_at       BIGINT,
  quarantine_until  BIGINT,
  created_at        BIGINT NOT NULL
);
CREATE TABLE port_requests (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  id                         TEXT PRIMARY KEY,
  account_id                 TEXT NOT NULL REFERENCES accounts(id),
  status                     TEXT NOT NULL,
  numbers                    TEXT NOT NULL,
  losing_carrier             TEXT NOT NULL,
  account_number_at_carrier  TEXT,
  loa_document_id            TEXT,
  reason                     TEXT,
  trunk_id                   TEXT,
  created_by                 TEXT NOT NULL,
  created_at                 BIGINT NOT NULL,
  updated_at                 BIGINT NOT NULL
);
CREATE TABLE notifications (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  id          TEXT PRIMARY KEY,
  account_id  TEXT NOT NULL REFERENCES accounts(id),
  kind        TEXT NOT NULL,
  target      TEXT,
  subject_en  TEXT NOT NULL,
  subject_fr  TEXT NOT NULL,
  body_en     TEXT NOT NULL,
  body_fr     TEXT NOT NULL,
  created_at  BIGINT NOT NULL,
  sent_at     BIGINT
);
CREATE TABLE account_keys (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  account_id   TEXT PRIMARY KEY REFERENCES accounts(id),
  wrapped_key  TEXT NOT NULL,
  created_at   BIGINT NOT NULL
);
CREATE TABLE documents (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  id           TEXT PRIMARY KEY,
  account_id   TEXT NOT NULL REFERENCES accounts(id),
  kind         TEXT NOT NULL,
  size         BIGINT NOT NULL,
  pages        BIGINT,
  wrapped_key  TEXT NOT NULL,
  created_at   BIGINT NOT NULL
);
CREATE TABLE submissions (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  id           TEXT PRIMARY KEY,
  account_id   TEXT NOT NULL REFERENCES accounts(id),
  user_id      TEXT,
  originals    TEXT NOT NULL,
  options      TEXT NOT NULL,
  created_at   BIGINT NOT NULL
);
CREATE TABLE faxes (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  id                   TEXT PRIMARY KEY,
  account_id           TEXT NOT NULL REFERENCES accounts(id),
  user_id              TEXT,
  direction            TEXT NOT NULL CHECK (direction IN ('outbound', 'inbound')),
  status               TEXT NOT NULL CHECK (status IN ('queued', 'rendering', 'sending',
                         'delivered', 'received', 'partial', 'failed', 'cancelled')),
  from_number          TEXT NOT NULL DEFAULT '',
  to_number            TEXT NOT NULL,
  trunk_id             TEXT,
  doc_id               TEXT,
  submission_id        TEXT,
  page_count           BIGINT NOT NULL DEFAULT 0,
  pages_confirmed      BIGINT NOT NULL DEFAULT 0,
  resolution           TEXT NOT NULL DEFAULT 'fine',
  header_text          TEXT,
  cover_subject        TEXT,
  send_at              BIGINT,
  retries              BIGINT NOT NULL DEFAULT 3,
  retry_delay_seconds  BIGINT NOT NULL DEFAULT 300,
  attempts_made        BIGINT NOT NULL DEFAULT 0,
  next_attempt_at      BIGINT,
  next_ecm             BIGINT NOT NULL DEFAULT 1,
  next_max_rate        BIGINT NOT NULL DEFAULT 14400,
  failure_class        TEXT,
  failure_reason       TEXT,
  estimated_cost       BIGINT NOT NULL DEFAULT 0,
  cost                 BIGINT,
  currency             TEXT NOT NULL DEFAULT 'EUR',
  resent_from          TEXT,
  created_at           BIGINT NOT NULL,
  updated_at           BIGINT NOT NULL,
  completed_at         BIGINT
, deleted_at BIGINT, legal_hold_reason TEXT);
CREATE TABLE rates (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  currency        TEXT NOT NULL,
  prefix          TEXT NOT NULL,
  price_per_page  BIGINT NOT NULL,
  PRIMARY KEY (currency, prefix)
);
CREATE TABLE fax_pages (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  fax_id   TEXT NOT NULL REFERENCES faxes(id),
  page     BIGINT NOT NULL,
  status   TEXT NOT NULL,
  PRIMARY KEY (fax_id, page)
);
CREATE TABLE fax_attempts (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  id               TEXT PRIMARY KEY,
  fax_id           TEXT NOT NULL REFERENCES faxes(id),
  account_id       TEXT NOT NULL REFERENCES accounts(id),
  user_id          TEXT,
  attempt          BIGINT NOT NULL,
  direction        TEXT NOT NULL,
  from_number      TEXT NOT NULL DEFAULT '',
  to_number        TEXT NOT NULL DEFAULT '',
  trunk_id         TEXT,
  node             TEXT,
  result           TEXT NOT NULL CHECK (result IN ('in_progress', 'ok', 'partial', 'failed',
                     'interrupted')),
  started_at       BIGINT NOT NULL,
  answered_at      BIGINT,
  ended_at         BIGINT,
  duration_ms      BIGINT,
  pages_sent       BIGINT NOT NULL DEFAULT 0,
  pages_confirmed  BIGINT NOT NULL DEFAULT 0,
  first_page       BIGINT NOT NULL DEFAULT 1,
  transport        TEXT,
  bit_rate         BIGINT,
  ecm              BIGINT,
  remote_ident     TEXT,
  t30_code         BIGINT,
  t30_text         TEXT,
  failure_class    TEXT,
  cost             BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE webhooks (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  id            TEXT PRIMARY KEY,
  account_id    TEXT NOT NULL REFERENCES accounts(id),
  url           TEXT NOT NULL,
  events        TEXT NOT NULL,
  description   TEXT NOT NULL DEFAULT '',
  status        TEXT NOT NULL,
  secret        TEXT NOT NULL,
  created_at    BIGINT NOT NULL,
  updated_at    BIGINT NOT NULL,
  deleted_at    BIGINT
);
CREATE TABLE webhook_events (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  id            TEXT PRIMARY KEY,
  account_id    TEXT NOT NULL REFERENCES accounts(id),
  type          TEXT NOT NULL,
  payload       TEXT NOT NULL,
  created_at    BIGINT NOT NULL
);
CREATE TABLE webhook_deliveries (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  id               TEXT PRIMARY KEY,
  webhook_id       TEXT NOT NULL REFERENCES webhooks(id),
  event_id         TEXT NOT NULL REFERENCES webhook_events(id),
  account_id       TEXT NOT NULL REFERENCES accounts(id),
  status           TEXT NOT NULL,
  attempts         BIGINT NOT NULL DEFAULT 0,
  last_status_code BIGINT,
  last_error       TEXT,
  next_attempt_at  BIGINT NOT NULL,
  delivered_at     BIGINT,
  created_at       BIGINT NOT NULL,
  lease_node       TEXT,
  lease_until      BIGINT
);
CREATE TABLE audit_checkpoints (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  seq        BIGINT PRIMARY KEY,
  prev_seq   BIGINT NOT NULL,
  mac        TEXT NOT NULL,
  time       TEXT NOT NULL,
  signature  TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE mail_outbox (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  id               TEXT PRIMARY KEY,
  kind             TEXT NOT NULL,
  account_id       TEXT,
  principal_id     TEXT,
  to_addr          TEXT NOT NULL,
  lang             TEXT NOT NULL,
  params           TEXT NOT NULL,
  secret           TEXT NOT NULL,

  status           TEXT NOT NULL,
  attempts         BIGINT NOT NULL DEFAULT 0,
  last_reply       TEXT,
  next_attempt_at  BIGINT NOT NULL,
  sent_at          BIGINT,
  created_at       BIGINT NOT NULL,
  lease_node       TEXT,
  lease_until      BIGINT
);
CREATE TABLE retention_policies (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  account_id         TEXT PRIMARY KEY REFERENCES accounts(id),
  inbound_fax_days   BIGINT,
  outbound_fax_days  BIGINT,
  safebox_days       BIGINT,
  legal_hold         BIGINT NOT NULL DEFAULT 0,
  legal_hold_reason  TEXT,
  updated_at         BIGINT NOT NULL
);
CREATE TABLE status_components (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  id          TEXT PRIMARY KEY,
  state       TEXT NOT NULL,
  updated_at  BIGINT NOT NULL
);
CREATE TABLE status_incidents (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  id          TEXT PRIMARY KEY,
  kind        TEXT NOT NULL,
  title_en    TEXT NOT NULL,
  title_fr    TEXT NOT NULL,
  impact      TEXT NOT NULL,
  components  TEXT NOT NULL,
  status      TEXT NOT NULL,

  starts_at   BIGINT,
  ends_at     BIGINT,
  created_by  TEXT NOT NULL,
  created_at  BIGINT NOT NULL,
  updated_at  BIGINT NOT NULL,
  closed_at   BIGINT
);
CREATE TABLE status_updates (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  id           TEXT PRIMARY KEY,
  incident_id  TEXT NOT NULL REFERENCES status_incidents(id),
  status       TEXT NOT NULL,
  body_en      TEXT NOT NULL,
  body_fr      TEXT NOT NULL,
  created_by   TEXT NOT NULL,
  created_at   BIGINT NOT NULL
);
CREATE TABLE status_feed (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
id TEXT NOT NULL);
CREATE TABLE billing_plans (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  account_id         TEXT PRIMARY KEY REFERENCES accounts(id),
  kind               TEXT NOT NULL CHECK (kind IN ('prepaid', 'postpaid')),
  included_pages     BIGINT NOT NULL DEFAULT 0 CHECK (included_pages >= 0),
  low_balance_minor  BIGINT NOT NULL DEFAULT 0 CHECK (low_balance_minor >= 0),
  updated_at         BIGINT NOT NULL
, quota_account_day BIGINT NOT NULL DEFAULT 0, quota_account_month BIGINT NOT NULL DEFAULT 0, quota_user_day BIGINT NOT NULL DEFAULT 0, quota_user_month BIGINT NOT NULL DEFAULT 0);
CREATE TABLE ledger_txns (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  seq           BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  id            TEXT NOT NULL UNIQUE,
  account_id    TEXT NOT NULL REFERENCES accounts(id),
  kind          TEXT NOT NULL CHECK (kind IN ('topup', 'charge', 'credit', 'refund')),
  amount_minor  BIGINT NOT NULL CHECK (amount_minor > 0),
  currency      TEXT NOT NULL,
  reason        TEXT,
  cdr_id        TEXT UNIQUE,
  actor         TEXT NOT NULL,
  created_at    BIGINT NOT NULL
);
CREATE TABLE ledger_postings (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  txn_seq       BIGINT NOT NULL REFERENCES ledger_txns(seq),
  book          TEXT NOT NULL,
  amount_minor  BIGINT NOT NULL,
  currency      TEXT NOT NULL
);
CREATE TABLE consents (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  id              TEXT PRIMARY KEY,
  account_id      TEXT NOT NULL REFERENCES accounts(id),
  partner_id      TEXT NOT NULL REFERENCES partners(id),
  scope           TEXT NOT NULL,
  full_scope      BIGINT NOT NULL DEFAULT 0,
  starts_at       BIGINT NOT NULL,
  expires_at      BIGINT NOT NULL,
  signer_id       TEXT NOT NULL REFERENCES principals(id),
  text_version    TEXT NOT NULL,
  method          TEXT NOT NULL CHECK (method IN ('in-session', 'letter')),
  mfa_checked     BIGINT NOT NULL DEFAULT 0,
  created_at      BIGINT NOT NULL,
  revoked_at      BIGINT,
  revoked_by      TEXT,
  first_used_at   BIGINT,
  end_notified_at BIGINT
);
CREATE TABLE access_grants (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  id            TEXT PRIMARY KEY,
  account_id    TEXT NOT NULL REFERENCES accounts(id),
  staff_id      TEXT NOT NULL REFERENCES principals(id),
  scope         TEXT NOT NULL CHECK (scope IN ('config.read', 'data.read', 'admin')),
  reason        TEXT NOT NULL,
  duration_min  BIGINT NOT NULL,
  break_glass   BIGINT NOT NULL DEFAULT 0,
  status        TEXT NOT NULL CHECK (status IN ('requested', 'approved', 'refused', 'revoked')),
  requested_at  BIGINT NOT NULL,
  decided_at    BIGINT,
  decided_by    TEXT,
  starts_at     BIGINT,
  expires_at    BIGINT
);
CREATE TABLE safeboxes (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  id                TEXT PRIMARY KEY,
  account_id        TEXT NOT NULL REFERENCES accounts(id),
  owner_id          TEXT NOT NULL,
  subject           TEXT NOT NULL,
  status            TEXT NOT NULL DEFAULT 'open',
  expires_at        BIGINT NOT NULL,
  legal_hold_reason TEXT,
  created_at        BIGINT NOT NULL,
  updated_at        BIGINT NOT NULL,
  closed_at         BIGINT,
  deleted_at        BIGINT
);
CREATE TABLE safebox_participants (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  id               TEXT PRIMARY KEY,
  safebox_id       TEXT NOT NULL REFERENCES safeboxes(id),
  account_id       TEXT NOT NULL,
  email            TEXT NOT NULL,
  kind             TEXT NOT NULL,
  principal_id     TEXT,
  status           TEXT NOT NULL DEFAULT 'active',
  token_hash       TEXT UNIQUE,
  code_hash        TEXT,
  code_expires_at  BIGINT,
  code_attempts    BIGINT NOT NULL DEFAULT 0,
  locked_at        BIGINT,
  verified_at      BIGINT,
  created_at       BIGINT NOT NULL,
  revoked_at       BIGINT,
  UNIQUE (safebox_id, email)
);
CREATE TABLE safebox_guest_sessions (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  id             TEXT PRIMARY KEY,
  token_hash     TEXT NOT NULL UNIQUE,
  participant_id TEXT NOT NULL REFERENCES safebox_participants(id),
  safebox_id     TEXT NOT NULL,
  account_id     TEXT NOT NULL,
  expires_at     BIGINT NOT NULL,
  created_at     BIGINT NOT NULL
);
CREATE TABLE safebox_messages (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  id           TEXT PRIMARY KEY,
  safebox_id   TEXT NOT NULL REFERENCES safeboxes(id),
  account_id   TEXT NOT NULL,
  author_kind  TEXT NOT NULL,
  author_id    TEXT NOT NULL,
  author_email TEXT NOT NULL,
  doc_id       TEXT NOT NULL,
  size         BIGINT NOT NULL,
  created_at   BIGINT NOT NULL
);
CREATE TABLE safebox_files (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  id           TEXT PRIMARY KEY,
  safebox_id   TEXT NOT NULL REFERENCES safeboxes(id),
  account_id   TEXT NOT NULL,
  author_kind  TEXT NOT NULL,
  author_id    TEXT NOT NULL,
  author_email TEXT NOT NULL,
  doc_id       TEXT NOT NULL,
  filename     TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size         BIGINT NOT NULL,
  created_at   BIGINT NOT NULL
);
CREATE TABLE safebox_events (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  seq         BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  safebox_id  TEXT NOT NULL,
  account_id  TEXT NOT NULL,
  type        TEXT NOT NULL,
  actor_kind  TEXT NOT NULL,
  actor       TEXT NOT NULL,
  detail      TEXT,
  created_at  BIGINT NOT NULL
);
CREATE TABLE safebox_profiles (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  account_id  TEXT PRIMARY KEY REFERENCES accounts(id),
  profile     TEXT NOT NULL,
  updated_at  BIGINT NOT NULL
);
CREATE TABLE provider_requests (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  id          TEXT PRIMARY KEY,
  account_id  TEXT NOT NULL REFERENCES accounts(id),
  kind        TEXT NOT NULL,
  status      TEXT NOT NULL,
  fields      TEXT NOT NULL,
  created_by  TEXT NOT NULL,
  created_at  BIGINT NOT NULL,
  updated_at  BIGINT NOT NULL,
  closed_at   BIGINT
);
CREATE TABLE provider_request_events (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  id          TEXT PRIMARY KEY,
  request_id  TEXT NOT NULL REFERENCES provider_requests(id),
  status      TEXT NOT NULL,
  message     TEXT NOT NULL,
  created_by  TEXT NOT NULL,
  created_at  BIGINT NOT NULL
);
CREATE TABLE quota_notices (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  account_id    TEXT NOT NULL REFERENCES accounts(id),
  scope         TEXT NOT NULL,
  period        TEXT NOT NULL CHECK (period IN ('day', 'month')),
  period_start  BIGINT NOT NULL,
  level         BIGINT NOT NULL CHECK (level IN (80, 100)),
  created_at    BIGINT NOT NULL,
  PRIMARY KEY (account_id, scope, period, period_start, level)
);
CREATE INDEX accounts_partner ON accounts (partner_id);
CREATE UNIQUE INDEX principals_email_live ON principals (email) WHERE status <> 'deprovisioned';
CREATE INDEX principals_account ON principals (account_id);
CREATE INDEX principals_partner ON principals (partner_id);
CREATE INDEX invitations_principal ON invitations (principal_id);
CREATE INDEX sessions_principal ON sessions (principal_id);
CREATE INDEX api_keys_account ON api_keys (account_id);
CREATE INDEX api_keys_creator ON api_keys (creator_id);
CREATE INDEX audit_account_seq ON audit_events (account_id, seq);
CREATE INDEX password_history_principal ON password_history (principal_id, created_at);
CREATE INDEX numbers_account ON numbers (account_id);
CREATE INDEX numbers_pick ON numbers (country, status);
CREATE INDEX numbers_trunk ON numbers (trunk_id);
CREATE INDEX port_requests_account ON port_requests (account_id);
CREATE INDEX port_requests_status ON port_requests (status);
CREATE INDEX notifications_account ON notifications (account_id);
CREATE INDEX documents_account ON documents (account_id);
CREATE INDEX fax_attempts_fax ON fax_attempts (fax_id, attempt);
CREATE INDEX fax_attempts_account ON fax_attempts (account_id, started_at);
CREATE INDEX fax_attempts_open ON fax_attempts (result, node);
CREATE INDEX webhooks_account ON webhooks (account_id);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id);
CREATE INDEX faxes_account ON faxes (account_id, direction);
CREATE INDEX faxes_due ON faxes (status, next_attempt_at);
CREATE INDEX mail_outbox_due ON mail_outbox (status, next_attempt_at);
CREATE INDEX mail_outbox_to ON mail_outbox (to_addr);
CREATE INDEX faxes_retention ON faxes (account_id, direction, created_at)
  WHERE deleted_at IS NULL;
CREATE INDEX status_incidents_created ON status_incidents (created_at);
CREATE INDEX status_updates_incident ON status_updates (incident_id, created_at);
CREATE INDEX ledger_txns_account ON ledger_txns (account_id, seq);
CREATE INDEX ledger_postings_book ON ledger_postings (book, currency);
CREATE INDEX consents_account ON consents (account_id, partner_id, expires_at);
CREATE INDEX consents_ending ON consents (expires_at) WHERE end_notified_at IS NULL;
CREATE INDEX access_grants_account ON access_grants (account_id, requested_at);
CREATE INDEX safeboxes_account ON safeboxes (account_id, created_at) WHERE deleted_at IS NULL;
CREATE INDEX safeboxes_owner ON safeboxes (owner_id) WHERE deleted_at IS NULL;
CREATE INDEX safebox_participants_principal ON safebox_participants (principal_id)
  WHERE principal_id IS NOT NULL;
CREATE INDEX safebox_messages_box ON safebox_messages (safebox_id, created_at);
CREATE INDEX safebox_files_box ON safebox_files (safebox_id, created_at);
CREATE INDEX safebox_events_box ON safebox_events (safebox_id, seq);
CREATE INDEX provider_requests_account ON provider_requests (account_id, kind, created_at);
CREATE INDEX provider_requests_open ON provider_requests (kind, closed_at, created_at);
CREATE INDEX provider_request_events_request ON provider_request_events (request_id, created_at);
CREATE INDEX faxes_account_created ON faxes (account_id, direction, created_at);

ALTER TABLE principals ADD CONSTRAINT principals_totp_sealed
  CHECK (totp_secret IS NULL OR substr(totp_secret, 1, 8) = 'sealed1:');
ALTER TABLE webhooks ADD CONSTRAINT webhooks_secret_sealed
  CHECK (substr(secret, 1, 8) = 'sealed1:');
ALTER TABLE trunks ADD CONSTRAINT trunks_secret_sealed
  CHECK (secret IS NULL OR substr(secret, 1, 8) = 'sealed1:');

CREATE FUNCTION fv_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the ledger is append-only' USING ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE TRIGGER ledger_txns_append_only BEFORE UPDATE OR DELETE ON ledger_txns
  FOR EACH ROW EXECUTE FUNCTION fv_append_only();
CREATE TRIGGER ledger_postings_append_only BEFORE UPDATE OR DELETE ON ledger_postings
  FOR EACH ROW EXECUTE FUNCTION fv_append_only();

CREATE FUNCTION instr(haystack text, needle text) RETURNS integer
  LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT strpos(haystack, needle) $$;
CREATE FUNCTION json_extract(doc text, path text) RETURNS numeric
  LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT (jsonb_path_query_first(doc::jsonb, path::jsonpath) #>> '{}')::numeric $$;

-- The rows the SQLite migrations write: the built-in trunk between numbers
-- of this installation (0003) and the installation's random name in the
-- status feed's ids (0015).
INSERT INTO trunks (id, name, transport, max_calls, created_at, updated_at)
  VALUES ('loopback', 'Loopback', 't38_first', 16, 0, 0);
INSERT INTO status_feed (id) SELECT replace(gen_random_uuid()::text, '-', '');
