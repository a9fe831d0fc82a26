-- Secrets the service must use again are stored sealed under a key of the
-- vault (vault_secret_seal: text starting 'sealed1:'), never in clear: TOTP
-- seeds, webhook signing secrets, SIP trunk passwords. From this version on
-- the database refuses any other value in those columns. Values an older
-- version stored in clear are sealed by faxvaultd at its next start
-- (dom_secrets_seal_all), which has the key that SQL has not.

CREATE TRIGGER principals_totp_sealed_insert BEFORE INSERT ON principals
  WHEN NEW.totp_secret IS NOT NULL AND substr(NEW.totp_secret, 1, 8) <> 'sealed1:'
  BEGIN SELECT RAISE(ABORT, 'principals.totp_secret must be sealed'); END;
CREATE TRIGGER principals_totp_sealed_update BEFORE UPDATE OF totp_secret ON principals
  WHEN NEW.totp_secret IS NOT NULL AND substr(NEW.totp_secret, 1, 8) <> 'sealed1:'
  BEGIN SELECT RAISE(ABORT, 'principals.totp_secret must be sealed'); END;

CREATE TRIGGER webhooks_secret_sealed_insert BEFORE INSERT ON webhooks
  WHEN substr(NEW.secret, 1, 8) <> 'sealed1:'
  BEGIN SELECT RAISE(ABORT, 'webhooks.secret must be sealed'); END;
CREATE TRIGGER webhooks_secret_sealed_update BEFORE UPDATE OF secret ON webhooks
  WHEN substr(NEW.secret, 1, 8) <> 'sealed1:'
  BEGIN SELECT RAISE(ABORT, 'webhooks.secret must be sealed'); END;

CREATE TRIGGER trunks_secret_sealed_insert BEFORE INSERT ON trunks
  WHEN NEW.secret IS NOT NULL AND substr(NEW.secret, 1, 8) <> 'sealed1:'
  BEGIN SELECT RAISE(ABORT, 'trunks.secret must be sealed'); END;
CREATE TRIGGER trunks_secret_sealed_update BEFORE UPDATE OF secret ON trunks
  WHEN NEW.secret IS NOT NULL AND substr(NEW.secret, 1, 8) <> 'sealed1:'
  BEGIN SELECT RAISE(ABORT, 'trunks.secret must be sealed'); END;
