/* The key holder process (see role.h and keyd.h). */
#include "role.h"

#include <malloc.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "audit/audit.h"
#include "confine.h"
#include "ipc.h"
#include "keyd.h"
#include "log.h"
#include "paths.h"
#include "vault.h"
#include "xalloc.h"

static int start_failed(const char *why)
{
	log_event(LOG_ERROR, "keyd.start_failed", "err=\"%s\"", why);
	struct ipc_out *o = xmalloc(sizeof *o);
	ipc_out_init(o, KEYD_START_FAILED, 0);
	ipc_put_str(o, why);
	ipc_send(KEYD_FD, o);
	free(o);
	return 1;
}

/* The holder's seccomp filter (confine.h), loaded once the key is read and
 * its file locked: it serves requests on its socket and reads and writes the
 * documents' blobs in DOC_DIR (open, rename, fsync, unlink of its temporary
 * files), and nothing else. It never makes a socket, connects, executes,
 * forks or starts a thread, traces, or changes identity: those kill it.
 * What is not listed fails with EACCES. */
static const int vault_allowed[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
	SCMP_SYS(pread64), SCMP_SYS(pwrite64), SCMP_SYS(lseek), SCMP_SYS(fstat),
	SCMP_SYS(newfstatat), SCMP_SYS(close), SCMP_SYS(ftruncate), SCMP_SYS(fcntl),
	SCMP_SYS(openat), SCMP_SYS(rename), SCMP_SYS(renameat), SCMP_SYS(renameat2),
	SCMP_SYS(unlink), SCMP_SYS(unlinkat), SCMP_SYS(fsync), SCMP_SYS(fdatasync),
	SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(brk), SCMP_SYS(madvise),
	SCMP_SYS(mlock), SCMP_SYS(munlock), SCMP_SYS(futex), SCMP_SYS(exit),
	SCMP_SYS(exit_group), SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(rt_sigaction), SCMP_SYS(sigaltstack), SCMP_SYS(clock_gettime),
	SCMP_SYS(gettimeofday), SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep),
	SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(getuid), SCMP_SYS(geteuid),
	SCMP_SYS(sched_yield), SCMP_SYS(sched_getaffinity), SCMP_SYS(getrandom),
	SCMP_SYS(getrusage), SCMP_SYS(prlimit64), SCMP_SYS(recvmsg), SCMP_SYS(sendmsg),
	SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(set_robust_list), SCMP_SYS(rseq),
};
static const int vault_killed[] = {
	SCMP_SYS(execve), SCMP_SYS(execveat), SCMP_SYS(ptrace), SCMP_SYS(socket),
	SCMP_SYS(socketpair), SCMP_SYS(connect), SCMP_SYS(bind), SCMP_SYS(listen),
	SCMP_SYS(accept), SCMP_SYS(accept4), SCMP_SYS(sendto), SCMP_SYS(setuid),
	SCMP_SYS(setgid), SCMP_SYS(setreuid), SCMP_SYS(setresuid), SCMP_SYS(setgroups),
	SCMP_SYS(process_vm_readv), SCMP_SYS(process_vm_writev), SCMP_SYS(mount),
	SCMP_SYS(chroot), SCMP_SYS(unshare), SCMP_SYS(setns), SCMP_SYS(fork),
	SCMP_SYS(vfork), SCMP_SYS(clone), SCMP_SYS(clone3), SCMP_SYS(kill),
};

/* testing.vault_seccomp_probe: SIGUSR1 makes the holder attempt a call its
 * filter forbids (a socket), which kills it. */
static void seccomp_probe(int sig)
{
	(void)sig;
	syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0);
}

int role_vault_main(const config_t *cfg)
{
	role_set_name("fv-vault");
	/* The holder ends when the service closes its socket, after the
	 * service drained its requests: a SIGTERM or ^C sent to the whole
	 * group does not end it first. If the service dies, so does it. */
	signal(SIGTERM, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (getppid() == 1)
		return 1;
	/* Only the socket and the standard streams come in (and the log file
	 * this process opened itself, opened again after). */
	close_range(KEYD_FD + 1, ~0U, 0);
	log_reopen();
	/* A document's writer (about 130 KiB) is allocated and freed at each
	 * request: kept in the heap rather than given back at each free (brk
	 * down, then fresh pages faulted in and zeroed by the kernel at the
	 * next request). Up to 4 MiB of free heap is kept. */
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
	mallopt(M_TRIM_THRESHOLD, 4 << 20);
	char *kp = master_key_path(cfg), *docs = docs_path(cfg), why[512];
	vault_key_t *master = NULL;
	vault_err_t ve = vault_master_load(kp, 1, &master);
	if (ve != VAULT_OK) {
		snprintf(why, sizeof why, "master key %s: %s", kp, vault_strerror(ve));
		free(kp);
		free(docs);
		return start_failed(why);
	}
	/* Held while serving: a rotation refuses to run beside it. */
	int lock_fd = vault_master_lock(kp, 0);
	char fp[VAULT_FINGERPRINT_LEN];
	vault_key_fingerprint(master, fp);
	log_event(LOG_INFO, "daemon.master_key", "file=%s fingerprint=%s pid=%d", kp, fp, (int)getpid());
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    confine_load(vault_allowed, sizeof vault_allowed / sizeof vault_allowed[0], vault_killed,
		    sizeof vault_killed / sizeof vault_killed[0], CONFINE_KILL_SELF) != 0) {
		vault_key_free(master);
		free(kp);
		free(docs);
		return start_failed("the key holder's seccomp filter could not be loaded");
	}
	if (cfg->test_vault_seccomp_probe)
		signal(SIGUSR1, seccomp_probe);
	uint8_t chain[32], seed[32];
	if (audit_keys_derive_bytes(master, chain, seed) != 0) {
		vault_key_free(master);
		free(kp);
		free(docs);
		return start_failed("the audit keys could not be derived");
	}
	struct ipc_out *o = xmalloc(sizeof *o);
	ipc_out_init(o, KEYD_READY, 0);
	ipc_put_str(o, fp);
	ipc_put_bytes(o, chain, sizeof chain);
	ipc_put_bytes(o, seed, sizeof seed);
	explicit_bzero(chain, sizeof chain);
	explicit_bzero(seed, sizeof seed);
	int rc = ipc_send(KEYD_FD, o);
	explicit_bzero(o, sizeof *o);
	free(o);
	if (rc == 0)
		rc = keyd_serve(KEYD_FD, master, docs);
	vault_key_free(master);
	if (lock_fd >= 0)
		close(lock_fd);
	free(kp);
	free(docs);
	log_event(rc == 0 ? LOG_INFO : LOG_ERROR, "keyd.stopped", "ok=%d", rc == 0);
	/* Under the filter the sanitizers' exit-time leak check (it starts a
	 * thread and traces the process) would be killed: nothing is left to
	 * unwind that the exit does not. */
	_exit(rc == 0 ? 0 : 1);
}
