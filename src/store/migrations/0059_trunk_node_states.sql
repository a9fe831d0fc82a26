-- Trunk state across nodes (issue 12, several nodes on one database): the
-- OPTIONS keep-alive's link and the registration with the carrier, as each
-- node sees them (seen_at: its last report). trunks.link_status and
-- trunks.registration keep the state decided over the nodes that reported
-- lately (docs/fax-service.md, "Trunk state across nodes"); each node routes
-- by its own link_status here.
CREATE TABLE trunk_node_states (
  trunk_id        TEXT NOT NULL,
  node_id         TEXT NOT NULL,
  link_status     TEXT NOT NULL DEFAULT '', -- up | down | '' (not probed)
  link_changed_at INTEGER,
  registration    TEXT NOT NULL DEFAULT '', -- registered | failed | none | '' (not registering)
  seen_at         INTEGER NOT NULL,
  PRIMARY KEY (trunk_id, node_id)
);
