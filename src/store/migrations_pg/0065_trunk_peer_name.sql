-- PostgreSQL twin of migrations/0065_trunk_peer_name.sql.
-- The name a trunk's carrier must show in its TLS certificate (issue 12).
-- tls_peer_name: a DNS name or an IP address the certificate's
-- subjectAltName must hold, for the carrier's calls over TLS attributed to
-- this trunk (verified client certificates, fax.sip_tls_verify_client) and
-- for our connections to it (calls, REGISTER, OPTIONS), in place of the
-- peer's host (NULL: no name required inbound; the peer's host outbound).
ALTER TABLE trunks ADD COLUMN tls_peer_name TEXT;
