/* Seccomp filters of faxvault's confined processes (the network front ends
 * and the document renderer), built one way: what is not listed fails with
 * EACCES; what is allowed is listed; what must never happen kills the whole
 * process; memory is never mapped executable; signals go only to the
 * process itself. Each process lists its own calls. */
#ifndef FV_CONFINE_H
#define FV_CONFINE_H

#include <stddef.h>

/* Flags of confine_load. */
#define CONFINE_KILL_SELF 1u /* kill(getpid(), ...) allowed too (abort) */

/* Loads a filter for the calling thread and those it starts afterwards:
 * allowed[] (system call numbers, e.g. SCMP_SYS(read)) pass, killed[] kill
 * the process (SCMP_ACT_KILL_PROCESS), mmap and mprotect pass without
 * PROT_EXEC, tgkill passes to this process. no_new_privs must be set
 * before. 0, or -1. */
int confine_load(const int *allowed, size_t nallowed, const int *killed, size_t nkilled,
	unsigned flags);

/* What a network front end needs whatever it serves: threads, memory,
 * reading and writing its descriptors, accepting on its listening socket,
 * polling, time, randomness, memfds and socketpairs to the service. */
extern const int confine_front_allowed[];
extern const size_t confine_front_nallowed;
/* What a front end must never do: make sockets, connect, bind, execute,
 * trace, fork, change identity or namespaces, signal others. */
extern const int confine_front_killed[];
extern const size_t confine_front_nkilled;

#endif
