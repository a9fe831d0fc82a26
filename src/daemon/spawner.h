/* faxvaultd's spawner: the process that starts the roles (the service,
 * and for it the key holder and the front ends) on the supervisor's
 * behalf, so that the supervisor can live under a seccomp filter that
 * forbids making processes and sockets, while what it starts inherits
 * none of it. It is forked from the supervisor before that filter, holds
 * nothing but its socket to the supervisor and the listening sockets, and
 * starts only this program (/proc/self/exe) under one of the roles
 * service, vault, http, smtp and sip. Each process it starts is the
 * supervisor's child (clone with CLONE_PARENT), so that the supervisor
 * reaps and signals them as before. It ends when the supervisor closes
 * its socket (status 0), or dies with it (parent-death signal). A
 * request it refuses (spawner_start_decode) is answered EINVAL and
 * logged (spawner.refused: type, number of descriptors); a datagram
 * ipc_recv refuses, an empty one included, ends it with status 1
 * (spawner.malformed).
 *
 * Messages on the supervisor's socket (src/ipc framing):
 *   SPAWNER_START   supervisor -> spawner: role; the child's fds 4.. (none
 *                   for the service: the spawner gives it the listening
 *                   sockets, SERVICE_LISTEN_FD0..)
 *   SPAWNER_STARTED spawner -> supervisor, same id: status (0 or an errno
 *                   value), pid; with status 0 the supervisor's end of the
 *                   child's new socketpair (the child has the other as
 *                   fd 3) */
#ifndef FV_SPAWNER_H
#define FV_SPAWNER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum {
	SPAWNER_START = 0x521,
	SPAWNER_STARTED,
};

/* Forks the spawner (its title still faxvaultd's, its name fv-spawn),
 * with argv this program's command line and listen[] (SERVICE_LISTEN_N
 * entries, -1 where none) the sockets each service it starts gets. Its pid
 * with *sock (the supervisor's end, close-on-exec), or -1. */
pid_t spawner_fork(char *const *argv, const int listen[], int *sock);

/* Asks the spawner on sock to start role with fds[] (borrowed; at most
 * SUPV_SPAWN_FDS_MAX, none for the service) as its fds 4..: 0 with *pid and
 * *ctl (ours: the other end of the child's fd 3), or an errno value (EPIPE
 * when the spawner is gone). */
int spawner_start(int sock, const char *role, const int fds[], size_t nfds, pid_t *pid, int *ctl);

/* SPAWNER_START (spawner_wire.c, with no dependency but src/ipc: fuzz
 * target fuzz_spawner_wire). The descriptors are attached by the caller.
 * The decoder gives the role asked for into role (SUPV_ROLE_MAX + 1 bytes):
 * one of service, vault, http, smtp, sip; no descriptor for the service,
 * at most SUPV_SPAWN_FDS_MAX for the others. 0, or -1. */
struct ipc_msg;
struct ipc_out;
void spawner_start_encode(struct ipc_out *o, uint64_t id, const char *role);
int spawner_start_decode(const struct ipc_msg *m, char *role);
/* SPAWNER_STARTED, the answer to request id: status (0 or an errno value)
 * and pid; with status 0 the caller attaches the child's socket. The
 * decoder (the supervisor's check, same fuzz target) takes only the
 * answer to id: with status 0, a pid in 1..INT32_MAX and exactly one
 * descriptor; else pid 0 and none. 0 with *status and *pid, or -1. */
void spawner_started_encode(struct ipc_out *o, uint64_t id, uint32_t status, uint32_t pid);
int spawner_started_decode(const struct ipc_msg *m, uint64_t id, uint32_t *status, uint32_t *pid);

#endif
