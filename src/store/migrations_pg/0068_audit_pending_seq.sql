-- PostgreSQL twin of migrations/0068_audit_pending_seq.sql. The group
-- commit's transactions that write only audit events run beside each other
-- (several nodes; store_pg.c): their events are inserted with a provisional
-- negative seq, from their own sequence, and numbered from audit_events_seq
-- at the commit, under a lock held to the commit's end, so that the global
-- seq follows the order in which events become visible. The transaction
-- says so with SET LOCAL faxvault.audit_pending = 'on'; every other insert
-- takes its seq from audit_events_seq at once, as before.
CREATE SEQUENCE audit_events_pending;
CREATE FUNCTION fv_audit_seq() RETURNS bigint LANGUAGE sql VOLATILE AS $$
  SELECT CASE WHEN current_setting('faxvault.audit_pending', true) = 'on'
    THEN -nextval('audit_events_pending') ELSE nextval('audit_events_seq') END
$$;
ALTER TABLE audit_events ALTER COLUMN seq SET DEFAULT fv_audit_seq();
