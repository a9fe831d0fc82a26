/* faxvaultd's backups: `backup` takes an online, consistent copy of the
 * database and the document blobs, encrypted under a key of the backup's
 * own kept in the backup key directory (destroyed when the backup expires,
 * backupkeys.h), with the master key sealed under an operator's
 * passphrase; `restore` makes a data directory of it;
 * `backup-verify` checks a copy without restoring it (every file against
 * the manifest, the audit chain, a sample of documents decrypted).
 *
 * Each command takes its own arguments (argv[0] is the command's name) and
 * returns the process's exit code: 0 done, 1 failed (a damaged copy, a
 * wrong passphrase, a target that already holds data), 2 usage. */
#ifndef FV_BACKUP_CMD_H
#define FV_BACKUP_CMD_H

#include "config.h"

/* backup --to DIR [--passphrase-file FILE | --without-key] [--key-dir DIR] */
int backup_cmd_backup(const config_t *cfg, int argc, char **argv);
/* restore --from DIR [--data-dir DIR] [--passphrase-file FILE] [--key-dir DIR]
 * [--master-key FILE]; the data directory given here wins over the
 * configuration's (the backup key directory is the configuration's, from
 * before that). */
int backup_cmd_restore(config_t *cfg, int argc, char **argv);
/* backup-verify --from DIR [--passphrase-file FILE] [--sample N] [--key-dir DIR]
 * [--master-key FILE] */
int backup_cmd_verify(const config_t *cfg, int argc, char **argv);

#endif
