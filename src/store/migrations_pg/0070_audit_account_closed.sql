-- The same partial index as SQLite's 0070 (the closed global chain's
-- events, chain_id ''), but on PostgreSQL the full index on
-- (account_id, seq) stays: an account's audit list (store_audit_list,
-- account_id = A, paged by seq newest first) walks it backward and stops
-- at its page. The other queries of an account's events read them
-- through audit_chain_seq or this partial index.
CREATE INDEX audit_account_closed ON audit_events (account_id, seq) WHERE chain_id = '';
