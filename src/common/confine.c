/* Seccomp filters of the confined processes (see confine.h). */
#include "confine.h"

#include <errno.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <unistd.h>

int confine_load(const int *allowed, size_t nallowed, const int *killed, size_t nkilled,
	unsigned flags)
{
	scmp_filter_ctx f = seccomp_init(SCMP_ACT_ERRNO(EACCES));
	if (!f)
		return -1;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < nallowed; i++)
		rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, allowed[i], 0);
	for (size_t i = 0; rc == 0 && i < nkilled; i++)
		rc = seccomp_rule_add(f, SCMP_ACT_KILL_PROCESS, killed[i], 0);
	/* Memory, never executable. */
	const struct scmp_arg_cmp noexec = { .arg = 2, .op = SCMP_CMP_MASKED_EQ,
		.datum_a = PROT_EXEC, .datum_b = 0 };
	if (rc == 0)
		rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1, noexec);
	if (rc == 0)
		rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1, noexec);
	/* Signals only to this process (its threads; abort()). */
	const struct scmp_arg_cmp self = { .arg = 0, .op = SCMP_CMP_EQ,
		.datum_a = (scmp_datum_t)getpid(), .datum_b = 0 };
	if (rc == 0)
		rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1, self);
	if (rc == 0 && (flags & CONFINE_KILL_SELF))
		rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1, self);
	if (rc == 0)
		rc = seccomp_load(f);
	seccomp_release(f);
	return rc == 0 ? 0 : -1;
}

const int confine_front_allowed[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
	SCMP_SYS(pread64), SCMP_SYS(pwrite64), SCMP_SYS(lseek), SCMP_SYS(fstat),
	SCMP_SYS(newfstatat), SCMP_SYS(close), SCMP_SYS(ftruncate), SCMP_SYS(fcntl),
	SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(brk), SCMP_SYS(madvise),
	SCMP_SYS(futex), SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(rt_sigreturn),
	SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigaction), SCMP_SYS(sigaltstack),
	SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday), SCMP_SYS(clock_nanosleep),
	SCMP_SYS(nanosleep), SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(getuid),
	SCMP_SYS(geteuid), SCMP_SYS(sched_yield), SCMP_SYS(sched_getaffinity),
	SCMP_SYS(getrandom), SCMP_SYS(getrusage), SCMP_SYS(prlimit64),
	SCMP_SYS(clone), SCMP_SYS(clone3), SCMP_SYS(set_robust_list), SCMP_SYS(rseq),
	SCMP_SYS(accept), SCMP_SYS(accept4), SCMP_SYS(poll), SCMP_SYS(ppoll),
	SCMP_SYS(recvmsg), SCMP_SYS(sendmsg), SCMP_SYS(recvfrom), SCMP_SYS(sendto),
	SCMP_SYS(shutdown), SCMP_SYS(setsockopt), SCMP_SYS(getsockopt),
	SCMP_SYS(getsockname), SCMP_SYS(getpeername), SCMP_SYS(socketpair),
	SCMP_SYS(memfd_create), SCMP_SYS(pipe2), SCMP_SYS(eventfd2),
};
const size_t confine_front_nallowed = sizeof confine_front_allowed / sizeof confine_front_allowed[0];

const int confine_front_killed[] = {
	SCMP_SYS(execve), SCMP_SYS(execveat), SCMP_SYS(ptrace), SCMP_SYS(socket),
	SCMP_SYS(connect), SCMP_SYS(bind), SCMP_SYS(listen), SCMP_SYS(setuid),
	SCMP_SYS(setgid), SCMP_SYS(setreuid), SCMP_SYS(setresuid), SCMP_SYS(setgroups),
	SCMP_SYS(process_vm_readv), SCMP_SYS(process_vm_writev), SCMP_SYS(mount),
	SCMP_SYS(chroot), SCMP_SYS(unshare), SCMP_SYS(setns), SCMP_SYS(fork),
	SCMP_SYS(vfork), SCMP_SYS(kill),
};
const size_t confine_front_nkilled = sizeof confine_front_killed / sizeof confine_front_killed[0];
