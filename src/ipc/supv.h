/* faxvaultd's supervisor and the service it starts (docs/architecture.md,
 * "Processes"): the supervisor (the process `faxvaultd` runs as, holding no
 * key, no database and parsing nothing from the network) binds the
 * listening sockets, starts the service (`--role service`) with its
 * control socket on fd 3, and starts the service's children for it: the
 * key holder and the front ends are children of the supervisor, wired to
 * the service by a socketpair the supervisor makes. It restarts the
 * service when it dies.
 *
 * Messages on the control socket (src/ipc framing):
 *   SUPV_SPAWN   service -> supervisor: role (vault, http, smtp, sip), the
 *                child's fds 4.. (0-3 attached)
 *   SUPV_SPAWNED supervisor -> service, same id: status (0 or an errno
 *                value), pid; with status 0 the service's end of the
 *                child's socketpair (the child has the other as fd 3)
 *   SUPV_EXITED  supervisor -> service: a child of the service's ended:
 *                pid, wait status (as waitpid gives it)
 *   SUPV_READY   service -> supervisor: started (from now on a death of the
 *                service is a crash, and it is started again)
 *   SUPV_KILL    service -> supervisor: pid, signal (SIGTERM or SIGKILL):
 *                signal that child of the service's. The supervisor, its
 *                parent, sends it only to a child it started for this
 *                service and has not reaped, so the pid cannot have been
 *                reused by another process (the service, not the parent,
 *                could hit one); any other pid is refused (logged).
 *   SUPV_HEARTBEAT service -> supervisor: every second or so once ready,
 *                while no thread that serves has been busy longer than
 *                service.hang_seconds (ipc_proc_watch, liveness.h)
 *   SUPV_STALLED service -> supervisor, instead of the heartbeat: the role
 *                of the thread busy the longest and for how many ms. The
 *                supervisor kills a service that sent no heartbeat for
 *                service.hang_seconds (service.hung: the last stall it was
 *                told of) and starts it again.
 * The supervisor decodes the service's messages without trusting them
 * (supv_spawn_decode, supv_ready_decode, supv_kill_decode,
 * supv_heartbeat_decode, supv_stalled_decode: fuzz target
 * fuzz_supv_wire) and
 * ends a service that sends anything else.
 *
 * The client side (ipc_proc_*) is what the service's code uses to start and
 * wait for its children: through the supervisor once
 * ipc_proc_use_supervisor was called, else by itself (posix_spawn and
 * waitpid), as tools do. */
#ifndef FV_IPC_SUPV_H
#define FV_IPC_SUPV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ipc.h"

enum {
	SUPV_SPAWN = 0x501,
	SUPV_SPAWNED,
	SUPV_EXITED,
	SUPV_READY,
	SUPV_KILL,
	SUPV_HEARTBEAT,
	SUPV_STALLED,
};

#define SUPV_ROLE_MAX 15
/* fds a SUPV_SPAWN carries: the child's fds 4..6 (fd 3 is its socket). */
#define SUPV_SPAWN_FDS_MAX 3

void supv_spawn_encode(struct ipc_out *o, uint64_t id, const char *role);
/* The role (one of vault, http, smtp, sip) into role (SUPV_ROLE_MAX + 1
 * bytes); m->nfds at most SUPV_SPAWN_FDS_MAX. 0, or -1. */
int supv_spawn_decode(const struct ipc_msg *m, char *role);
void supv_spawned_encode(struct ipc_out *o, uint64_t id, uint32_t status, uint32_t pid);
int supv_spawned_decode(const struct ipc_msg *m, uint32_t *status, uint32_t *pid);
void supv_exited_encode(struct ipc_out *o, uint32_t pid, uint32_t wstatus);
int supv_exited_decode(const struct ipc_msg *m, uint32_t *pid, uint32_t *wstatus);
void supv_ready_encode(struct ipc_out *o);
int supv_ready_decode(const struct ipc_msg *m);
void supv_kill_encode(struct ipc_out *o, uint32_t pid, uint32_t sig);
/* A pid in 1..INT32_MAX, sig SIGTERM or SIGKILL, no descriptor. 0, or -1. */
int supv_kill_decode(const struct ipc_msg *m, uint32_t *pid, uint32_t *sig);

void supv_heartbeat_encode(struct ipc_out *o);
int supv_heartbeat_decode(const struct ipc_msg *m);
/* role: a thread's role (1..SUPV_ROLE_MAX letters a-z), busy for ms. */
void supv_stalled_encode(struct ipc_out *o, const char *role, uint32_t ms);
/* The role into role (SUPV_ROLE_MAX + 1 bytes), no descriptor. 0, or -1. */
int supv_stalled_decode(const struct ipc_msg *m, char *role, uint32_t *ms);

/* ---- the service's side ---- */

/* From now on children are started by the supervisor on sock (borrowed for
 * the life of the process; a thread reads it). 0, or -1 (no thread). */
int ipc_proc_use_supervisor(int sock);
/* Whether ipc_proc_use_supervisor was called. */
int ipc_proc_supervised(void);
/* Starts a child of role: exe and argv (argv[0] its title, then --role
 * ROLE: the role is argv[2]) as ipc_spawn does, with a new socketpair's
 * end as its fd 3 and fds[] (borrowed, at most SUPV_SPAWN_FDS_MAX) as its
 * fds 4..; under a supervisor, the supervisor starts it (with its own
 * program and command line). 0 with *sock (ours, close-on-exec) and *pid,
 * or an errno value. */
int ipc_proc_spawn(const char *exe, char *const argv[], const int fds[], size_t nfds, int *sock,
	pid_t *pid);
/* Waits for a child started by ipc_proc_spawn to end: its wait status. */
void ipc_proc_wait(pid_t pid, int *wstatus);
/* ipc_proc_wait for at most ms milliseconds: 0 with *wstatus once the
 * child has ended, -1 when it is still running. */
int ipc_proc_wait_for(pid_t pid, int *wstatus, int64_t ms);
/* Sends sig (SIGTERM or SIGKILL) to a child started by ipc_proc_spawn and
 * not yet waited for: through its parent, the supervisor, when there is
 * one (SUPV_KILL: no pid of another process can be hit), else by kill(2)
 * (this process is then its parent). */
void ipc_proc_kill(pid_t pid, int sig);
/* Tells the supervisor the service is started (nothing without one). */
void ipc_proc_ready(void);
/* Under a supervisor, with limit_ms > 0: a thread that sends it
 * SUPV_HEARTBEAT every second (every quarter of limit_ms when shorter)
 * while no thread marked busy (liveness.h) has been so for limit_ms or
 * more, SUPV_STALLED otherwise, for the life of the process. 0, or -1 (no
 * thread). */
int ipc_proc_watch(int64_t limit_ms);

#endif
