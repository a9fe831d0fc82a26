-- Fax by e-mail accepted once: each accepted mail's digest (SHA-256, hex,
-- of its envelope sender, recipients and raw message) with the first fax it
-- made and its account. A mail handed over again with the same bytes (an MTA retrying after
-- the connection dropped before it read the reply, e.g. when the SMTP front
-- end died after the service had accepted the mail) is answered as accepted
-- without a second fax. Rows older than seven days (longer than an MTA's
-- queue lifetime) are deleted as mail arrives. No foreign key: erasing a fax
-- must not depend on this table.
CREATE TABLE fax_mail_seen (
  digest       TEXT PRIMARY KEY,
  fax_id       TEXT NOT NULL,
  account_id   TEXT NOT NULL,
  accepted_at  INTEGER NOT NULL
);
CREATE INDEX fax_mail_seen_at ON fax_mail_seen (accepted_at);
