-- The credential cache (docs/security.md, "Credential cache"): every write
-- that can change what a session or an API key is allowed to do bumps one
-- counter, read by each node at each request; a node drops what it cached
-- when the counter moved, so a revocation on one node is refused by every
-- node at its next request. The touches of last_seen_at / last_used_at,
-- which happen all the time, do not bump it.
CREATE TABLE auth_generation (
  id   INTEGER PRIMARY KEY CHECK (id = 1),
  gen  INTEGER NOT NULL
);
INSERT INTO auth_generation (id, gen) VALUES (1, 0);
CREATE TRIGGER auth_gen_sessions_u AFTER UPDATE OF principal_id, expires_at, revoked_at ON sessions
  BEGIN UPDATE auth_generation SET gen = gen + 1 WHERE id = 1; END;
CREATE TRIGGER auth_gen_sessions_d AFTER DELETE ON sessions
  BEGIN UPDATE auth_generation SET gen = gen + 1 WHERE id = 1; END;
CREATE TRIGGER auth_gen_api_keys_u AFTER UPDATE OF account_id, creator_id, permissions, expires_at, revoked_at ON api_keys
  BEGIN UPDATE auth_generation SET gen = gen + 1 WHERE id = 1; END;
CREATE TRIGGER auth_gen_api_keys_d AFTER DELETE ON api_keys
  BEGIN UPDATE auth_generation SET gen = gen + 1 WHERE id = 1; END;
CREATE TRIGGER auth_gen_principals_u AFTER UPDATE OF kind, account_id, partner_id, role, permissions, status, password_hash, password_changed_at, totp_confirmed_at, lang ON principals
  BEGIN UPDATE auth_generation SET gen = gen + 1 WHERE id = 1; END;
CREATE TRIGGER auth_gen_principals_d AFTER DELETE ON principals
  BEGIN UPDATE auth_generation SET gen = gen + 1 WHERE id = 1; END;
CREATE TRIGGER auth_gen_accounts_u AFTER UPDATE OF status ON accounts
  BEGIN UPDATE auth_generation SET gen = gen + 1 WHERE id = 1; END;
CREATE TRIGGER auth_gen_partners_u AFTER UPDATE OF status ON partners
  BEGIN UPDATE auth_generation SET gen = gen + 1 WHERE id = 1; END;
CREATE TRIGGER auth_gen_settings_i AFTER INSERT ON account_settings
  BEGIN UPDATE auth_generation SET gen = gen + 1 WHERE id = 1; END;
CREATE TRIGGER auth_gen_settings_u AFTER UPDATE ON account_settings
  BEGIN UPDATE auth_generation SET gen = gen + 1 WHERE id = 1; END;
CREATE TRIGGER auth_gen_settings_d AFTER DELETE ON account_settings
  BEGIN UPDATE auth_generation SET gen = gen + 1 WHERE id = 1; END;
CREATE TRIGGER auth_gen_terms_i AFTER INSERT ON terms
  BEGIN UPDATE auth_generation SET gen = gen + 1 WHERE id = 1; END;
CREATE TRIGGER auth_gen_terms_acc_i AFTER INSERT ON terms_acceptances
  BEGIN UPDATE auth_generation SET gen = gen + 1 WHERE id = 1; END;
CREATE TRIGGER auth_gen_terms_acc_d AFTER DELETE ON terms_acceptances
  BEGIN UPDATE auth_generation SET gen = gen + 1 WHERE id = 1; END;
CREATE TRIGGER auth_gen_closures_i AFTER INSERT ON account_closures
  BEGIN UPDATE auth_generation SET gen = gen + 1 WHERE id = 1; END;
CREATE TRIGGER auth_gen_closures_u AFTER UPDATE ON account_closures
  BEGIN UPDATE auth_generation SET gen = gen + 1 WHERE id = 1; END;
CREATE TRIGGER auth_gen_closures_d AFTER DELETE ON account_closures
  BEGIN UPDATE auth_generation SET gen = gen + 1 WHERE id = 1; END;
