-- Trunk peers by host name (issue 12, RFC 3263): where the peer resolved to
-- and how each target answered, as the node that last looked saw it. A JSON
-- array of {host, address, port, transport, priority, weight, state}
-- (state up | down | unknown), NULL before the first lookup; resolve_error
-- says why the last lookup failed (NULL when it worked), resolved_at when
-- it ran.
ALTER TABLE trunks ADD COLUMN targets TEXT;
ALTER TABLE trunks ADD COLUMN resolve_error TEXT;
ALTER TABLE trunks ADD COLUMN resolved_at INTEGER;
