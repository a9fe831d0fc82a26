-- Rate limits shared across nodes (issue 15): on PostgreSQL every node takes
-- its tokens from one bucket per key here (ratelimit.c, store_pg.c), so the
-- limit holds across the nodes. On SQLite, one process per database, the
-- buckets stay in memory and this table stays empty (it exists for the two
-- schemas to match).
CREATE TABLE rate_buckets (
  key     TEXT PRIMARY KEY, -- key:ID, acc:ID, usr:ID or src:ADDRESS (ratelimit keys)
  tokens  REAL NOT NULL,    -- tokens left at at_ms
  at_ms   INTEGER NOT NULL, -- last refill
  allowed INTEGER NOT NULL  -- whether the last take got a token
);
