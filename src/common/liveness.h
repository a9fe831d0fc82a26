/* Whether the threads that serve make progress (issue 15, P02: a hung
 * service). A thread that takes jobs (an HTTP worker, a worker of the job
 * queue) marks itself busy when it takes one and idle when it is done;
 * liveness_oldest says which thread has been busy the longest. The
 * service's monitor (ipc_proc_watch, supv.h) stops its heartbeat to the
 * supervisor while one has been busy longer than service.hang_seconds,
 * and the supervisor then kills the service and starts it again
 * (docs/postgresql.md, "A hung service").
 *
 * Marks are per thread (thread-local): a slot of a fixed table is taken at
 * a thread's first liveness_busy and given back when the thread exits. A
 * mark costs a read of the monotonic clock and an atomic store. Roles are
 * static strings (never a request's content). A thread without a slot
 * (one that never called liveness_busy, or one past LIVENESS_SLOTS_MAX
 * threads) is not watched: its calls do nothing.
 *
 * Ownership: nothing is allocated for callers; roles are borrowed for the
 * life of the process. */
#ifndef FV_LIVENESS_H
#define FV_LIVENESS_H

#include <stdint.h>

#define LIVENESS_SLOTS_MAX 1024

/* The calling thread is busy from now on, in role ("http", "queue"). */
void liveness_busy(const char *role);
/* The calling thread, busy, made progress: busy from now on (a long job
 * that commits its work in steps: each step proves it is not stuck). */
void liveness_touch(void);
/* The calling thread is done: idle. */
void liveness_idle(void);
/* The longest any thread has been busy, in ms (0 when none is), its role
 * into *role (NULL when none). */
int64_t liveness_oldest_ms(const char **role);

/* Tests only (testing.worker_hold_file): while the file at path exists, a
 * liveness_test_hold waits (at most 10 minutes), as a stuck worker would.
 * path is borrowed for the life of the process; NULL or "": none. */
void liveness_test_hold_file(const char *path);
void liveness_test_hold(void);

#endif
