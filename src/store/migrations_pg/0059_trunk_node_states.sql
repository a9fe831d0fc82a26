-- PostgreSQL twin of migrations/0059_trunk_node_states.sql (BIGINT, a rowid
-- column per table: see 0021_schema.sql).
CREATE TABLE trunk_node_states (
  rowid           BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  trunk_id        TEXT NOT NULL,
  node_id         TEXT NOT NULL,
  link_status     TEXT NOT NULL DEFAULT '',
  link_changed_at BIGINT,
  registration    TEXT NOT NULL DEFAULT '',
  seen_at         BIGINT NOT NULL,
  PRIMARY KEY (trunk_id, node_id)
);
