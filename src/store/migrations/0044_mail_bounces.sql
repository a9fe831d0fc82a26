-- DSN bounces read back (docs/mail.md, "Bounces"): each outbox message is
-- sent with the envelope sender bounce+<id>@<mail.domain>, and a delivery
-- status notification to that address is recorded on its row: the DSN's
-- action (failed, delayed), its status code (5.1.1), the diagnostic (the
-- remote server's words, printable ASCII, cut) and the time it arrived. A
-- failed (5.x.x) one also marks the person the mail went to, with the
-- address that bounced: the mark is cleared when the address changes.
ALTER TABLE mail_outbox ADD COLUMN bounce_action TEXT;
ALTER TABLE mail_outbox ADD COLUMN bounce_status TEXT;
ALTER TABLE mail_outbox ADD COLUMN bounce_diagnostic TEXT;
ALTER TABLE mail_outbox ADD COLUMN bounced_at INTEGER;
ALTER TABLE principals ADD COLUMN mail_bounced_at INTEGER;
ALTER TABLE principals ADD COLUMN mail_bounce_status TEXT;
ALTER TABLE principals ADD COLUMN mail_bounced_addr TEXT;
