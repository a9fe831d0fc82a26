-- PostgreSQL twin of migrations/0053_auth_generation.sql.
-- The credential cache's generation (see the SQLite twin): statement
-- triggers call one function.
CREATE TABLE auth_generation (
  id   BIGINT PRIMARY KEY CHECK (id = 1),
  gen  BIGINT NOT NULL
);
INSERT INTO auth_generation (id, gen) VALUES (1, 0);
CREATE FUNCTION auth_generation_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE auth_generation SET gen = gen + 1 WHERE id = 1;
  RETURN NULL;
END $$;
CREATE TRIGGER auth_gen_sessions_u AFTER UPDATE OF principal_id, expires_at, revoked_at ON sessions
  FOR EACH STATEMENT EXECUTE FUNCTION auth_generation_bump();
CREATE TRIGGER auth_gen_sessions_d AFTER DELETE ON sessions
  FOR EACH STATEMENT EXECUTE FUNCTION auth_generation_bump();
CREATE TRIGGER auth_gen_api_keys_u AFTER UPDATE OF account_id, creator_id, permissions, expires_at, revoked_at ON api_keys
  FOR EACH STATEMENT EXECUTE FUNCTION auth_generation_bump();
CREATE TRIGGER auth_gen_api_keys_d AFTER DELETE ON api_keys
  FOR EACH STATEMENT EXECUTE FUNCTION auth_generation_bump();
CREATE TRIGGER auth_gen_principals_u AFTER UPDATE OF kind, account_id, partner_id, role, permissions, status, password_hash, password_changed_at, totp_confirmed_at, lang ON principals
  FOR EACH STATEMENT EXECUTE FUNCTION auth_generation_bump();
CREATE TRIGGER auth_gen_principals_d AFTER DELETE ON principals
  FOR EACH STATEMENT EXECUTE FUNCTION auth_generation_bump();
CREATE TRIGGER auth_gen_accounts_u AFTER UPDATE OF status ON accounts
  FOR EACH STATEMENT EXECUTE FUNCTION auth_generation_bump();
CREATE TRIGGER auth_gen_partners_u AFTER UPDATE OF status ON partners
  FOR EACH STATEMENT EXECUTE FUNCTION auth_generation_bump();
CREATE TRIGGER auth_gen_settings_iud AFTER INSERT OR UPDATE OR DELETE ON account_settings
  FOR EACH STATEMENT EXECUTE FUNCTION auth_generation_bump();
CREATE TRIGGER auth_gen_terms_i AFTER INSERT ON terms
  FOR EACH STATEMENT EXECUTE FUNCTION auth_generation_bump();
CREATE TRIGGER auth_gen_terms_acc_id AFTER INSERT OR DELETE ON terms_acceptances
  FOR EACH STATEMENT EXECUTE FUNCTION auth_generation_bump();
CREATE TRIGGER auth_gen_closures_iud AFTER INSERT OR UPDATE OR DELETE ON account_closures
  FOR EACH STATEMENT EXECUTE FUNCTION auth_generation_bump();
