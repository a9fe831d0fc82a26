-- How a carrier trunk's INVITEs are authenticated: by their source address
-- (inbound_cidrs), by digest with the trunk's username and password after a
-- 401 challenge, or both.
ALTER TABLE trunks ADD COLUMN inbound_auth TEXT NOT NULL DEFAULT 'source'; -- source | source_and_digest | digest
