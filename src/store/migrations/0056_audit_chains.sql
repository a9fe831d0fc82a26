-- One audit chain per account, and one for the provider (docs/audit.md).
-- Each event names its chain (chain_id: the account's id, "provider" for
-- events that name no account) and its place in it (chain_seq, from 1); its
-- prev_hash is that of the event before it in the same chain. The global
-- chain of earlier events is closed here: its events get chain_id '' and
-- chain_seq = seq, and its head at this point (audit_heads row '') is the
-- anchor every new chain starts from (the first event of each chain links
-- to it), so that no event of the closed chain can go without a trace.
-- audit_heads holds each chain's head: its writer reads and advances it
-- (on PostgreSQL under a row lock of that chain only).
ALTER TABLE audit_events ADD COLUMN chain_id TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN chain_seq INTEGER NOT NULL DEFAULT 0;
UPDATE audit_events SET chain_seq = seq;
CREATE UNIQUE INDEX audit_chain_seq ON audit_events (chain_id, chain_seq);
CREATE TABLE audit_heads (
  chain_id   TEXT PRIMARY KEY,
  chain_seq  INTEGER NOT NULL,
  hash       TEXT NOT NULL,
  version    INTEGER NOT NULL
);
INSERT INTO audit_heads (chain_id, chain_seq, hash, version)
  SELECT '', seq, hash, chain FROM audit_events ORDER BY seq DESC LIMIT 1;
-- Signed checkpoints, one per chain whose head moved: keyed by the chain
-- and the chain_seq of the head they sign (those of the closed chain keep
-- chain_id '' and its seq).
CREATE TABLE audit_checkpoints_0056 (
  chain_id   TEXT NOT NULL DEFAULT '',
  seq        INTEGER NOT NULL,
  prev_seq   INTEGER NOT NULL,
  mac        TEXT NOT NULL,
  time       TEXT NOT NULL,
  signature  TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (chain_id, seq)
);
INSERT INTO audit_checkpoints_0056 (chain_id, seq, prev_seq, mac, time, signature, created_at)
  SELECT '', seq, prev_seq, mac, time, signature, created_at FROM audit_checkpoints ORDER BY seq;
DROP TABLE audit_checkpoints;
ALTER TABLE audit_checkpoints_0056 RENAME TO audit_checkpoints;
