-- The same partial index as SQLite's 0070 (the closed global chain's
-- events, chain_id ''), but on PostgreSQL the full index on
-- (account_id, seq) stays: an account's audit list, paged by seq newest
-- first, walks it in order under account_id = A and stops at its page.
-- Without it the planner ORs audit_chain_seq with the partial index and
-- sorts every event of the account older than the cursor before the
-- first page. (SQLite's plan of that list never used it.)
CREATE INDEX audit_account_closed ON audit_events (account_id, seq) WHERE chain_id = '';
