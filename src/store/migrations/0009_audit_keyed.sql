-- The audit chain becomes keyed. Each event records the chain version that
-- links it: 1, plain SHA-256 (every event written before this version, which
-- stay verifiable as they were), or 2, HMAC-SHA-256 under a key derived from
-- the vault's master key, which is not in the database. Verification accepts
-- plain events only before the first keyed one.
ALTER TABLE audit_events ADD COLUMN chain INTEGER NOT NULL DEFAULT 1;

-- Signed checkpoints of the chain's head: the last event's seq and hash at
-- a time, signed with an Ed25519 key derived from the master key. They are
-- also appended to a file the operator ships elsewhere and shown to the
-- accounts whose events they cover (prev_seq < seq of an event <= seq).
CREATE TABLE audit_checkpoints (
  seq        INTEGER PRIMARY KEY,
  prev_seq   INTEGER NOT NULL,
  mac        TEXT NOT NULL,
  time       TEXT NOT NULL,
  signature  TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
