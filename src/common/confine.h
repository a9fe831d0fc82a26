/* Seccomp filters of faxvault's confined processes (the network front ends
 * and the document renderer), built one way: what is not listed fails with
 * EACCES; what is allowed is listed; what must never happen kills the whole
 * process; memory is never mapped executable; signals go only to the
 * process itself. Each process lists its own calls. */
#ifndef FV_CONFINE_H
#define FV_CONFINE_H

#include <stddef.h>

/* Flags of confine_load and confine_deny. */
#define CONFINE_KILL_SELF 1u /* kill(getpid(), ...) allowed too (abort) */
#define CONFINE_INET_ONLY 2u /* confine_deny: socket() kills unless its family is
			      * AF_UNIX, AF_INET, AF_INET6 or AF_NETLINK, and for
			      * AF_INET and AF_INET6 unless it is not SOCK_RAW */

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

/* The other way, for a process that runs code too varied to list (the
 * service: libraries, threads, the programs it starts): everything passes
 * but killed[] (SCMP_ACT_KILL_PROCESS) and, with CONFINE_INET_ONLY, the
 * sockets it names; personality() passes only as a query (0xffffffff).
 * The filter is put on every thread of the process (TSYNC) and inherited by
 * the programs it starts. no_new_privs must be set before. 0, or -1. */
int confine_deny(const int *killed, size_t nkilled, unsigned flags);

/* What no process of faxvault does, and an attacker wants: load kernel
 * code or modules, eBPF, perf events, the kernel keyring, userfaultfd,
 * io_uring, swap, reboot, accounting, setting the clocks, raw I/O ports,
 * handles to files by number, the kernel log, trace another process (not
 * in sanitizer builds: LeakSanitizer traces its own threads at exit), read
 * or write another's memory, change the host name. */
extern const int confine_base_killed[];
extern const size_t confine_base_nkilled;
/* The base list, and what the service never does: mounts and namespaces,
 * change its root. */
extern const int confine_service_killed[];
extern const size_t confine_service_nkilled;
/* Identity changes, killed in the service once it runs as a user that is
 * not root (daemon.service_user): it never changes user again. */
extern const int confine_identity_killed[];
extern const size_t confine_identity_nkilled;

#endif
