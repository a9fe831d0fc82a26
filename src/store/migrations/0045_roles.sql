-- Named custom roles of an account (issues 14 and 17, docs/identity.md):
-- "Front desk", "Auditor", defined once with a set of account permissions
-- and given to many members. A member holding one has role 'custom' and
-- role_id naming it; its permissions column is kept equal to the role's
-- (every holder's is rewritten in the transaction that changes the role),
-- so that authentication reads the person's row alone. Names are unique
-- per account, whatever their case.
CREATE TABLE roles (
  id          TEXT PRIMARY KEY,
  account_id  TEXT NOT NULL REFERENCES accounts(id),
  name        TEXT NOT NULL,
  name_key    TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  permissions TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX roles_name ON roles (account_id, name_key);
ALTER TABLE principals ADD COLUMN role_id TEXT REFERENCES roles(id);
CREATE INDEX principals_role ON principals (role_id) WHERE role_id IS NOT NULL;
