/* Seccomp filters of the confined processes (see confine.h). */
#include "confine.h"

#include <errno.h>
#include <seccomp.h>
#include <sys/socket.h>
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

/* Argument argno compared by op with a (under mask, for SCMP_CMP_MASKED_EQ:
 * then b is the value). */
static struct scmp_arg_cmp arg_cmp(unsigned argno, enum scmp_compare op, scmp_datum_t a,
	scmp_datum_t b)
{
	return (struct scmp_arg_cmp){ .arg = argno, .op = op, .datum_a = a, .datum_b = b };
}

int confine_deny(const int *killed, size_t nkilled, unsigned flags)
{
	scmp_filter_ctx f = seccomp_init(SCMP_ACT_ALLOW);
	if (!f)
		return -1;
	int rc = seccomp_attr_set(f, SCMP_FLTATR_CTL_TSYNC, 1);
	for (size_t i = 0; rc == 0 && i < nkilled; i++)
		rc = seccomp_rule_add(f, SCMP_ACT_KILL_PROCESS, killed[i], 0);
	/* A query only: no READ_IMPLIES_EXEC, no other ABI. */
	if (rc == 0)
		rc = seccomp_rule_add(f, SCMP_ACT_KILL_PROCESS, SCMP_SYS(personality), 1,
			arg_cmp(0, SCMP_CMP_NE, 0xffffffffu, 0));
	if (rc == 0 && (flags & CONFINE_INET_ONLY)) {
		/* Families 3-9 and 11-15 (AX.25 to AF_KEY), AF_PACKET (17) and
		 * every later one (AF_ALG, AF_VSOCK, Bluetooth...). */
		for (int fam = 3; rc == 0 && fam <= 15; fam++)
			if (fam != AF_INET6)
				rc = seccomp_rule_add(f, SCMP_ACT_KILL_PROCESS, SCMP_SYS(socket), 1,
					arg_cmp(0, SCMP_CMP_EQ, (scmp_datum_t)fam, 0));
		if (rc == 0)
			rc = seccomp_rule_add(f, SCMP_ACT_KILL_PROCESS, SCMP_SYS(socket), 1,
				arg_cmp(0, SCMP_CMP_GE, AF_PACKET, 0));
		const int inet[] = { AF_INET, AF_INET6 };
		for (size_t i = 0; rc == 0 && i < 2; i++)
			rc = seccomp_rule_add(f, SCMP_ACT_KILL_PROCESS, SCMP_SYS(socket), 2,
				arg_cmp(0, SCMP_CMP_EQ, (scmp_datum_t)inet[i], 0),
				arg_cmp(1, SCMP_CMP_MASKED_EQ, 0xf, SOCK_RAW));
	}
	if (rc == 0)
		rc = seccomp_load(f);
	seccomp_release(f);
	return rc == 0 ? 0 : -1;
}

#define BASE_KILLED                                                                               \
	SCMP_SYS(kexec_load), SCMP_SYS(kexec_file_load), SCMP_SYS(init_module),                   \
	SCMP_SYS(finit_module), SCMP_SYS(delete_module), SCMP_SYS(bpf),                           \
	SCMP_SYS(perf_event_open), SCMP_SYS(keyctl), SCMP_SYS(add_key), SCMP_SYS(request_key),    \
	SCMP_SYS(userfaultfd), SCMP_SYS(io_uring_setup), SCMP_SYS(io_uring_enter),               \
	SCMP_SYS(io_uring_register), SCMP_SYS(swapon), SCMP_SYS(swapoff), SCMP_SYS(reboot),       \
	SCMP_SYS(acct), SCMP_SYS(settimeofday), SCMP_SYS(clock_settime), SCMP_SYS(clock_adjtime), \
	SCMP_SYS(adjtimex), SCMP_SYS(iopl), SCMP_SYS(ioperm), SCMP_SYS(open_by_handle_at),        \
	SCMP_SYS(lookup_dcookie), SCMP_SYS(quotactl), SCMP_SYS(syslog), SCMP_SYS(vhangup),        \
	SCMP_SYS(process_vm_readv), SCMP_SYS(process_vm_writev), SCMP_SYS(sethostname),           \
	SCMP_SYS(setdomainname) BASE_PTRACE
#ifdef FV_SANITIZED
#define BASE_PTRACE
#else
#define BASE_PTRACE , SCMP_SYS(ptrace)
#endif

const int confine_base_killed[] = { BASE_KILLED };
const size_t confine_base_nkilled = sizeof confine_base_killed / sizeof confine_base_killed[0];

const int confine_service_killed[] = {
	BASE_KILLED,
	SCMP_SYS(mount), SCMP_SYS(umount2), SCMP_SYS(pivot_root), SCMP_SYS(chroot),
	SCMP_SYS(unshare), SCMP_SYS(setns), SCMP_SYS(fsopen), SCMP_SYS(fsconfig), SCMP_SYS(fsmount),
	SCMP_SYS(fspick), SCMP_SYS(move_mount), SCMP_SYS(open_tree), SCMP_SYS(mount_setattr),
};
const size_t confine_service_nkilled = sizeof confine_service_killed / sizeof confine_service_killed[0];

const int confine_identity_killed[] = {
	SCMP_SYS(setuid), SCMP_SYS(setgid), SCMP_SYS(setreuid), SCMP_SYS(setregid),
	SCMP_SYS(setresuid), SCMP_SYS(setresgid), SCMP_SYS(setgroups), SCMP_SYS(setfsuid),
	SCMP_SYS(setfsgid), SCMP_SYS(capset),
};
const size_t confine_identity_nkilled = sizeof confine_identity_killed / sizeof confine_identity_killed[0];
