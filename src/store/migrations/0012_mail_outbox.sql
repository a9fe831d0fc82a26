-- Outbound mail: the outbox (one row per message), filled in the same
-- transaction as the change that causes the mail and drained by the mail
-- sender thread (docs/mail.md). params holds what the template needs; a token
-- it carries is in secret, sealed under the provider's key, emptied once the message
-- is delivered or given up, and the row stays as the delivery log.

CREATE TABLE mail_outbox (
  id               TEXT PRIMARY KEY,     -- mail_…, also the Message-ID's left part
  kind             TEXT NOT NULL,        -- invitation | password_reset | …
  account_id       TEXT,                 -- the account concerned, NULL for staff
  principal_id     TEXT,                 -- the person it is sent to
  to_addr          TEXT NOT NULL,
  lang             TEXT NOT NULL,        -- en | fr
  params           TEXT NOT NULL,        -- JSON the template needs, no secret
  secret           TEXT NOT NULL,        -- the token it carries, sealed; '' when none
                                         -- and once delivered or given up
  status           TEXT NOT NULL,        -- pending | sent | failed
  attempts         INTEGER NOT NULL DEFAULT 0,
  last_reply       TEXT,                 -- the relay's last answer or the error
  next_attempt_at  INTEGER NOT NULL,
  sent_at          INTEGER,
  created_at       INTEGER NOT NULL,
  lease_node       TEXT,
  lease_until      INTEGER
);
CREATE INDEX mail_outbox_due ON mail_outbox (status, next_attempt_at);
CREATE INDEX mail_outbox_to ON mail_outbox (to_addr);
