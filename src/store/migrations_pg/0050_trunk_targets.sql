-- PostgreSQL twin of migrations/0050_trunk_targets.sql (BIGINT times).
ALTER TABLE trunks ADD COLUMN targets TEXT;
ALTER TABLE trunks ADD COLUMN resolve_error TEXT;
ALTER TABLE trunks ADD COLUMN resolved_at BIGINT;
