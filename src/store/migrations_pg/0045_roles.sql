-- PostgreSQL twin of migrations/0045_roles.sql (BIGINT, a rowid column:
-- see 0021_schema.sql).
CREATE TABLE roles (
  rowid       BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  id          TEXT PRIMARY KEY,
  account_id  TEXT NOT NULL REFERENCES accounts(id),
  name        TEXT NOT NULL,
  name_key    TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  permissions TEXT NOT NULL,
  created_at  BIGINT NOT NULL,
  updated_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX roles_name ON roles (account_id, name_key);
ALTER TABLE principals ADD COLUMN role_id TEXT REFERENCES roles(id);
CREATE INDEX principals_role ON principals (role_id) WHERE role_id IS NOT NULL;
