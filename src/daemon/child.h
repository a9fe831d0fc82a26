/* A process of faxvault's started from a fresh image and kept running (the
 * SMTP, HTTP and SIP front ends): child_start spawns it (ipc_proc_spawn:
 * through faxvaultd's supervisor, which is then its parent, else by
 * itself) with a socketpair to the service as its first fd, then a
 * monitor thread hands
 * the socket to serve() until the child closes it, reaps the child (and
 * kills it, NAME_killed, when it is still running 10 s after serve()
 * returned; the socket is closed only then) and starts another after a
 * backoff of 1 s doubling to 30 s (back to 1 s after a minute of life).
 * Log events: NAME_spawned, NAME_exited (with restart_in_ms while not
 * stopping), NAME_killed, NAME_start_failed.
 * Ownership: exe, argv and fds are borrowed for child_start's call (argv
 * copied; the fds must stay open until child_stop); arg must outlive the
 * child. */
#ifndef FV_CHILD_H
#define FV_CHILD_H

#include <stddef.h>
#include <sys/types.h>

#include "ipc.h"

typedef struct child child_t;

/* Takes the child's messages on sock until it closes (return then); may
 * end pid when it misbehaves (ipc_proc_kill, supv.h: never kill(2), the
 * supervisor is its parent). Runs on the monitor thread. */
typedef void child_serve_fn(void *arg, int sock, pid_t pid);

typedef struct child_spec {
	const char *name;     /* the log events' prefix, e.g. "smtp.front" */
	const char *exe;
	char *const *argv;    /* argv[0] is the title */
	int fds[IPC_SPAWN_FDS_MAX - 1]; /* the child's fds 4, 5, ... (borrowed; at most
					   SUPV_SPAWN_FDS_MAX) */
	size_t nfds;
	child_serve_fn *serve;
	void *arg;
} child_spec_t;

/* Starts the monitor (which spawns the first child). NULL with err when
 * the thread cannot start. */
child_t *child_start(const child_spec_t *spec, char *err, size_t errlen);
/* Stops: SIGTERM to the child, waits for serve() to return and the child
 * to be reaped (no restart), frees c. NULL is a no-op. */
void child_stop(child_t *c);
/* The child's pid (0 while it is down) and its restarts so far. */
pid_t child_pid(child_t *c);
unsigned child_restarts(child_t *c);

#endif
