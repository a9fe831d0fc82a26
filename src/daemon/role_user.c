/* Who each process runs as when faxvaultd is started as root (see role.h):
 * the supervisor keeps only the capabilities it needs to start the others
 * under their users, the service and the key holder become
 * daemon.service_user with none. */
#include "role.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"

int role_service_user(const config_t *cfg, uid_t *uid, gid_t *gid, char *why, size_t n)
{
	if (geteuid() != 0 || !*cfg->service_user)
		return 0;
	/* Looked up once: the supervisor asks again on SIGHUP (role_log_open),
	 * under a filter that refuses the sockets a lookup may open (nscd). */
	static char name[65];
	static uid_t known_uid;
	static gid_t known_gid;
	if (*name && strcmp(name, cfg->service_user) == 0) {
		*uid = known_uid;
		*gid = known_gid;
		return 1;
	}
	struct passwd *pw = getpwnam(cfg->service_user);
	if (!pw || pw->pw_uid == 0) {
		snprintf(why, n, "daemon.service_user \"%s\": %s", cfg->service_user,
			pw ? "is root" : "no such user");
		return -1;
	}
	*uid = known_uid = pw->pw_uid;
	*gid = known_gid = pw->pw_gid;
	snprintf(name, sizeof name, "%s", cfg->service_user);
	return 1;
}

static int became;

int role_is_service_user(void)
{
	return became;
}

int role_become_service_user(const config_t *cfg, char *why, size_t n)
{
	uid_t uid;
	gid_t gid;
	int rc = role_service_user(cfg, &uid, &gid, why, n);
	if (rc <= 0)
		return rc;
	/* A change of uid from 0 clears the permitted, effective and ambient
	 * capabilities (no SECBIT_KEEP_CAPS); setuid(0) must fail after. */
	if (setgroups(0, NULL) != 0 || setgid(gid) != 0 || setuid(uid) != 0 || setuid(0) == 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		snprintf(why, n, "cannot become daemon.service_user %s: %s", cfg->service_user,
			strerror(errno));
		return -1;
	}
	became = 1;
	return 0;
}

/* The capability sets of this process: raw capget/capset (no libcap). */
static int caps_get(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	return (int)syscall(SYS_capget, &h, d);
}

static int caps_set(uint64_t eff, uint64_t perm)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = {
		{ .effective = (uint32_t)eff, .permitted = (uint32_t)perm },
		{ .effective = (uint32_t)(eff >> 32), .permitted = (uint32_t)(perm >> 32) },
	};
	return (int)syscall(SYS_capset, &h, d);
}

int role_supervisor_caps(char *why, size_t n)
{
	if (geteuid() != 0)
		return 0;
	const uint64_t keep = ROLE_SUPERVISOR_CAPS;
	struct __user_cap_data_struct d[2];
	if (caps_get(d) != 0) {
		snprintf(why, n, "capget: %s", strerror(errno));
		return -1;
	}
	uint64_t perm = (uint64_t)d[0].permitted | (uint64_t)d[1].permitted << 32;
	if ((perm & keep) != keep) {
		snprintf(why, n, "started as root without the capabilities it needs (permitted %#llx, "
			"needs %#llx: CAP_KILL, CAP_SETUID, CAP_SETGID, CAP_SYS_CHROOT, CAP_SYS_ADMIN)",
			(unsigned long long)perm, (unsigned long long)keep);
		return -1;
	}
	/* The bounding set (what a child started as root may have) cut to
	 * the same, when this process may (CAP_SETPCAP: the packaged unit
	 * has already cut it, CapabilityBoundingSet=); CAP_SETPCAP last. */
	if (perm & (1ull << CAP_SETPCAP)) {
		for (int c = 0; c <= CAP_LAST_CAP; c++)
			if (c != CAP_SETPCAP && !(keep & (1ull << c)) && prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1 &&
			    prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0) {
				snprintf(why, n, "cannot drop capability %d from the bounding set: %s", c,
					strerror(errno));
				return -1;
			}
		if (prctl(PR_CAPBSET_DROP, CAP_SETPCAP, 0, 0, 0) != 0) {
			snprintf(why, n, "cannot drop CAP_SETPCAP from the bounding set: %s", strerror(errno));
			return -1;
		}
	}
	if (caps_set(keep, keep) != 0) {
		snprintf(why, n, "capset: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* The file-system ids of this thread (setfsuid and setfsgid answer the
 * previous value, never an error). */
static void fs_ids(uid_t uid, gid_t gid)
{
	setfsgid(gid);
	setfsuid(uid);
}

int role_log_open(const config_t *cfg, int reopen)
{
	if (!*cfg->log_file)
		return 0;
	uid_t uid;
	gid_t gid;
	char why[128];
	int as = role_service_user(cfg, &uid, &gid, why, sizeof why) == 1;
	/* Created or opened as the service's user: without CAP_DAC_OVERRIDE
	 * (the packaged unit) root cannot open that user's 0600 file, and the
	 * service must be able to open what root created. */
	if (as)
		fs_ids(uid, gid);
	int rc = reopen ? log_reopen() : log_open(cfg->log_file);
	if (as)
		fs_ids(0, 0);
	return rc;
}
