/* faxvaultd's supervisor (see role.h and supv.h): the process `faxvaultd`
 * serves as. It holds no key and no database and parses nothing from the
 * network: it binds the listening sockets, starts the service and, for the
 * service, the key holder and the front ends, reaps them all, restarts the
 * service when it dies or hangs (no heartbeat for service.hang_seconds)
 * and drains everything on SIGTERM. Under systemd it says when the service
 * is ready and feeds the unit's watchdog (sd_notify's protocol, without
 * libsystemd). */
#include "role.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <seccomp.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "confine.h"
#include "ipc.h"
#include "log.h"
#include "numparse.h"
#include "probe.h"
#include "spawner.h"
#include "supv.h"
#include "timeutil.h"
#include "xalloc.h"

#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 30000
#define STABLE_MS 60000     /* a service up this long is started again at once */
#define KIDS_MAX 32
#define KIDS_GRACE_MS 10000 /* the service's children, after it died: SIGTERM, then SIGKILL */

/* systemd's notification socket (NOTIFY_SOCKET), when faxvaultd runs as
 * a unit of Type=notify: READY=1 once the service is first ready,
 * STOPPING=1 at the stop, WATCHDOG=1 every half of WATCHDOG_USEC (the
 * unit's WatchdogSec=) from this process's own loop. */
struct notify {
	int fd;                  /* -1: none */
	struct sockaddr_un sa;
	socklen_t len;
	int64_t every_ms;        /* 0: no watchdog */
	int64_t next;            /* when the next WATCHDOG=1 is due (ms, monotonic) */
	int ready_sent;
};

struct sup {
	const config_t *cfg;
	char *const *argv;
	int sfd;                 /* signalfd: SIGTERM, SIGINT, SIGHUP, SIGCHLD */
	int listen[SERVICE_LISTEN_N];
	pid_t service;           /* 0 while down */
	pid_t last_service;      /* the one that ended */
	int ctl;                 /* our end of the service's control socket, -1 */
	int ready, stopping, service_status, service_done;
	pid_t kids[KIDS_MAX];    /* the service's children (key holder, front ends) */
	int spawner;             /* our socket to the spawner (spawner.h), -1 */
	pid_t spawner_pid;       /* 0 once it ended */
	int failed;              /* the spawner ended: stop, status 1 */
	/* A hung service (service.hang_seconds, liveness.h): in ms, monotonic. */
	int64_t hang_ms;         /* 0: not watched */
	int64_t alive_by;        /* killed unless a heartbeat comes before; 0: not armed */
	int64_t last_beat;       /* the last heartbeat (or the ready) */
	char stall_role[SUPV_ROLE_MAX + 1]; /* the last stall told since it, "" none */
	uint32_t stall_ms;
	int64_t stall_at;
	struct notify nt;
};

static int64_t now_ms(void)
{
	return time_mono_ns() / 1000000;
}

/* What systemd's environment says (NOTIFY_SOCKET, WATCHDOG_USEC,
 * WATCHDOG_PID), taken out of it so that no child of ours sees it (as
 * sd_notify's unset_environment). Before the spawner is forked. */
static void notify_env(struct notify *n)
{
	const char *path = getenv("NOTIFY_SOCKET");
	const char *usec = getenv("WATCHDOG_USEC"), *wpid = getenv("WATCHDOG_PID");
	int64_t us = 0, pid = 0;
	memset(n, 0, sizeof *n);
	n->fd = -1;
	size_t len = path ? strlen(path) : 0;
	/* A path, or an abstract name (@...); systemd's other forms (vsock)
	 * are not for a local unit. */
	if (len >= 2 && len < sizeof n->sa.sun_path && (path[0] == '/' || path[0] == '@')) {
		n->sa.sun_family = AF_UNIX;
		memcpy(n->sa.sun_path, path, len);
		if (path[0] == '@')
			n->sa.sun_path[0] = '\0';
		n->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (path[0] == '/'));
		if (usec && parse_i64z(usec, 1, INT64_MAX, &us) == 0 &&
		    (!wpid || (parse_i64z(wpid, 1, INT32_MAX, &pid) == 0 && pid == getpid())))
			n->every_ms = us / 2000 > 0 ? us / 2000 : 1;
	}
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
}

/* Its datagram socket (close-on-exec: the spawner, forked next, starts no
 * process with it): before the filter, which kills socket(2); each message
 * then goes with sendmsg to the address, which the filter allows. */
static void notify_open(struct notify *n)
{
	if (n->len == 0)
		return;
	n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (n->fd < 0)
		log_event(LOG_WARN, "supervisor.notify", "err=\"%s\"", strerror(errno));
	else
		log_event(LOG_INFO, "supervisor.notify", "watchdog_ms=%lld", (long long)n->every_ms);
	n->next = now_ms();
}

static void notify_send(struct notify *n, const char *what)
{
	if (n->fd < 0)
		return;
	struct iovec iov = { .iov_base = (void *)what, .iov_len = strlen(what) };
	struct msghdr mh = { .msg_name = &n->sa, .msg_namelen = n->len, .msg_iov = &iov,
		.msg_iovlen = 1 };
	if (sendmsg(n->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		log_event(LOG_WARN, "supervisor.notify", "what=%.*s err=\"%s\"", (int)strcspn(what, "="),
			what, strerror(errno));
}

/* No heartbeat by its deadline: the service is killed (the restart
 * follows as after a crash). The role and time are those of the last
 * stall the service told; none when it stopped telling anything (its
 * monitor, or the whole process, stuck). */
static void hung(struct sup *s, int64_t now)
{
	int told = s->stall_role[0] != 0;
	log_event(LOG_ERROR, "service.hung", "pid=%d role=%s busy_ms=%lld silent_ms=%lld hang_seconds=%lld",
		(int)s->service, told ? s->stall_role : "none",
		told ? (long long)s->stall_ms + (now - s->stall_at) : -1LL,
		(long long)(now - s->last_beat), (long long)s->cfg->service_hang_seconds);
	kill(s->service, SIGKILL);
	s->alive_by = 0;
}

/* What is due now (a hung service, the watchdog's ping), and the ms until
 * the next of them (-1: none), for poll. */
static int sup_due(struct sup *s)
{
	int64_t now = now_ms(), next = -1;
	if (s->alive_by && s->service > 0 && now >= s->alive_by)
		hung(s, now);
	if (s->alive_by && s->service > 0)
		next = s->alive_by;
	if (s->nt.fd >= 0 && s->nt.every_ms > 0) {
		if (now >= s->nt.next) {
			notify_send(&s->nt, "WATCHDOG=1");
			s->nt.next = now + s->nt.every_ms;
		}
		if (next < 0 || s->nt.next < next)
			next = s->nt.next;
	}
	if (next < 0)
		return -1;
	return next - now > 3600000 ? 3600000 : (int)(next - now);
}

static void exit_fields(int st, const char **what, int *val)
{
	*what = WIFSIGNALED(st) ? "signal" : "status";
	*val = WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st);
}

/* Reaps what ended: the service, or one of its children (told to the
 * service while it lives). */
static void reap(struct sup *s)
{
	int st;
	pid_t pid;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (pid == s->spawner_pid) {
			/* Nothing could be started again: everything stops. */
			const char *what;
			int val;
			exit_fields(st, &what, &val);
			log_event(LOG_ERROR, "supervisor.spawner_exited", "pid=%d %s=%d", (int)pid, what, val);
			s->spawner_pid = 0;
			s->failed = 1;
			if (!s->stopping) {
				s->stopping = 1;
				if (s->service > 0)
					kill(s->service, SIGTERM);
			}
			continue;
		}
		if (pid == s->service) {
			s->last_service = pid;
			s->service = 0;
			s->service_done = 1;
			s->service_status = st;
			continue;
		}
		for (int i = 0; i < KIDS_MAX; i++)
			if (s->kids[i] == pid)
				s->kids[i] = 0;
		if (s->ctl >= 0) {
			struct ipc_out o;
			supv_exited_encode(&o, (uint32_t)pid, (uint32_t)st);
			ipc_send(s->ctl, &o);
		} else {
			/* The service is gone: nobody else logs it. */
			const char *what;
			int val;
			exit_fields(st, &what, &val);
			log_event(LOG_INFO, "supervisor.child_exited", "pid=%d %s=%d", (int)pid, what, val);
		}
	}
}

/* One signal taken: 1 when it was one. */
static int take_signal(struct sup *s)
{
	struct signalfd_siginfo si;
	if (read(s->sfd, &si, sizeof si) != (ssize_t)sizeof si)
		return 0;
	if (si.ssi_signo == SIGCHLD) {
		reap(s);
	} else if (si.ssi_signo == SIGUSR1) {
		/* testing.supervisor_seccomp_probe: a call the filter forbids. */
		log_event(LOG_WARN, "supervisor.seccomp_probe", "call=socket");
		syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0);
	} else if (si.ssi_signo == SIGHUP) {
		role_log_open(s->cfg, 1);
		if (s->service > 0)
			kill(s->service, SIGHUP);
	} else if (!s->stopping) {
		s->stopping = 1;
		log_event(LOG_INFO, "supervisor.stopping", "signal=%u", si.ssi_signo);
		notify_send(&s->nt, "STOPPING=1");
		if (s->service > 0)
			kill(s->service, SIGTERM);
	}
	return 1;
}

/* A child for the service (SUPV_SPAWN): started with a new socketpair's end
 * as fd 3 and the descriptors the service sent as 4..; the other end goes
 * back in SUPV_SPAWNED. */
static void spawn_for_service(struct sup *s, struct ipc_msg *m)
{
	char role[SUPV_ROLE_MAX + 1];
	if (supv_spawn_decode(m, role) != 0) {
		log_event(LOG_ERROR, "supervisor.bad_message", "type=%u pid=%d", (unsigned)m->type,
			(int)s->service);
		kill(s->service, SIGKILL);
		return;
	}
	int slot = 0;
	while (slot < KIDS_MAX && s->kids[slot])
		slot++;
	int theirs = -1;
	pid_t pid = 0;
	int rc = slot == KIDS_MAX ? EAGAIN
		: spawner_start(s->spawner, role, m->fds, m->nfds, &pid, &theirs);
	struct ipc_out *o = xmalloc(sizeof *o);
	supv_spawned_encode(o, m->id, (uint32_t)rc, rc == 0 ? (uint32_t)pid : 0);
	if (rc == 0) {
		s->kids[slot] = pid;
		ipc_put_fd(o, theirs);
	} else {
		log_event(LOG_ERROR, "supervisor.spawn_failed", "role=%s err=\"%s\"", role, strerror(rc));
	}
	ipc_send(s->ctl, o);
	free(o);
	if (theirs >= 0)
		close(theirs);
}

/* SUPV_KILL: the signal to a child of the service's that has not been
 * reaped (this loop reaps them, so its pid is still its own); any other
 * pid is refused. */
static void kill_for_service(struct sup *s, uint32_t pid, uint32_t sig)
{
	for (int i = 0; i < KIDS_MAX; i++)
		if (s->kids[i] > 0 && s->kids[i] == (pid_t)pid) {
			log_event(LOG_INFO, "supervisor.signal", "pid=%u signal=%u", pid, sig);
			kill(s->kids[i], (int)sig);
			return;
		}
	log_event(LOG_WARN, "supervisor.signal_refused", "pid=%u signal=%u why=\"not a child of the service\"",
		pid, sig);
}

/* The service's messages, until it closes its socket. */
static void from_service(struct sup *s)
{
	struct ipc_msg m;
	int rc = ipc_recv(s->ctl, &m);
	uint32_t pid, sig;
	if (rc == 0 && m.type == SUPV_SPAWN) {
		spawn_for_service(s, &m);
	} else if (rc == 0 && supv_kill_decode(&m, &pid, &sig) == 0) {
		kill_for_service(s, pid, sig);
	} else if (rc == 0 && supv_ready_decode(&m) == 0) {
		s->ready = 1;
		log_event(LOG_INFO, "supervisor.service_ready", "pid=%d", (int)s->service);
		s->last_beat = now_ms();
		s->stall_role[0] = '\0';
		if (s->hang_ms > 0)
			s->alive_by = s->last_beat + s->hang_ms;
		if (!s->nt.ready_sent) {
			notify_send(&s->nt, "READY=1");
			s->nt.ready_sent = 1;
		}
	} else if (rc == 0 && supv_heartbeat_decode(&m) == 0) {
		s->last_beat = now_ms();
		s->stall_role[0] = '\0';
		if (s->alive_by)
			s->alive_by = s->last_beat + s->hang_ms;
	} else if (rc == 0 && supv_stalled_decode(&m, s->stall_role, &s->stall_ms) == 0) {
		/* No heartbeat: the deadline stays; what it was told is logged
		 * if it passes. */
		s->stall_at = now_ms();
	} else {
		if (rc != 1) {
			log_event(LOG_ERROR, "supervisor.bad_message", "type=%u pid=%d",
				(unsigned)(rc == 0 ? m.type : 0), (int)s->service);
			kill(s->service, SIGKILL);
		}
		close(s->ctl);
		s->ctl = -1;
	}
	ipc_msg_free(&m);
}

/* Starts the service (through the spawner): its control socket on fd 3,
 * the listening sockets on 4.. (a slot without one holds /dev/null). 0, or
 * -1. */
static int start_service(struct sup *s)
{
	int ctl = -1;
	pid_t pid = 0;
	int rc = spawner_start(s->spawner, "service", NULL, 0, &pid, &ctl);
	if (rc != 0) {
		log_event(LOG_ERROR, "supervisor.spawn_failed", "role=service err=\"%s\"", strerror(rc));
		return -1;
	}
	s->service = pid;
	s->ctl = ctl;
	s->ready = 0;
	s->service_done = 0;
	s->alive_by = 0;
	log_event(LOG_INFO, "supervisor.service_spawned", "pid=%d", (int)pid);
	return 0;
}

static int kids_left(const struct sup *s)
{
	int n = 0;
	for (int i = 0; i < KIDS_MAX; i++)
		n += s->kids[i] > 0;
	return n;
}

static void signal_kids(const struct sup *s, int sig)
{
	for (int i = 0; i < KIDS_MAX; i++)
		if (s->kids[i] > 0)
			kill(s->kids[i], sig);
}

/* Waits for signals for up to ms (-1: no limit) or until done(s). */
static void wait_signals(struct sup *s, int ms, int (*done)(const struct sup *))
{
	int64_t end = time_mono_ns() / 1000000 + ms;
	while (!done(s)) {
		int left = ms < 0 ? -1 : (int)(end - time_mono_ns() / 1000000);
		if (ms >= 0 && left <= 0)
			return;
		int due = sup_due(s);
		struct pollfd p = { .fd = s->sfd, .events = POLLIN };
		if (poll(&p, 1, due >= 0 && (left < 0 || due < left) ? due : left) == 1)
			take_signal(s);
	}
}

static int no_kids(const struct sup *s)
{
	return kids_left(s) == 0;
}

static int is_stopping(const struct sup *s)
{
	return s->stopping;
}

/* The supervisor's filter, once the spawner is forked (confine_load: what
 * is not listed fails with EACCES). It waits for signals and its
 * children, reads and writes its sockets to the service and the spawner,
 * passes descriptors along, signals its children, writes and reopens its
 * log (as the service's user: the file-system ids). */
static const int sup_allowed[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(writev), SCMP_SYS(pread64), SCMP_SYS(lseek),
	SCMP_SYS(close), SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(recvmsg), SCMP_SYS(sendmsg),
	SCMP_SYS(wait4), SCMP_SYS(waitid), SCMP_SYS(kill), SCMP_SYS(openat), SCMP_SYS(open),
	SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(statx), SCMP_SYS(fcntl), SCMP_SYS(dup),
	SCMP_SYS(dup2), SCMP_SYS(dup3), SCMP_SYS(setfsuid), SCMP_SYS(setfsgid), SCMP_SYS(brk),
	SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(madvise), SCMP_SYS(futex), SCMP_SYS(exit),
	SCMP_SYS(exit_group), SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(rt_sigaction), SCMP_SYS(sigaltstack), SCMP_SYS(restart_syscall),
	SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday), SCMP_SYS(clock_nanosleep),
	SCMP_SYS(nanosleep), SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(getppid), SCMP_SYS(getuid),
	SCMP_SYS(geteuid), SCMP_SYS(getgid), SCMP_SYS(getegid), SCMP_SYS(getrandom),
	SCMP_SYS(sched_yield), SCMP_SYS(prlimit64), SCMP_SYS(getrusage),
};
/* Killed besides the base list (confine.h): sockets of any kind (its
 * listeners are bound before), processes (the spawner starts them),
 * another program, tracing, identity changes, mounts and namespaces. */
static const int sup_killed[] = {
	SCMP_SYS(socket), SCMP_SYS(socketpair), SCMP_SYS(connect), SCMP_SYS(bind),
	SCMP_SYS(listen), SCMP_SYS(accept), SCMP_SYS(accept4), SCMP_SYS(execve),
	SCMP_SYS(execveat), SCMP_SYS(fork), SCMP_SYS(vfork), SCMP_SYS(clone), SCMP_SYS(clone3),
	SCMP_SYS(ptrace), SCMP_SYS(setuid), SCMP_SYS(setgid), SCMP_SYS(setreuid),
	SCMP_SYS(setregid), SCMP_SYS(setresuid), SCMP_SYS(setresgid), SCMP_SYS(setgroups),
	SCMP_SYS(capset), SCMP_SYS(mount), SCMP_SYS(umount2), SCMP_SYS(chroot),
	SCMP_SYS(pivot_root), SCMP_SYS(unshare), SCMP_SYS(setns), SCMP_SYS(seccomp),
};

/* no_new_privs and the filter. 0, or -1. */
static int sup_confine(void)
{
	size_t nk = 0, nb = confine_base_nkilled, ns = sizeof sup_killed / sizeof sup_killed[0];
	int *killed = xcalloc(nb + ns, sizeof *killed);
	for (size_t i = 0; i < nb + ns; i++) {
		int c = i < nb ? confine_base_killed[i] : sup_killed[i - nb];
		size_t k = 0;
		while (k < nk && killed[k] != c)
			k++;
		if (k == nk)
			killed[nk++] = c;
	}
	int rc = prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
		confine_load(sup_allowed, sizeof sup_allowed / sizeof sup_allowed[0], killed, nk, 0) == 0
		? 0 : -1;
	free(killed);
	return rc;
}

int supervisor_main(const config_t *cfg, char *const *argv)
{
	struct sup s = { .cfg = cfg, .argv = argv, .ctl = -1, .spawner = -1,
		.hang_ms = cfg->service_hang_seconds * 1000 };
	notify_env(&s.nt);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	if (cfg->test_supervisor_seccomp_probe)
		sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	s.sfd = signalfd(-1, &set, SFD_CLOEXEC);
	/* Every listening address first, bound here and kept for the life of
	 * faxvaultd: one already taken stops the start before the database is
	 * migrated or a key created, and a restarted service (or front end)
	 * serves the same sockets, with the connections in their backlog. */
	const struct {
		const char *addr;
		int type;
	} want[SERVICE_LISTEN_N] = {
		[SERVICE_LISTEN_HTTP] = { cfg->http_listen, SOCK_STREAM },
		[SERVICE_LISTEN_METRICS] = { cfg->metrics_listen, SOCK_STREAM },
		[SERVICE_LISTEN_SIP] = { cfg->fax_enabled ? cfg->fax_loopback_sip : "", SOCK_DGRAM },
		[SERVICE_LISTEN_SMTP] = { cfg->mail_smtp_listen, SOCK_STREAM },
		[SERVICE_LISTEN_LMTP] = { cfg->mail_lmtp_listen, SOCK_STREAM },
	};
	char err[256];
	int rc = s.sfd < 0 ? 1 : 0;
	for (int i = 0; i < SERVICE_LISTEN_N; i++)
		s.listen[i] = -1;
	for (int i = 0; i < SERVICE_LISTEN_N && rc == 0; i++)
		if (probe_listen(want[i].addr, want[i].type, &s.listen[i], err, sizeof err) != 0) {
			log_event(LOG_ERROR, "daemon.start", "err=\"%s\"", err);
			fprintf(stderr, "faxvaultd: %s\n", err);
			rc = 1;
		}
	/* Under root with daemon.service_user, once the sockets are bound
	 * (CAP_NET_BIND_SERVICE no longer needed): only what starting the
	 * others under their users takes (role.h). */
	uid_t su;
	gid_t sg;
	if (rc == 0 && role_service_user(cfg, &su, &sg, err, sizeof err) == 1) {
		if (role_supervisor_caps(err, sizeof err) != 0) {
			log_event(LOG_ERROR, "daemon.start", "err=\"%s\"", err);
			fprintf(stderr, "faxvaultd: %s\n", err);
			rc = 1;
		} else {
			log_event(LOG_INFO, "supervisor.users", "service_user=%s uid=%u caps=%#llx",
				cfg->service_user, (unsigned)su, (unsigned long long)ROLE_SUPERVISOR_CAPS);
		}
	}
	/* The spawner, then this process's filter: from now on it makes no
	 * socket and no process of its own (spawner.h). */
	int confined = 0;
	if (rc == 0) {
		notify_open(&s.nt);
		s.spawner_pid = spawner_fork(argv, s.listen, &s.spawner);
		if (s.spawner_pid < 0) {
			s.spawner_pid = 0;
			snprintf(err, sizeof err, "cannot start the spawner: %s", strerror(errno));
		} else if (sup_confine() != 0) {
			snprintf(err, sizeof err, "the supervisor's seccomp filter could not be loaded");
		} else {
			confined = 1;
			log_event(LOG_INFO, "supervisor.confined", "spawner=%d seccomp=1", (int)s.spawner_pid);
		}
		if (!confined) {
			log_event(LOG_ERROR, "daemon.start", "err=\"%s\"", err);
			fprintf(stderr, "faxvaultd: %s\n", err);
			rc = 1;
		}
	}
	unsigned backoff = BACKOFF_MIN_MS;
	while (rc == 0) {
		if (start_service(&s) != 0) {
			rc = 1;
			break;
		}
		int64_t started = time_mono_ns() / 1000000;
		while (!s.service_done) {
			struct pollfd p[2] = { { .fd = s.sfd, .events = POLLIN }, { .fd = s.ctl, .events = POLLIN } };
			if (poll(p, s.ctl >= 0 ? 2 : 1, sup_due(&s)) <= 0)
				continue;
			if (p[0].revents)
				take_signal(&s);
			else if (s.ctl >= 0 && p[1].revents)
				from_service(&s);
		}
		if (s.ctl >= 0)
			close(s.ctl);
		s.ctl = -1;
		/* Its children see their socket to it close and end; those that
		 * do not are ended. */
		signal_kids(&s, SIGTERM);
		wait_signals(&s, KIDS_GRACE_MS, no_kids);
		signal_kids(&s, SIGKILL);
		wait_signals(&s, -1, no_kids);
		const char *what;
		int val;
		exit_fields(s.service_status, &what, &val);
		if (s.stopping || !s.ready) {
			/* A stop, or a service that could not start: its status. */
			rc = WIFEXITED(s.service_status) ? WEXITSTATUS(s.service_status) : 1;
			if (!s.ready && !s.stopping)
				log_event(LOG_ERROR, "supervisor.service_failed", "pid=%d %s=%d",
					(int)s.last_service, what, val);
			break;
		}
		if (time_mono_ns() / 1000000 - started >= STABLE_MS)
			backoff = BACKOFF_MIN_MS;
		log_event(LOG_ERROR, "supervisor.service_exited", "pid=%d %s=%d restart_in_ms=%u",
			(int)s.last_service, what, val, backoff);
		wait_signals(&s, (int)backoff, is_stopping);
		if (s.stopping)
			break;
		backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
	}
	if (s.failed)
		rc = 1;
	for (int i = 0; i < SERVICE_LISTEN_N; i++)
		if (s.listen[i] >= 0)
			close(s.listen[i]);
	if (s.sfd >= 0)
		close(s.sfd);
	if (s.nt.fd >= 0)
		close(s.nt.fd);
	/* The spawner ends when its socket closes. */
	if (s.spawner >= 0)
		close(s.spawner);
	if (s.spawner_pid > 0)
		waitpid(s.spawner_pid, NULL, 0);
	log_event(LOG_INFO, "supervisor.stopped", "status=%d", rc);
	/* Under the filter the sanitizers' exit-time leak check (it starts a
	 * thread and traces the process) would be killed: nothing is left to
	 * unwind that the exit does not. */
	if (confined) {
		fflush(NULL);
		_exit(rc);
	}
	return rc;
}
