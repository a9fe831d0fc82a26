-- PostgreSQL twin of migrations/0058_trunk_tls.sql.
-- Trunks over TLS by host name (issue 12).
-- sip_transports: the other transports (a JSON array of "udp", "tcp", "tls") that
-- NAPTR and SRV may choose for a peer given as a host name alone, beside
-- sip_transport (NULL: sip_transport only).
-- tls_cert, tls_key: the client certificate (PEM, public) and its private
-- key (PEM, sealed under the provider's key like the trunk's password)
-- presented on TLS connections to this trunk (NULL: fax.sip_tls_cert).
ALTER TABLE trunks ADD COLUMN sip_transports TEXT;
ALTER TABLE trunks ADD COLUMN tls_cert TEXT;
ALTER TABLE trunks ADD COLUMN tls_key TEXT;
