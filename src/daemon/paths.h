/* Where faxvaultd keeps its files, from the configuration. Each function
 * returns a new string the caller frees. */
#ifndef FV_PATHS_H
#define FV_PATHS_H

#include "config.h"

/* The database file: DATA_DIR/faxvault.db. */
char *db_path(const config_t *cfg);
/* The master key file: vault.master_key_file, else DATA_DIR/master.key. */
char *master_key_path(const config_t *cfg);
/* Where checkpoints of the audit chain are appended: audit.checkpoint_file,
 * else DATA_DIR/audit-checkpoints.jsonl. */
char *checkpoint_path(const config_t *cfg);
/* The encrypted document blobs: DATA_DIR/docs. */
char *docs_path(const config_t *cfg);
/* The keys of backups: backup.key_dir, else DATA_DIR/backup-keys. */
char *backup_key_path(const config_t *cfg);

#endif
