-- GDPR erasure without breaking the audit chain. Events of chain version 3
-- are keyed like version 2, but their hash covers `pd`, a SHA-256 over a
-- random per-event salt and their personal fields (source address and
-- detail), instead of those fields themselves. Erasing a person rewrites
-- the source and detail of the events that name them, clears the salt and
-- sets redacted_at: the chain still verifies through the stored digest,
-- which without the salt no longer reveals what it covered.
ALTER TABLE audit_events ADD COLUMN pd TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN pd_salt TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN redacted_at INTEGER;
ALTER TABLE audit_events ADD COLUMN redaction_mac TEXT NOT NULL DEFAULT '';
