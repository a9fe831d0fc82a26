/* faxvaultd's spawner (see spawner.h). */
#include "spawner.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "confine.h"
#include "ipc.h"
#include "log.h"
#include "role.h"
#include "supv.h"
#include "xalloc.h"

extern char **environ;

/* exe with fds[i] as its fd IPC_SPAWN_FD0 + i, as ipc_spawn starts it, but
 * as a child of this process's parent (CLONE_PARENT): a fork that only
 * sets its descriptors and signals, then executes. An exec that fails is
 * told through a close-on-exec pipe. 0 with *pid, or an errno value. */
static int spawn_sibling(const char *exe, char *const argv[], const int fds[], size_t nfds,
	pid_t *pid)
{
	int high[IPC_SPAWN_FDS_MAX], ep[2] = { -1, -1 }, rc = 0;
	size_t made = 0;
	if (nfds > IPC_SPAWN_FDS_MAX)
		return EINVAL;
	/* Each above the last target first, so that no dup2 below overwrites
	 * another's source; dup2 clears close-on-exec on the copy. */
	for (; made < nfds; made++) {
		high[made] = fcntl(fds[made], F_DUPFD_CLOEXEC, IPC_SPAWN_FD0 + (int)nfds);
		if (high[made] < 0) {
			rc = errno;
			break;
		}
	}
	if (rc == 0 && pipe2(ep, O_CLOEXEC) != 0)
		rc = errno;
	pid_t p = -1;
	if (rc == 0) {
		p = (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
		if (p < 0)
			rc = errno;
	}
	if (rc == 0 && p == 0) {
		/* The child: signals as a new program has them, then the image. */
		static const int sigs[] = { SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGCHLD };
		for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
			signal(sigs[i], SIG_DFL);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		int e = 0;
		for (size_t i = 0; i < nfds && !e; i++)
			if (dup2(high[i], IPC_SPAWN_FD0 + (int)i) < 0)
				e = errno;
		if (!e) {
			execve(exe, argv, environ);
			e = errno;
		}
		ssize_t w = write(ep[1], &e, sizeof e);
		(void)w;
		_exit(127);
	}
	if (rc == 0) {
		close(ep[1]);
		ep[1] = -1;
		int e = 0;
		ssize_t n;
		while ((n = read(ep[0], &e, sizeof e)) < 0 && errno == EINTR)
			;
		/* Nothing read: the exec closed the pipe. A child that could not
		 * execute exits 127 (the supervisor reaps it). */
		if (n == (ssize_t)sizeof e)
			rc = e ? e : EIO;
		else
			*pid = p;
	}
	for (int i = 0; i < 2; i++)
		if (ep[i] >= 0)
			close(ep[i]);
	for (size_t i = 0; i < made; i++)
		close(high[i]);
	return rc;
}

/* One SPAWNER_START: the child started, its socketpair's other end and
 * the status sent back. */
static void start_one(int sock, char *const *argv, const int listen[], int null, struct ipc_msg *m)
{
	char role[SUPV_ROLE_MAX + 1];
	int sv[2] = { -1, -1 }, fds[1 + SERVICE_LISTEN_N];
	size_t n = 0;
	pid_t pid = 0;
	int rc = 0;
	if (spawner_start_decode(m, role) != 0) {
		/* Answered EINVAL; its descriptors are closed with it. */
		log_event(LOG_ERROR, "spawner.refused", "type=%u fds=%zu", (unsigned)m->type, m->nfds);
		rc = EINVAL;
	} else if (ipc_socketpair(sv) != 0) {
		rc = errno;
	}
	if (rc == 0) {
		fds[n++] = sv[1];
		if (strcmp(role, "service") == 0)
			for (int i = 0; i < SERVICE_LISTEN_N; i++)
				fds[n++] = listen[i] >= 0 ? listen[i] : null;
		else
			for (size_t i = 0; i < m->nfds; i++)
				fds[n++] = m->fds[i];
		char title[40];
		snprintf(title, sizeof title, "faxvaultd: %s", role);
		char **av = role_argv_of(argv, title, role);
		rc = spawn_sibling("/proc/self/exe", av, fds, n, &pid);
		free(av);
		close(sv[1]);
	}
	struct ipc_out *o = xmalloc(sizeof *o);
	spawner_started_encode(o, m->id, (uint32_t)rc, rc == 0 ? (uint32_t)pid : 0);
	if (rc == 0)
		ipc_put_fd(o, sv[0]);
	int sent = ipc_send(sock, o);
	free(o);
	if (sv[0] >= 0)
		close(sv[0]);
	if (sent != 0)
		_exit(1);
}

static _Noreturn void spawner_main(int sock, char *const *argv, const int listen[], pid_t parent)
{
	role_set_name("fv-spawn");
	/* Ended by its socket's end, or with the supervisor; a signal to the
	 * whole group does not end it first. */
	signal(SIGTERM, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (getppid() != parent)
		_exit(1);
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null < 0)
		_exit(1);
	/* Only the base list (confine.h): every process it starts inherits
	 * this filter, and some do, as root, what the supervisor's forbids
	 * (sockets, mounts, identity changes) before they load their own. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    confine_deny(confine_base_killed, confine_base_nkilled, 0) != 0)
		_exit(1);
	for (;;) {
		struct ipc_msg m;
		int rc = ipc_recv(sock, &m);
		if (rc == 0)
			start_one(sock, argv, listen, null, &m);
		ipc_msg_free(&m);
		/* A datagram ipc_recv refuses ends it as a protocol error (the
		 * supervisor then stops: supervisor.spawner_exited). */
		if (rc < 0)
			log_event(LOG_ERROR, "spawner.malformed", "err=\"%s\"", strerror(errno));
		if (rc != 0)
			_exit(rc == 1 ? 0 : 1);
	}
}

pid_t spawner_fork(char *const *argv, const int listen[], int *sock)
{
	int sv[2];
	if (ipc_socketpair(sv) != 0)
		return -1;
	pid_t parent = getpid();
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		close(sv[0]);
		/* Under the sanitizers, its exit-time leak check is not wanted:
		 * spawner_main never returns. */
		spawner_main(sv[1], argv, listen, parent);
	}
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		return -1;
	}
	*sock = sv[0];
	return pid;
}

int spawner_start(int sock, const char *role, const int fds[], size_t nfds, pid_t *pid, int *ctl)
{
	static uint64_t next_id;
	uint64_t id = ++next_id;
	struct ipc_out *o = xmalloc(sizeof *o);
	spawner_start_encode(o, id, role);
	for (size_t i = 0; i < nfds; i++)
		ipc_put_fd(o, fds[i]);
	int rc = ipc_send(sock, o) != 0 ? (errno ? errno : EPIPE) : 0;
	free(o);
	if (rc != 0)
		return rc;
	struct ipc_msg m;
	uint32_t status = 0, p = 0;
	if (ipc_recv(sock, &m) != 0 || spawner_started_decode(&m, id, &status, &p) != 0)
		rc = EPIPE;
	else if (status != 0)
		rc = (int)status;
	if (rc == 0) {
		*pid = (pid_t)p;
		*ctl = ipc_msg_take_fd(&m, 0);
	}
	ipc_msg_free(&m);
	return rc;
}
