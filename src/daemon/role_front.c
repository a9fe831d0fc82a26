/* What every network front end does to confine itself once its
 * descriptors are set up (see role.h). */
#include "role.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "confine.h"
#include "xalloc.h"

/* Under root: the configured user, its group, no supplementary groups. */
static int drop_privileges(const char *user, char *why, size_t n)
{
	if (geteuid() != 0)
		return 0;
	struct passwd *pw = getpwnam(user);
	if (!pw || pw->pw_uid == 0) {
		snprintf(why, n, "daemon.unprivileged_user \"%s\": %s", user,
			pw ? "is root" : "no such user");
		return -1;
	}
	if (setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0 ||
	    setuid(0) == 0) {
		snprintf(why, n, "cannot become %s: %s", user, strerror(errno));
		return -1;
	}
	return 0;
}

int role_front_confine(const config_t *cfg, const int *extra, size_t nextra, char *why, size_t n)
{
	/* A change of identity clears the parent-death signal: set again. */
	if (drop_privileges(cfg->unprivileged_user, why, n) != 0)
		return -1;
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 || getppid() == 1 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		snprintf(why, n, "the service is gone, or no_new_privs refused");
		return -1;
	}
	/* The front ends' list (confine.h), and what this one needs besides. */
	size_t na = confine_front_nallowed + nextra;
	int *allowed = xcalloc(na, sizeof *allowed);
	memcpy(allowed, confine_front_allowed, confine_front_nallowed * sizeof *allowed);
	for (size_t i = 0; i < nextra; i++)
		allowed[confine_front_nallowed + i] = extra[i];
	int rc = confine_load(allowed, na, confine_front_killed, confine_front_nkilled, 0);
	free(allowed);
	if (rc != 0) {
		snprintf(why, n, "seccomp filter refused");
		return -1;
	}
	return 0;
}
