-- Per-destination memory (issue 12, "adaptive per-destination fallback"):
-- what last worked for a number over a trunk, used as the first choice of
-- the next fax there. transport 't38' or 'g711', ecm 0/1, bit_rate the rate
-- the call trained at; updated_at its time (ms). A row is forgotten when a
-- call made with it fails after a fax answered, and rows older than 90 days
-- are dropped as new ones are written. The number is the E.164 the faxes
-- table already holds for the same fax; no account is named.
CREATE TABLE fax_destinations (
  trunk_id    TEXT NOT NULL,
  to_number   TEXT NOT NULL,
  transport   TEXT NOT NULL,
  ecm         INTEGER NOT NULL,
  bit_rate    INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  PRIMARY KEY (trunk_id, to_number)
);
CREATE INDEX fax_destinations_updated ON fax_destinations (updated_at);
