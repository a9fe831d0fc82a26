/* The supervisor's messages and the service's side of them (see supv.h). */
#include "supv.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "liveness.h"
#include "log.h"
#include "timeutil.h"
#include "xalloc.h"

static const char *const roles[] = { "vault", "http", "smtp", "sip" };

void supv_spawn_encode(struct ipc_out *o, uint64_t id, const char *role)
{
	ipc_out_init(o, SUPV_SPAWN, id);
	ipc_put_str(o, role);
}

int supv_spawn_decode(const struct ipc_msg *m, char *role)
{
	struct ipc_reader r;
	ipc_reader_init(&r, m);
	if (m->type != SUPV_SPAWN || m->nfds > SUPV_SPAWN_FDS_MAX ||
	    ipc_get_str(&r, role, SUPV_ROLE_MAX + 1, SUPV_ROLE_MAX) != 0 || ipc_reader_end(&r) != 0)
		return -1;
	for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
		if (strcmp(role, roles[i]) == 0)
			return 0;
	return -1;
}

void supv_spawned_encode(struct ipc_out *o, uint64_t id, uint32_t status, uint32_t pid)
{
	ipc_out_init(o, SUPV_SPAWNED, id);
	ipc_put_u32(o, status);
	ipc_put_u32(o, pid);
}

int supv_spawned_decode(const struct ipc_msg *m, uint32_t *status, uint32_t *pid)
{
	struct ipc_reader r;
	ipc_reader_init(&r, m);
	if (m->type != SUPV_SPAWNED || ipc_get_u32(&r, status) != 0 || ipc_get_u32(&r, pid) != 0 ||
	    ipc_reader_end(&r) != 0 || m->nfds != (*status == 0 ? 1u : 0u) ||
	    (*status == 0 && (*pid == 0 || *pid > INT32_MAX)))
		return -1;
	return 0;
}

void supv_exited_encode(struct ipc_out *o, uint32_t pid, uint32_t wstatus)
{
	ipc_out_init(o, SUPV_EXITED, 0);
	ipc_put_u32(o, pid);
	ipc_put_u32(o, wstatus);
}

int supv_exited_decode(const struct ipc_msg *m, uint32_t *pid, uint32_t *wstatus)
{
	struct ipc_reader r;
	ipc_reader_init(&r, m);
	return m->type == SUPV_EXITED && m->nfds == 0 && ipc_get_u32(&r, pid) == 0 &&
		ipc_get_u32(&r, wstatus) == 0 && ipc_reader_end(&r) == 0 && *pid > 0 &&
		*pid <= INT32_MAX ? 0 : -1;
}

void supv_ready_encode(struct ipc_out *o)
{
	ipc_out_init(o, SUPV_READY, 0);
}

int supv_ready_decode(const struct ipc_msg *m)
{
	return m->type == SUPV_READY && m->len == 0 && m->nfds == 0 ? 0 : -1;
}

void supv_kill_encode(struct ipc_out *o, uint32_t pid, uint32_t sig)
{
	ipc_out_init(o, SUPV_KILL, 0);
	ipc_put_u32(o, pid);
	ipc_put_u32(o, sig);
}

int supv_kill_decode(const struct ipc_msg *m, uint32_t *pid, uint32_t *sig)
{
	struct ipc_reader r;
	ipc_reader_init(&r, m);
	return m->type == SUPV_KILL && m->nfds == 0 && ipc_get_u32(&r, pid) == 0 &&
		ipc_get_u32(&r, sig) == 0 && ipc_reader_end(&r) == 0 && *pid > 0 && *pid <= INT32_MAX &&
		(*sig == SIGTERM || *sig == SIGKILL) ? 0 : -1;
}

void supv_heartbeat_encode(struct ipc_out *o)
{
	ipc_out_init(o, SUPV_HEARTBEAT, 0);
}

int supv_heartbeat_decode(const struct ipc_msg *m)
{
	return m->type == SUPV_HEARTBEAT && m->len == 0 && m->nfds == 0 ? 0 : -1;
}

void supv_stalled_encode(struct ipc_out *o, const char *role, uint32_t ms)
{
	ipc_out_init(o, SUPV_STALLED, 0);
	ipc_put_str(o, role);
	ipc_put_u32(o, ms);
}

int supv_stalled_decode(const struct ipc_msg *m, char *role, uint32_t *ms)
{
	struct ipc_reader r;
	ipc_reader_init(&r, m);
	if (m->type != SUPV_STALLED || m->nfds != 0 ||
	    ipc_get_str(&r, role, SUPV_ROLE_MAX + 1, SUPV_ROLE_MAX) != 0 || ipc_get_u32(&r, ms) != 0 ||
	    ipc_reader_end(&r) != 0 || !role[0])
		return -1;
	/* It goes into the supervisor's log as it is: letters only. */
	for (const char *c = role; *c; c++)
		if (*c < 'a' || *c > 'z')
			return -1;
	return 0;
}

/* ---- the service's side ---- */

#define EXITS_MAX 64

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int sock;            /* -1: no supervisor */
	int gone;            /* the supervisor closed the socket */
	uint64_t next_id;
	/* the replies waited for (one per id at a time) */
	struct reply {
		uint64_t id;
		int done;
		uint32_t status, pid;
		int fd;
	} *waiting[16];
	/* children ended, not yet waited for */
	struct exit_rec {
		pid_t pid;
		int wstatus;
	} exits[EXITS_MAX];
	size_t nexits;
} sv = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, -1, 0, 1, { 0 }, { { 0, 0 } }, 0 };

static void *reader_main(void *arg)
{
	(void)arg;
	for (;;) {
		struct ipc_msg m;
		int rc = ipc_recv(sv.sock, &m);
		uint32_t a, b;
		pthread_mutex_lock(&sv.mu);
		if (rc == 0 && supv_spawned_decode(&m, &a, &b) == 0) {
			for (size_t i = 0; i < sizeof sv.waiting / sizeof sv.waiting[0]; i++) {
				struct reply *w = sv.waiting[i];
				if (w && w->id == m.id && !w->done) {
					w->done = 1;
					w->status = a;
					w->pid = b;
					w->fd = a == 0 ? ipc_msg_take_fd(&m, 0) : -1;
				}
			}
		} else if (rc == 0 && supv_exited_decode(&m, &a, &b) == 0) {
			if (sv.nexits == EXITS_MAX) /* the oldest, never waited for, goes */
				memmove(&sv.exits[0], &sv.exits[1], sizeof sv.exits[0] * (EXITS_MAX - 1)), sv.nexits--;
			sv.exits[sv.nexits++] = (struct exit_rec){ (pid_t)a, (int)b };
		} else {
			/* The supervisor gone (or speaking nonsense): this service
			 * cannot start or watch children any more; it is being ended
			 * (PR_SET_PDEATHSIG) or ends itself. */
			if (rc == 0)
				log_event(LOG_ERROR, "supervisor.bad_message", "type=%u", (unsigned)m.type);
			sv.gone = 1;
			pthread_cond_broadcast(&sv.cv);
			pthread_mutex_unlock(&sv.mu);
			ipc_msg_free(&m);
			return NULL;
		}
		pthread_cond_broadcast(&sv.cv);
		pthread_mutex_unlock(&sv.mu);
		ipc_msg_free(&m);
	}
}

/* A thread of its own for the life of the process: 0, or an errno value. */
static int start_detached(void *(*fn)(void *))
{
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	pthread_t th;
	int rc = pthread_create(&th, &at, fn, NULL);
	pthread_attr_destroy(&at);
	return rc;
}

int ipc_proc_use_supervisor(int sock)
{
	sv.sock = sock;
	int rc = start_detached(reader_main);
	if (rc != 0) {
		sv.sock = -1;
		return -1;
	}
	return 0;
}

int ipc_proc_supervised(void)
{
	return sv.sock >= 0;
}

int ipc_proc_spawn(const char *exe, char *const argv[], const int fds[], size_t nfds, int *sock,
	pid_t *pid)
{
	if (nfds > SUPV_SPAWN_FDS_MAX)
		return EINVAL;
	if (sv.sock < 0) {
		int p[2];
		if (ipc_socketpair(p) != 0)
			return errno;
		int all[SUPV_SPAWN_FDS_MAX + 1];
		all[0] = p[1];
		for (size_t i = 0; i < nfds; i++)
			all[i + 1] = fds[i];
		int rc = ipc_spawn(exe, argv, all, nfds + 1, pid);
		close(p[1]);
		if (rc != 0) {
			close(p[0]);
			return rc;
		}
		*sock = p[0];
		return 0;
	}
	const char *role = argv[0] && argv[1] && argv[2] && strcmp(argv[1], "--role") == 0 ? argv[2] : "";
	struct reply w = { .fd = -1 };
	struct ipc_out *o = xmalloc(sizeof *o);
	pthread_mutex_lock(&sv.mu);
	size_t slot = 0;
	while (slot < sizeof sv.waiting / sizeof sv.waiting[0] && sv.waiting[slot])
		slot++;
	if (slot == sizeof sv.waiting / sizeof sv.waiting[0] || sv.gone) {
		pthread_mutex_unlock(&sv.mu);
		free(o);
		return EAGAIN;
	}
	w.id = sv.next_id++;
	sv.waiting[slot] = &w;
	supv_spawn_encode(o, w.id, role);
	for (size_t i = 0; i < nfds; i++)
		ipc_put_fd(o, fds[i]);
	int rc = ipc_send(sv.sock, o) == 0 ? 0 : errno;
	while (rc == 0 && !w.done && !sv.gone)
		pthread_cond_wait(&sv.cv, &sv.mu);
	sv.waiting[slot] = NULL;
	pthread_mutex_unlock(&sv.mu);
	free(o);
	if (rc != 0)
		return rc;
	if (!w.done)
		return EPIPE;
	if (w.status != 0)
		return (int)w.status;
	*sock = w.fd;
	*pid = (pid_t)w.pid;
	return 0;
}

/* Waits for pid's end as the supervisor reports it, until deadline (none
 * when NULL): 0 with *wstatus, -1 at the deadline. */
static int supervised_wait(pid_t pid, int *wstatus, const struct timespec *deadline)
{
	int rc = -1;
	pthread_mutex_lock(&sv.mu);
	for (;;) {
		size_t i = 0;
		while (i < sv.nexits && sv.exits[i].pid != pid)
			i++;
		if (i < sv.nexits) {
			*wstatus = sv.exits[i].wstatus;
			memmove(&sv.exits[i], &sv.exits[i + 1], sizeof sv.exits[0] * (sv.nexits - i - 1));
			sv.nexits--;
			rc = 0;
			break;
		}
		if (sv.gone) {
			/* Nobody will say: it is ended with the supervisor. */
			*wstatus = SIGKILL;
			rc = 0;
			break;
		}
		if (!deadline)
			pthread_cond_wait(&sv.cv, &sv.mu);
		else if (pthread_cond_timedwait(&sv.cv, &sv.mu, deadline) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&sv.mu);
	return rc;
}

void ipc_proc_wait(pid_t pid, int *wstatus)
{
	if (sv.sock < 0) {
		while (waitpid(pid, wstatus, 0) < 0 && errno == EINTR)
			;
		return;
	}
	supervised_wait(pid, wstatus, NULL);
}

int ipc_proc_wait_for(pid_t pid, int *wstatus, int64_t ms)
{
	if (sv.sock < 0) {
		int64_t end = time_mono_ns() + ms * 1000000;
		for (;;) {
			pid_t r = waitpid(pid, wstatus, WNOHANG);
			if (r == pid || (r < 0 && errno != EINTR))
				return 0;
			if (time_mono_ns() >= end)
				return -1;
			struct timespec nap = { 0, 10 * 1000000L };
			nanosleep(&nap, NULL);
		}
	}
	struct timespec deadline;
	time_deadline_in(ms, &deadline);
	return supervised_wait(pid, wstatus, &deadline);
}

void ipc_proc_kill(pid_t pid, int sig)
{
	if (pid <= 0)
		return;
	if (sv.sock < 0) {
		kill(pid, sig);
		return;
	}
	/* A 64 KiB buffer: not on the stack of whatever thread stops a child. */
	struct ipc_out *o = xmalloc(sizeof *o);
	supv_kill_encode(o, (uint32_t)pid, (uint32_t)sig);
	pthread_mutex_lock(&sv.mu);
	if (!sv.gone)
		ipc_send(sv.sock, o);
	pthread_mutex_unlock(&sv.mu);
	free(o);
}

void ipc_proc_ready(void)
{
	if (sv.sock < 0)
		return;
	struct ipc_out o;
	supv_ready_encode(&o);
	pthread_mutex_lock(&sv.mu);
	ipc_send(sv.sock, &o);
	pthread_mutex_unlock(&sv.mu);
}

static int64_t watch_limit_ms;

/* The monitor (ipc_proc_watch): the heartbeat, or the stall. */
static void *watch_main(void *arg)
{
	(void)arg;
	int64_t tick = watch_limit_ms / 4 < 1000 ? watch_limit_ms / 4 : 1000;
	if (tick < 50)
		tick = 50;
	/* A 64 KiB buffer: once, not on this thread's stack. */
	struct ipc_out *o = xmalloc(sizeof *o);
	for (;;) {
		const char *role;
		int64_t ms = liveness_oldest_ms(&role);
		if (ms < watch_limit_ms || !role)
			supv_heartbeat_encode(o);
		else
			supv_stalled_encode(o, role, ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms);
		pthread_mutex_lock(&sv.mu);
		int gone = sv.gone;
		if (!gone)
			ipc_send(sv.sock, o);
		pthread_mutex_unlock(&sv.mu);
		if (gone)
			break;
		usleep((useconds_t)tick * 1000);
	}
	free(o);
	return NULL;
}

int ipc_proc_watch(int64_t limit_ms)
{
	if (sv.sock < 0 || limit_ms <= 0)
		return 0;
	watch_limit_ms = limit_ms;
	int rc = start_detached(watch_main);
	if (rc != 0) {
		log_event(LOG_ERROR, "service.watch", "err=\"%s\"", strerror(rc));
		return -1;
	}
	return 0;
}
