/* A supervised process started from a fresh image (see child.h). */
#include "child.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "supv.h"
#include "timeutil.h"
#include "xalloc.h"

#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 30000
#define STABLE_MS 60000 /* a child up this long starts again at once */
/* Once its channel has ended, a child has this long to exit before it is
 * killed: a front end whose channel ends exits at once, and one that
 * closed its channel and kept running (only a compromised one does) would
 * otherwise hold back its successor for good. */
#define EXIT_GRACE_MS 10000

struct child {
	pthread_mutex_t mu;
	pthread_cond_t cv; /* stop wakes the backoff */
	char *name, *exe;
	char **argv;
	int fds[IPC_SPAWN_FDS_MAX - 1];
	size_t nfds;
	child_serve_fn *serve;
	void *arg;
	pid_t pid;     /* 0 while down */
	int stopping;
	unsigned restarts;
	pthread_t monitor;
};

/* Starts one child (through the supervisor when there is one: supv.h);
 * its pid and *sock, or -1. */
static pid_t spawn_child(child_t *c, int *sock)
{
	pid_t pid = -1;
	int rc = ipc_proc_spawn(c->exe, c->argv, c->fds, c->nfds, sock, &pid);
	if (rc != 0) {
		char ev[64];
		snprintf(ev, sizeof ev, "%s_start_failed", c->name);
		log_event(LOG_ERROR, ev, "err=\"%s\"", strerror(rc));
		return -1;
	}
	return pid;
}

static void *monitor_main(void *arg)
{
	child_t *c = arg;
	unsigned backoff = BACKOFF_MIN_MS;
	char ev_spawned[64], ev_exited[64], ev_killed[64];
	snprintf(ev_spawned, sizeof ev_spawned, "%s_spawned", c->name);
	snprintf(ev_exited, sizeof ev_exited, "%s_exited", c->name);
	snprintf(ev_killed, sizeof ev_killed, "%s_killed", c->name);
	for (;;) {
		int sock = -1;
		pid_t pid = spawn_child(c, &sock);
		if (pid > 0)
			log_event(LOG_INFO, ev_spawned, "pid=%d", (int)pid);
		int64_t started = time_mono_ns() / 1000000;
		pthread_mutex_lock(&c->mu);
		c->pid = pid > 0 ? pid : 0;
		if (pid > 0 && c->stopping)
			ipc_proc_kill(pid, SIGTERM);
		pthread_mutex_unlock(&c->mu);
		if (pid > 0) {
			c->serve(c->arg, sock, pid);
			/* Our end stays open until the child is gone: one whose
			 * frame was refused is being killed (SIGKILL through the
			 * supervisor) and must not see its channel end first and
			 * exit on its own. */
			int st = 0;
			if (ipc_proc_wait_for(pid, &st, EXIT_GRACE_MS) != 0) {
				log_event(LOG_ERROR, ev_killed,
					"pid=%d why=\"running %d ms after its channel ended\"", (int)pid,
					EXIT_GRACE_MS);
				ipc_proc_kill(pid, SIGKILL);
				ipc_proc_wait(pid, &st);
			}
			close(sock);
			pthread_mutex_lock(&c->mu);
			c->pid = 0;
			if (c->stopping) {
				pthread_mutex_unlock(&c->mu);
				log_event(LOG_INFO, ev_exited, "pid=%d %s=%d", (int)pid,
					WIFSIGNALED(st) ? "signal" : "status",
					WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
				break;
			}
			pthread_mutex_unlock(&c->mu);
			if (time_mono_ns() / 1000000 - started >= STABLE_MS)
				backoff = BACKOFF_MIN_MS;
			log_event(LOG_ERROR, ev_exited, "pid=%d %s=%d restart_in_ms=%u",
				(int)pid, WIFSIGNALED(st) ? "signal" : "status",
				WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st), backoff);
		}
		struct timespec ts;
		time_deadline_in(backoff, &ts);
		pthread_mutex_lock(&c->mu);
		while (!c->stopping && pthread_cond_timedwait(&c->cv, &c->mu, &ts) != ETIMEDOUT)
			;
		int stop = c->stopping;
		if (!stop)
			c->restarts++;
		pthread_mutex_unlock(&c->mu);
		if (stop)
			break;
		backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
	}
	return NULL;
}

static void child_free(child_t *c)
{
	for (size_t i = 0; c->argv[i]; i++)
		free(c->argv[i]);
	free(c->argv);
	free(c->exe);
	free(c->name);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	free(c);
}

child_t *child_start(const child_spec_t *spec, char *err, size_t errlen)
{
	if (spec->nfds > SUPV_SPAWN_FDS_MAX) {
		snprintf(err, errlen, "%s: too many descriptors", spec->name);
		return NULL;
	}
	child_t *c = xcalloc(1, sizeof *c);
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	c->name = xstrdup(spec->name);
	c->exe = xstrdup(spec->exe);
	size_t n = 0;
	while (spec->argv[n])
		n++;
	c->argv = xcalloc(n + 1, sizeof *c->argv);
	for (size_t i = 0; i < n; i++)
		c->argv[i] = xstrdup(spec->argv[i]);
	memcpy(c->fds, spec->fds, sizeof c->fds);
	c->nfds = spec->nfds;
	c->serve = spec->serve;
	c->arg = spec->arg;
	if (pthread_create(&c->monitor, NULL, monitor_main, c) != 0) {
		snprintf(err, errlen, "%s: %s", spec->name, strerror(errno));
		child_free(c);
		return NULL;
	}
	return c;
}

void child_stop(child_t *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->mu);
	c->stopping = 1;
	if (c->pid > 0)
		ipc_proc_kill(c->pid, SIGTERM);
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->monitor, NULL);
	child_free(c);
}

pid_t child_pid(child_t *c)
{
	pthread_mutex_lock(&c->mu);
	pid_t p = c->pid;
	pthread_mutex_unlock(&c->mu);
	return p;
}

unsigned child_restarts(child_t *c)
{
	pthread_mutex_lock(&c->mu);
	unsigned r = c->restarts;
	pthread_mutex_unlock(&c->mu);
	return r;
}
