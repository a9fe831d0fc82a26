-- Faxes deleted on demand (DELETE /v1/faxes/{id}): the row stays as a
-- tombstone so that its attempts (the CDRs) keep their fax; its document is
-- crypto-shredded and what it said about the content is cleared.
ALTER TABLE faxes ADD COLUMN deleted_at INTEGER;
