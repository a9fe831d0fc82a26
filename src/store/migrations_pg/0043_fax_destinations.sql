-- PostgreSQL twin of migrations/0043_fax_destinations.sql (BIGINT, a rowid
-- column per table: see 0021_schema.sql).
-- Per-destination memory: what last worked for a number over a trunk.
CREATE TABLE fax_destinations (
  rowid       BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  trunk_id    TEXT NOT NULL,
  to_number   TEXT NOT NULL,
  transport   TEXT NOT NULL,
  ecm         BIGINT NOT NULL,
  bit_rate    BIGINT NOT NULL,
  updated_at  BIGINT NOT NULL,
  PRIMARY KEY (trunk_id, to_number)
);
CREATE INDEX fax_destinations_updated ON fax_destinations (updated_at);
