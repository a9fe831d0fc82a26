-- Status board (P13): the state operators set on a component of the service
-- (api, portal, sending, receiving, mail, trunk:<id>), and incidents and
-- scheduled maintenance windows with their timeline of updates. A component
-- with no row is operational unless an open incident or a maintenance window
-- in progress names it.
CREATE TABLE status_components (
  id          TEXT PRIMARY KEY,
  state       TEXT NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE TABLE status_incidents (
  id          TEXT PRIMARY KEY,
  kind        TEXT NOT NULL,      -- incident | maintenance
  title_en    TEXT NOT NULL,
  title_fr    TEXT NOT NULL,
  impact      TEXT NOT NULL,      -- the state of its components while it is open
  components  TEXT NOT NULL,      -- JSON array of component ids
  status      TEXT NOT NULL,      -- incident: investigating | identified | monitoring | resolved;
                                  -- maintenance: scheduled | in_progress | completed
  starts_at   INTEGER,            -- maintenance window (NULL for an incident)
  ends_at     INTEGER,
  created_by  TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  closed_at   INTEGER             -- resolved or completed
);
CREATE INDEX status_incidents_created ON status_incidents (created_at);
CREATE TABLE status_updates (
  id           TEXT PRIMARY KEY,
  incident_id  TEXT NOT NULL REFERENCES status_incidents(id),
  status       TEXT NOT NULL,
  body_en      TEXT NOT NULL,
  body_fr      TEXT NOT NULL,
  created_by   TEXT NOT NULL,
  created_at   INTEGER NOT NULL
);
CREATE INDEX status_updates_incident ON status_updates (incident_id, created_at);
-- The installation's name in the Atom feed's ids (RFC 4287 ids are unique
-- the world over): random, made once.
CREATE TABLE status_feed (id TEXT NOT NULL);
INSERT INTO status_feed (id) SELECT lower(hex(randomblob(16)));
