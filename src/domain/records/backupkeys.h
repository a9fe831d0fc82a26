/* Backup keys: what makes old backups forget (docs/vault.md, "Backups that
 * forget").
 *
 * Every backup (`faxvaultd backup`, format 2) is encrypted under a key of
 * its own. That key is kept in one place only: a small file in the backup
 * key directory (backup.key_dir), sealed under the master key the backup
 * carries, bound to the backup's id and expiry. Neither the backup nor the
 * passphrase that opens its master key holds it. When the backup expires
 * (backup.retention_days after it was taken), the retention sweep
 * overwrites and removes that file: the backup's database, documents and
 * wrapped keys are then ciphertext under a key that exists nowhere
 * (crypto-shredding the whole backup, wherever its copies are).
 *
 * File DIR/ID.key (mode 0600), JSON: format "faxvault-backup-key/1", id,
 * created_at, expires_at (RFC 3339), master_fingerprint, sealed (the key
 * as vault_secret_seal text, provider scope, purpose "backup", owner
 * "ID-EXPIRES_MS": a file whose expiry was edited does not open). */
#ifndef FV_DOMAIN_BACKUPKEYS_H
#define FV_DOMAIN_BACKUPKEYS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "faxenv.h"
#include "vault.h"

#define BACKUP_KEY_BYTES 32
/* "bk_" and 24 hex digits, NUL included. */
#define BACKUP_ID_LEN 28

/* Makes a new backup key for a backup taken at now that expires after
 * days: writes DIR/ID.key (DIR made 0700 if missing), fills id and key.
 * 0, or -1 with errno set (or EINVAL when the key would not seal). */
int backup_key_create(const vault_key_t *master, const char *dir, int64_t now, int days,
	char id[BACKUP_ID_LEN], uint8_t key[BACKUP_KEY_BYTES]);

typedef enum {
	BACKUP_KEY_OK = 0,
	BACKUP_KEY_MISSING,  /* no file for this id in the directory */
	BACKUP_KEY_EXPIRED,  /* past its expiry (destroyed, or about to be) */
	BACKUP_KEY_BAD,      /* a file that does not open under this master key
				or names another expiry */
} backup_key_status_t;

/* Opens the key of backup id, expiring at expires_ms (from its manifest),
 * from DIR under master, as of now. */
backup_key_status_t backup_key_open(const vault_key_t *master, const char *dir, const char *id,
	int64_t expires_ms, int64_t now, uint8_t key[BACKUP_KEY_BYTES]);

/* Destroys every key of DIR that has expired as of now: its expiry has
 * passed, or it is older than days (a shortened backup.retention_days
 * applies to backups already taken). Each file is overwritten with zeros,
 * synced and removed, then the directory synced; done(arg, id, created,
 * expires) is called for each (NULL: not). The number destroyed, or -1
 * when DIR cannot be read (a missing DIR: 0). */
int backup_keys_expire(const char *dir, int64_t now, int days,
	void (*done)(void *arg, const char *id, int64_t created_ms, int64_t expires_ms), void *arg);

/* Until when backups taken before now may still hold what is deleted now:
 * now + days, as RFC 3339 into out (>= 25 bytes). */
char *backup_hold_until(int64_t now, int days, char *out, size_t outlen);

/* Adds "backups_until" (backup_hold_until with the service's
 * backup.retention_days) to a deletion certificate's detail; nothing when
 * env says no retention. */
void backup_note_until(json_t *detail, const fax_env_t *env, int64_t now);

#endif
