/* The service's seccomp filter (see role.h). */
#include "role.h"

#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "confine.h"
#include "log.h"
#include "xalloc.h"

int role_service_confine(char *why, size_t n)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		snprintf(why, n, "no_new_privs refused");
		return -1;
	}
	/* Under a user of its own it never changes identity again; as root
	 * (development, tests) the programs it starts keep theirs. */
	int as_user = geteuid() != 0;
	size_t nk = confine_service_nkilled + (as_user ? confine_identity_nkilled : 0);
	int *killed = xcalloc(nk, sizeof *killed);
	memcpy(killed, confine_service_killed, confine_service_nkilled * sizeof *killed);
	if (as_user)
		memcpy(killed + confine_service_nkilled, confine_identity_killed,
			confine_identity_nkilled * sizeof *killed);
	int rc = confine_deny(killed, nk, CONFINE_INET_ONLY);
	free(killed);
	if (rc != 0) {
		snprintf(why, n, "the service's seccomp filter could not be loaded");
		return -1;
	}
	log_event(LOG_INFO, "service.confined", "seccomp=1 killed=%zu identity=%d", nk, as_user);
	return 0;
}

void role_service_seccomp_probe(void)
{
	log_event(LOG_WARN, "service.seccomp_probe", "call=unshare");
	syscall(SYS_unshare, 0);
}
