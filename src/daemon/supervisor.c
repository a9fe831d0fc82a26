/* faxvaultd's supervisor (see role.h and supv.h): the process `faxvaultd`
 * serves as. It holds no key and no database and parses nothing from the
 * network: it binds the listening sockets, starts the service and, for the
 * service, the key holder and the front ends, reaps them all, restarts the
 * service when it dies and drains everything on SIGTERM. */
#include "role.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipc.h"
#include "log.h"
#include "probe.h"
#include "supv.h"
#include "timeutil.h"
#include "xalloc.h"

#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 30000
#define STABLE_MS 60000     /* a service up this long is started again at once */
#define KIDS_MAX 32
#define KIDS_GRACE_MS 10000 /* the service's children, after it died: SIGTERM, then SIGKILL */

char **role_argv_of(char *const *argv, const char *title, const char *name)
{
	size_t n = 0;
	while (argv[n])
		n++;
	char **out = xcalloc(n + 3, sizeof *out);
	out[0] = (char *)title;
	out[1] = (char *)"--role";
	out[2] = (char *)name;
	for (size_t i = 1; i < n; i++)
		out[i + 2] = argv[i];
	return out;
}

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
};

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
	} else if (si.ssi_signo == SIGHUP) {
		role_log_open(s->cfg, 1);
		if (s->service > 0)
			kill(s->service, SIGHUP);
	} else if (!s->stopping) {
		s->stopping = 1;
		log_event(LOG_INFO, "supervisor.stopping", "signal=%u", si.ssi_signo);
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
	int sv[2] = { -1, -1 }, fds[SUPV_SPAWN_FDS_MAX + 1];
	pid_t pid = 0;
	int rc = slot == KIDS_MAX ? EAGAIN : ipc_socketpair(sv) != 0 ? errno : 0;
	if (rc == 0) {
		fds[0] = sv[1];
		for (size_t i = 0; i < m->nfds; i++)
			fds[i + 1] = m->fds[i];
		char title[40];
		snprintf(title, sizeof title, "faxvaultd: %s", role);
		char **av = role_argv_of(s->argv, title, role);
		rc = ipc_spawn("/proc/self/exe", av, fds, m->nfds + 1, &pid);
		free(av);
		close(sv[1]);
	}
	struct ipc_out *o = xmalloc(sizeof *o);
	supv_spawned_encode(o, m->id, (uint32_t)rc, rc == 0 ? (uint32_t)pid : 0);
	if (rc == 0) {
		s->kids[slot] = pid;
		ipc_put_fd(o, sv[0]);
	} else {
		log_event(LOG_ERROR, "supervisor.spawn_failed", "role=%s err=\"%s\"", role, strerror(rc));
	}
	ipc_send(s->ctl, o);
	free(o);
	if (sv[0] >= 0)
		close(sv[0]);
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

/* Starts the service: its control socket on fd 3, the listening sockets on
 * 4.. (a slot without one holds /dev/null). 0, or -1. */
static int start_service(struct sup *s)
{
	int sv[2];
	if (ipc_socketpair(sv) != 0)
		return -1;
	int fds[1 + SERVICE_LISTEN_N], null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	fds[0] = sv[1];
	for (int i = 0; i < SERVICE_LISTEN_N; i++)
		fds[i + 1] = s->listen[i] >= 0 ? s->listen[i] : null;
	char **av = role_argv_of(s->argv, "faxvaultd: service", "service");
	pid_t pid = 0;
	int rc = null < 0 ? errno : ipc_spawn("/proc/self/exe", av, fds, 1 + SERVICE_LISTEN_N, &pid);
	free(av);
	close(sv[1]);
	if (null >= 0)
		close(null);
	if (rc != 0) {
		close(sv[0]);
		log_event(LOG_ERROR, "supervisor.spawn_failed", "role=service err=\"%s\"", strerror(rc));
		return -1;
	}
	s->service = pid;
	s->ctl = sv[0];
	s->ready = 0;
	s->service_done = 0;
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
		struct pollfd p = { .fd = s->sfd, .events = POLLIN };
		if (poll(&p, 1, left) == 1)
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

int supervisor_main(const config_t *cfg, char *const *argv)
{
	struct sup s = { .cfg = cfg, .argv = argv, .ctl = -1 };
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
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
	unsigned backoff = BACKOFF_MIN_MS;
	while (rc == 0) {
		if (start_service(&s) != 0) {
			rc = 1;
			break;
		}
		int64_t started = time_mono_ns() / 1000000;
		while (!s.service_done) {
			struct pollfd p[2] = { { .fd = s.sfd, .events = POLLIN }, { .fd = s.ctl, .events = POLLIN } };
			if (poll(p, s.ctl >= 0 ? 2 : 1, -1) < 0)
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
	for (int i = 0; i < SERVICE_LISTEN_N; i++)
		if (s.listen[i] >= 0)
			close(s.listen[i]);
	if (s.sfd >= 0)
		close(s.sfd);
	log_event(LOG_INFO, "supervisor.stopped", "status=%d", rc);
	return rc;
}
