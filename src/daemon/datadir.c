/* Keeps the data directory private: the database holds hashes, sealed
 * secrets and audit events, the documents are encrypted but their keys are
 * wrapped next to them; nobody else on the host needs to read any of it. */
#define _XOPEN_SOURCE 700
#include "datadir.h"

#include <ftw.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "log.h"

static int fixed;

static int visit(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type == FTW_SL || type == FTW_SLN)
		return 0;
	mode_t want = type == FTW_D || type == FTW_DP ? 0700 : 0600;
	mode_t mode = sb->st_mode & 07777;
	if ((mode & ~want) == 0)
		return 0;
	char q[512];
	log_event(LOG_WARN, "datadir.mode_fixed", "path=%s old_mode=%04o new_mode=%04o",
		log_quote(path, q, sizeof q), (unsigned)mode, (unsigned)(mode & want));
	if (chmod(path, mode & want) == 0)
		fixed++;
	return 0;
}

int datadir_secure(const char *dir)
{
	/* The directory itself may be a symbolic link (a data volume mounted
	 * elsewhere): its target is what is tightened. Links under it are not
	 * followed. */
	char *real = realpath(dir, NULL);
	if (!real)
		return -1;
	fixed = 0;
	int rc = nftw(real, visit, 16, FTW_PHYS);
	free(real);
	return rc == 0 ? fixed : -1;
}
