-- Automatic fraud detection (C17, R04) and announced penetration tests (C15):
-- the findings of the detection rules (once per account, rule and key: the
-- key carries the finding window where a rule has one), the hold of an
-- account's outbound faxing until an administrator confirms, the addresses
-- each API key was used from, the address a fax was submitted from, and the
-- time of the detection pass's last look.
CREATE TABLE fraud_findings (
  id          TEXT PRIMARY KEY,
  account_id  TEXT NOT NULL REFERENCES accounts(id),
  rule        TEXT NOT NULL,      -- volume | prefix | country | sequential | signin_address | apikey_address
  window_key  TEXT NOT NULL,
  request_id  TEXT,               -- the fraud report raised; NULL when announced
  announced   TEXT,               -- the approved penetration-test request it came from
  evidence    TEXT NOT NULL,      -- JSON object
  created_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX fraud_findings_once ON fraud_findings (account_id, rule, window_key);
CREATE TABLE fraud_holds (
  account_id  TEXT PRIMARY KEY REFERENCES accounts(id),
  request_id  TEXT NOT NULL,      -- the fraud report that held it
  held_at     INTEGER NOT NULL
);
CREATE TABLE api_key_addresses (
  key_id      TEXT NOT NULL REFERENCES api_keys(id),
  address     TEXT NOT NULL,
  account_id  TEXT NOT NULL,
  first_at    INTEGER NOT NULL,
  PRIMARY KEY (key_id, address)
);
CREATE INDEX api_key_addresses_first ON api_key_addresses (first_at);
CREATE TABLE fraud_passes (
  name        TEXT PRIMARY KEY,
  at          INTEGER NOT NULL
);
ALTER TABLE api_keys ADD COLUMN last_source TEXT NOT NULL DEFAULT '';
ALTER TABLE faxes ADD COLUMN source TEXT NOT NULL DEFAULT '';
