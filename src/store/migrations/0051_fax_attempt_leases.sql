-- Fax job leases (several nodes on one database, docs/fax-service.md): an
-- outbound attempt in progress holds its fax until lease_until (ms), pushed
-- on by its node while the call runs. Once it has passed, another node
-- records the attempt as interrupted and queues the fax again from its
-- first unconfirmed page. NULL: an attempt made before leases (recovered at
-- its node's start, as before) or ended.
ALTER TABLE fax_attempts ADD COLUMN lease_until INTEGER;
CREATE INDEX fax_attempts_lease ON fax_attempts (result, lease_until);
