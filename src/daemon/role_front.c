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
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "confine.h"
#include "ipc.h"
#include "log.h"
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

/* The read-only bind of a file of the real root at the same name under
 * root (root/etc/...), when the file exists. 0, or -1. */
static int bind_file(const char *root, const char *file)
{
	char dst[128];
	snprintf(dst, sizeof dst, "%s%s", root, file);
	if (access(file, R_OK) != 0)
		return 0;
	int fd = open(dst, O_WRONLY | O_CREAT | O_CLOEXEC, 0444);
	if (fd < 0)
		return -1;
	close(fd);
	if (mount(file, dst, NULL, MS_BIND, NULL) != 0 ||
	    mount(NULL, dst, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		    NULL) != 0)
		return -1;
	return 0;
}

int role_front_proc_root(char *why, size_t n)
{
	if (geteuid() != 0)
		return 0;
	/* A mount namespace of its own, nothing propagated either way; a
	 * tmpfs on /tmp there (no other process sees it) becomes the root. */
	static const char root[] = "/tmp";
	static const char *const files[] = { "/etc/hosts", "/etc/resolv.conf", "/etc/nsswitch.conf",
		"/etc/host.conf", "/etc/gai.conf" };
	const char *step = "unshare";
	int ok = unshare(CLONE_NEWNS) == 0 &&
		(step = "private mounts", mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0) &&
		(step = "tmpfs", mount("fv-sip-root", root, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
			"size=64k,nr_inodes=32,mode=0755") == 0) &&
		(step = "mkdir", mkdir("/tmp/proc", 0555) == 0 && mkdir("/tmp/etc", 0755) == 0);
	/* Its own processes only (hidepid=invisible, another user's are not
	 * there), and nothing of /proc but them (subset=pid: Linux 5.8). */
	if (ok && (step = "proc", mount("proc", "/tmp/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		       "hidepid=invisible,subset=pid") != 0 &&
		    mount("proc", "/tmp/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=2") != 0))
		ok = 0;
	for (size_t i = 0; ok && i < sizeof files / sizeof files[0]; i++)
		if ((step = files[i], bind_file(root, files[i])) != 0)
			ok = 0;
	/* Writable by its owner until filled: root without CAP_DAC_OVERRIDE
	 * (the packaged unit) cannot write in a 0555 directory. */
	if (ok && (step = "chmod", chmod("/tmp/etc", 0555) != 0 || chmod(root, 0555) != 0))
		ok = 0;
	if (ok && !((step = "read-only", mount(NULL, root, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID |
		       MS_NODEV | MS_NOEXEC, NULL) == 0) &&
		    (step = "chroot", chdir(root) == 0 && chroot(".") == 0 && chdir("/") == 0)))
		ok = 0;
	if (!ok) {
		snprintf(why, n, "cannot change the root to an empty one with /proc (%s): %s", step,
			strerror(errno));
		return -1;
	}
	return 0;
}

/* unkill[]: calls of the killed list allowed instead (the SIP front end's
 * sockets); dumpable: the process may open its own /proc/self/fd links
 * after the change of identity. */
enum root_kind { ROOT_KEEP, ROOT_EMPTY, ROOT_PROC };
static int confine(const config_t *cfg, const char *user, enum root_kind root, const int *extra,
	size_t nextra, const int *unkill, size_t nunkill, bool dumpable, char *why, size_t n);

int role_front_confine(const config_t *cfg, const int *extra, size_t nextra, char *why, size_t n)
{
	return confine(cfg, NULL, ROOT_KEEP, extra, nextra, NULL, 0, false, why, n);
}

int role_front_confine_as(const config_t *cfg, const char *user, const int *extra, size_t nextra,
	char *why, size_t n)
{
	return confine(cfg, user, ROOT_EMPTY, extra, nextra, NULL, 0, false, why, n);
}

int role_front_confine_net(const config_t *cfg, const char *user, const int *extra, size_t nextra,
	const int *unkill, size_t nunkill, char *why, size_t n)
{
	return confine(cfg, user, ROOT_PROC, extra, nextra, unkill, nunkill, true, why, n);
}

static int confine(const config_t *cfg, const char *user, enum root_kind root, const int *extra,
	size_t nextra, const int *unkill, size_t nunkill, bool dumpable, char *why, size_t n)
{
	/* Nothing of the file system in view, then the user; a change of
	 * identity clears the parent-death signal: set again. */
	const char *who = user && *user ? user : cfg->unprivileged_user;
	uid_t uid = 0;
	gid_t gid = 0;
	if (lookup_user(who, &uid, &gid, why, n) != 0 ||
	    (root == ROOT_EMPTY && role_front_empty_root(why, n) != 0) ||
	    (root == ROOT_PROC && role_front_proc_root(why, n) != 0) ||
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

const char *role_bad_frame_name(int kind)
{
	static const char *const kinds[ROLE_BAD_KINDS] = { "empty", "version", "type", "close",
		"body_size", "inflight", "page", "result", "verdict", "rpc" };
	return kind >= 0 && kind < ROLE_BAD_KINDS ? kinds[kind] : NULL;
}

int role_front_bad_message(const char *name, int sock, int kind, const char *what)
{
	char ev[64];
	snprintf(ev, sizeof ev, "%s.test_bad_frame", name);
	log_event(LOG_WARN, ev, "pid=%d kind=%s on=%s", (int)getpid(), role_bad_frame_name(kind), what);
	struct ipc_out *o = xmalloc(sizeof *o);
	ipc_out_init(o, ROLE_BAD_MSG_TYPE, 1);
	int rc = ipc_send(sock, o);
	free(o);
	if (rc != 0)
		log_event(LOG_WARN, ev, "err=\"%s\"", strerror(errno));
	return rc;
}

void role_front_bad_frame(const char *name, int sock, int kind)
{
	char ev[64];
	snprintf(ev, sizeof ev, "%s.test_bad_frame", name);
	if (kind < ROLE_BAD_EMPTY || kind > ROLE_BAD_CLOSE) {
		log_event(LOG_WARN, ev, "pid=%d kind=%d sent=0", (int)getpid(), kind);
		return;
	}
	if (kind == ROLE_BAD_TYPE) {
		role_front_bad_message(name, sock, kind, "channel");
		return;
	}
	log_event(LOG_WARN, ev, "pid=%d kind=%s", (int)getpid(), role_bad_frame_name(kind));
	if (kind == ROLE_BAD_CLOSE) {
		/* The channel ended and the process kept: stopped, it neither
		 * exits nor reads (tgkill to itself is allowed by its filter). */
		shutdown(sock, SHUT_RDWR);
		raise(SIGSTOP);
		return;
	}
	uint8_t hdr[IPC_HDR_LEN] = { 2 }; /* version 2, type 0, length 0, id 0 */
	if (send(sock, hdr, kind == ROLE_BAD_EMPTY ? 0 : sizeof hdr, MSG_NOSIGNAL) < 0)
		log_event(LOG_WARN, ev, "err=\"%s\"", strerror(errno));
}
