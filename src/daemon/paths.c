/* Where faxvaultd keeps its files (see paths.h). */
#include "paths.h"

#include "xalloc.h"

char *db_path(const config_t *cfg)
{
	return xasprintf("%s/faxvault.db", cfg->data_dir);
}

char *master_key_path(const config_t *cfg)
{
	return *cfg->master_key_file ? xstrdup(cfg->master_key_file)
		: xasprintf("%s/master.key", cfg->data_dir);
}

char *checkpoint_path(const config_t *cfg)
{
	return *cfg->audit_checkpoint_file ? xstrdup(cfg->audit_checkpoint_file)
		: xasprintf("%s/audit-checkpoints.jsonl", cfg->data_dir);
}

char *backup_key_path(const config_t *cfg)
{
	return *cfg->backup_key_dir ? xstrdup(cfg->backup_key_dir)
		: xasprintf("%s/backup-keys", cfg->data_dir);
}

char *docs_path(const config_t *cfg)
{
	return xasprintf("%s/docs", cfg->data_dir);
}
