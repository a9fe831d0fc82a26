-- Inbound calls from carriers: which source addresses may send a trunk's
-- INVITEs, where its called number is read, and how that number becomes
-- E.164.
ALTER TABLE trunks ADD COLUMN inbound_cidrs TEXT NOT NULL DEFAULT '[]';      -- JSON array of CIDR texts
ALTER TABLE trunks ADD COLUMN called_number TEXT NOT NULL DEFAULT 'request_uri'; -- request_uri | to | header:NAME
ALTER TABLE trunks ADD COLUMN inbound_rewrite TEXT NOT NULL DEFAULT '[]';    -- JSON array of {match, replace}
