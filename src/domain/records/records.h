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
 * When the backup lies under the configured backup root (backup.root), the
 * sweep also removes it: the files its manifest lists, then its directory.
 * Copies made elsewhere are left where they are (unreadable all the same).
 *
 * File DIR/ID.key (mode 0600), JSON: format "faxvault-backup-key/1", id,
 * created_at, expires_at (RFC 3339), location (the backup's directory as
 * an absolute path when known; in the clear, it opens nothing),
 * master_fingerprint, sealed (the key
 * as vault_secret_seal text, provider scope, purpose "backup", owner
 * "ID-EXPIRES_MS": a file whose expiry was edited does not open). */
#ifndef FV_DOMAIN_BACKUPKEYS_H
#define FV_DOMAIN_BACKUPKEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "faxenv.h"
#include "vault.h"

#define BACKUP_KEY_BYTES 32
/* "bk_" and 24 hex digits, NUL included. */
#define BACKUP_ID_LEN 28

/* Makes a new backup key for a backup taken at now into location (its
 * absolute directory; NULL: not recorded) that expires after days: writes
 * DIR/ID.key (DIR made 0700 if missing), fills id and key. 0, or -1 with
 * errno set (or EINVAL when the key would not seal). */
int backup_key_create(const vault_key_t *master, const char *dir, int64_t now, int days,
	const char *location, char id[BACKUP_ID_LEN], uint8_t key[BACKUP_KEY_BYTES]);

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

/* One expired backup, as backup_keys_expire reports it. */
typedef struct {
	const char *id;
	int64_t created_ms, expires_ms;
	const char *location; /* where it was written (NULL: not recorded) */
	bool removed;         /* its files were removed from location */
	const char *kept;     /* why location was not removed (NULL: it was):
				 "location_unknown", "no_backup_root",
				 "outside_backup_root", "not_found",
				 "not_this_backup", "unreadable", or, when
				 removed, "other_files_in_directory" */
} backup_expired_t;

/* Destroys every key of DIR that has expired as of now: its expiry has
 * passed, or it is older than days (a shortened backup.retention_days
 * applies to backups already taken). For each, first the backup itself is
 * removed when it lies under root (backup_dir_remove; root NULL or "":
 * never), then its key file is overwritten with zeros, synced and removed,
 * then the directory synced; done(arg, x) is called for each (NULL: not).
 * Removing the backup first makes a crash in between harmless: the key,
 * still there, is found again by the next sweep. The number destroyed, or
 * -1 when DIR cannot be read (a missing DIR: 0). */
int backup_keys_expire(const char *dir, const char *root, int64_t now, int days,
	void (*done)(void *arg, const backup_expired_t *x), void *arg);

/* Removes the backup of key id written to location, if location is an
 * absolute path naming (after symbolic links are resolved, unchanged) a
 * directory strictly under root whose manifest.json names key id: the
 * files the manifest lists (index, data/NNNNNN), data/, manifest.json,
 * then the directory when nothing else is left in it. Nothing else is
 * ever removed. 1 removed (*kept "other_files_in_directory" when the
 * directory stayed, else NULL), 0 left alone (*kept says why), -1 when a
 * file could not be removed (*kept "unreadable"). */
int backup_dir_remove(const char *root, const char *location, const char *id, const char **kept);

/* Until when backups taken before now may still hold what is deleted now:
 * now + days, as RFC 3339 into out (>= 25 bytes). */
char *backup_hold_until(int64_t now, int days, char *out, size_t outlen);

/* Adds "backups_until" (backup_hold_until with the service's
 * backup.retention_days) to a deletion certificate's detail; nothing when
 * env says no retention. */
void backup_note_until(json_t *detail, const fax_env_t *env, int64_t now);

#endif
