-- PostgreSQL twin of migrations/0029_trunk_health.sql (BIGINT).
-- Real carriers (issue 12): a trunk's health as the OPTIONS keep-alive last
-- saw it, whether it registers with its carrier and how that went, and, on
-- an attempt, the SIP status the call ended with and the trunk the fax went
-- on to when this trunk failed (failover).
ALTER TABLE trunks ADD COLUMN link_status TEXT NOT NULL DEFAULT 'unknown'; -- up | down | unknown
ALTER TABLE trunks ADD COLUMN link_changed_at BIGINT;
ALTER TABLE trunks ADD COLUMN register BIGINT NOT NULL DEFAULT 0;
ALTER TABLE trunks ADD COLUMN registration TEXT NOT NULL DEFAULT 'none'; -- registered | failed | none
ALTER TABLE fax_attempts ADD COLUMN sip_status BIGINT;
ALTER TABLE fax_attempts ADD COLUMN failover_to TEXT;
