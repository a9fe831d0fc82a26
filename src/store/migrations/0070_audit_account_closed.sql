-- An account's events are found through its chain (audit_chain_seq: since
-- 0056 an account's chain is its id); the index on (account_id, seq) is
-- kept only for the events of the closed global chain (chain_id ''), which
-- name their account without a chain of their own. Every new audit event
-- wrote a leaf of the full index: one page of the log an event fewer.
-- The store's queries of an account's events ask for
-- (chain_id = A OR (chain_id = '' AND account_id = A)) AND account_id = A;
-- its audit list keeps account_id = A (the table by seq, filtered).
DROP INDEX audit_account_seq;
CREATE INDEX audit_account_closed ON audit_events (account_id, seq) WHERE chain_id = '';
