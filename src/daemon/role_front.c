/* What every network front end does to confine itself once its
 * descriptors are set up (see role.h). */
#include "role.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "confine.h"
#include "xalloc.h"

/* Under root: the configured user's ids (looked up while /etc/passwd is
 * still in view). */
static int lookup_user(const char *user, uid_t *uid, gid_t *gid, char *why, size_t n)
{
	if (geteuid() != 0)
		return 0;
	struct passwd *pw = getpwnam(user);
	if (!pw || pw->pw_uid == 0) {
		snprintf(why, n, "the front end's user \"%s\": %s", user,
			pw ? "is root" : "no such user");
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

/* Under root: that user, its group, no supplementary groups. */
static int drop_privileges(const char *user, uid_t uid, gid_t gid, char *why, size_t n)
{
	if (geteuid() != 0)
		return 0;
	if (setgroups(0, NULL) != 0 || setgid(gid) != 0 || setuid(uid) != 0 || setuid(0) == 0) {
		snprintf(why, n, "cannot become %s: %s", user, strerror(errno));
		return -1;
	}
	return 0;
}

int role_front_empty_root(char *why, size_t n)
{
	if (geteuid() != 0)
		return 0;
	char dir[] = "/tmp/fv-empty-XXXXXX";
	int fd = -1, rc = -1;
	if (mkdtemp(dir) && chmod(dir, 0555) == 0 &&
	    (fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0 && rmdir(dir) == 0 &&
	    fchdir(fd) == 0 && chroot(".") == 0 && chdir("/") == 0)
		rc = 0;
	else
		snprintf(why, n, "cannot change the root to an empty directory: %s", strerror(errno));
	if (fd >= 0)
		close(fd);
	if (rc != 0)
		rmdir(dir);
	return rc;
}

/* unkill[]: calls of the killed list allowed instead (the SIP front end's
 * sockets); dumpable: the process may open its own /proc/self/fd links
 * after the change of identity. */
static int confine(const config_t *cfg, const char *user, bool empty_root, const int *extra,
	size_t nextra, const int *unkill, size_t nunkill, bool dumpable, char *why, size_t n);

int role_front_confine(const config_t *cfg, const int *extra, size_t nextra, char *why, size_t n)
{
	return confine(cfg, NULL, false, extra, nextra, NULL, 0, false, why, n);
}

int role_front_confine_as(const config_t *cfg, const char *user, const int *extra, size_t nextra,
	char *why, size_t n)
{
	return confine(cfg, user, true, extra, nextra, NULL, 0, false, why, n);
}

int role_front_confine_net(const config_t *cfg, const int *extra, size_t nextra, const int *unkill,
	size_t nunkill, char *why, size_t n)
{
	return confine(cfg, NULL, false, extra, nextra, unkill, nunkill, true, why, n);
}

static int confine(const config_t *cfg, const char *user, bool empty_root, const int *extra,
	size_t nextra, const int *unkill, size_t nunkill, bool dumpable, char *why, size_t n)
{
	/* Nothing of the file system in view, then the user; a change of
	 * identity clears the parent-death signal: set again. */
	const char *who = user && *user ? user : cfg->unprivileged_user;
	uid_t uid = 0;
	gid_t gid = 0;
	if (lookup_user(who, &uid, &gid, why, n) != 0 ||
	    (empty_root && role_front_empty_root(why, n) != 0) ||
	    drop_privileges(who, uid, gid, why, n) != 0)
		return -1;
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 || getppid() == 1 ||
	    (dumpable && prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0) ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		snprintf(why, n, "the service is gone, or no_new_privs refused");
		return -1;
	}
	/* The front ends' list (confine.h), and what this one needs besides. */
	size_t na = confine_front_nallowed + nextra, nk = 0;
	int *allowed = xcalloc(na, sizeof *allowed);
	int *killed = xcalloc(confine_front_nkilled, sizeof *killed);
	memcpy(allowed, confine_front_allowed, confine_front_nallowed * sizeof *allowed);
	for (size_t i = 0; i < nextra; i++)
		allowed[confine_front_nallowed + i] = extra[i];
	for (size_t i = 0; i < confine_front_nkilled; i++) {
		size_t k = 0;
		while (k < nunkill && unkill[k] != confine_front_killed[i])
			k++;
		if (k == nunkill)
			killed[nk++] = confine_front_killed[i];
	}
	int rc = confine_load(allowed, na, killed, nk, 0);
	free(allowed);
	free(killed);
	if (rc != 0) {
		snprintf(why, n, "seccomp filter refused");
		return -1;
	}
	return 0;
}
