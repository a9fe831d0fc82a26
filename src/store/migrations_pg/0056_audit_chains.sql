-- PostgreSQL twin of migrations/0056_audit_chains.sql (see there). The
-- global seq of a new event comes from a sequence at its insert, so that
-- writers of different chains need not read one global head; it may have
-- gaps (a rolled-back insert), which verification allows: continuity is
-- checked per chain, on chain_seq.
ALTER TABLE audit_events ADD COLUMN chain_id TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN chain_seq BIGINT NOT NULL DEFAULT 0;
UPDATE audit_events SET chain_seq = seq;
CREATE UNIQUE INDEX audit_chain_seq ON audit_events (chain_id, chain_seq);
CREATE SEQUENCE audit_events_seq;
SELECT setval('audit_events_seq', COALESCE((SELECT max(seq) FROM audit_events), 0) + 1, false);
ALTER TABLE audit_events ALTER COLUMN seq SET DEFAULT nextval('audit_events_seq');
CREATE TABLE audit_heads (
  rowid      BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  chain_id   TEXT PRIMARY KEY,
  chain_seq  BIGINT NOT NULL,
  hash       TEXT NOT NULL,
  version    BIGINT NOT NULL
);
INSERT INTO audit_heads (chain_id, chain_seq, hash, version)
  SELECT '', seq, hash, chain FROM audit_events ORDER BY seq DESC LIMIT 1;
ALTER TABLE audit_checkpoints ADD COLUMN chain_id TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_checkpoints DROP CONSTRAINT audit_checkpoints_pkey;
ALTER TABLE audit_checkpoints ADD PRIMARY KEY (chain_id, seq);
