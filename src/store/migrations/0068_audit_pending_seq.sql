-- Nothing to change on SQLite: its one writer gives every event its seq in
-- commit order. On PostgreSQL the group commit's transactions of several
-- nodes run at once, and their events are numbered at their commit
-- (migrations_pg/0068_audit_pending_seq.sql, store_pg.c).
SELECT 1;
