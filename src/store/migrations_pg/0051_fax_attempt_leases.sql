-- PostgreSQL twin of migrations/0051_fax_attempt_leases.sql (BIGINT times).
ALTER TABLE fax_attempts ADD COLUMN lease_until BIGINT;
CREATE INDEX fax_attempts_lease ON fax_attempts (result, lease_until);
