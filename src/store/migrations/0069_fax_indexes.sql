-- Indexes a fax wrote for no query (issue 15, the fax service's CPU per
-- page): each is pages in the log at every fax's insert.
-- faxes_account (account_id, direction) is a prefix of
-- faxes_account_created; the planner already took the longer one.
-- faxes_retention has faxes_account_created's columns, only without the
-- deleted faxes: the retention count searches faxes_account_created.
-- fax_attempts_open (result, node): the open attempts' looks search
-- fax_attempts_lease (result, lease_until) by result.
-- Checked with EXPLAIN QUERY PLAN on every query of these tables
-- (test_migration_fax_indexes).
DROP INDEX IF EXISTS faxes_account;
DROP INDEX IF EXISTS faxes_retention;
DROP INDEX IF EXISTS fax_attempts_open;
-- A submission's faxes are read twice by its render job; the column is set
-- only while they render, so the index holds those faxes alone (it was a
-- scan of every fax of the installation).
CREATE INDEX faxes_submission ON faxes (submission_id) WHERE submission_id IS NOT NULL;
