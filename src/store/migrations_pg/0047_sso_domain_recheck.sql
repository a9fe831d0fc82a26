-- PostgreSQL twin of migrations/0047_sso_domain_recheck.sql: the state
-- 'unverified' and the re-check's two times. PostgreSQL changes the CHECK
-- in place.
ALTER TABLE sso_domains DROP CONSTRAINT sso_domains_status_check;
ALTER TABLE sso_domains ADD CONSTRAINT sso_domains_status_check
  CHECK (status IN ('pending', 'verified', 'unverified'));
ALTER TABLE sso_domains ADD COLUMN checked_at BIGINT;
ALTER TABLE sso_domains ADD COLUMN failing_since BIGINT;
UPDATE sso_domains SET checked_at = verified_at;
