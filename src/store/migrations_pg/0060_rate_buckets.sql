-- PostgreSQL twin of migrations/0060_rate_buckets.sql. UNLOGGED: written at
-- every request, never worth a WAL record; after a crash of the server the
-- buckets start full again. No rowid column (nothing pages on it, and an
-- identity would draw a number at every upsert). A bucket unused for an
-- hour is removed (store_pg.c): its keys name accounts, API keys, people
-- and source addresses.
CREATE UNLOGGED TABLE rate_buckets (
  key     TEXT PRIMARY KEY,
  tokens  DOUBLE PRECISION NOT NULL,
  at_ms   BIGINT NOT NULL,
  allowed BOOLEAN NOT NULL
);
