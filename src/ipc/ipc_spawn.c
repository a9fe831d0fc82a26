/* Starting a process of faxvault from a fresh image (see ipc.h). */
#include "ipc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

extern char **environ;

int ipc_spawn(const char *exe, char *const argv[], const int fds[], size_t nfds, pid_t *pid)
{
	if (nfds > IPC_SPAWN_FDS_MAX)
		return EINVAL;
	/* Each above the last target first, so that every dup2 below clears
	 * close-on-exec and none overwrites another's source. */
	int high[IPC_SPAWN_FDS_MAX];
	size_t made = 0;
	int rc = 0;
	for (; made < nfds; made++) {
		high[made] = fcntl(fds[made], F_DUPFD_CLOEXEC, IPC_SPAWN_FD0 + (int)nfds);
		if (high[made] < 0) {
			rc = errno;
			break;
		}
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	for (size_t i = 0; i < made; i++)
		posix_spawn_file_actions_adddup2(&fa, high[i], IPC_SPAWN_FD0 + (int)i);
	/* Signals as a new program has them: the service blocks the ones its
	 * main thread waits for, and ignores SIGPIPE. */
	posix_spawnattr_t at;
	posix_spawnattr_init(&at);
	sigset_t none, def;
	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGTERM);
	sigaddset(&def, SIGINT);
	sigaddset(&def, SIGHUP);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &def);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	if (rc == 0)
		rc = posix_spawn(pid, exe, &fa, &at, argv, environ);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	for (size_t i = 0; i < made; i++)
		close(high[i]);
	return rc;
}
