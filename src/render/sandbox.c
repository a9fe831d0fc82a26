/* The renderer's child processes. */
#include "sandbox.h"
#include "log.h"
#include "timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define SANDBOX_MAGIC 0x46565244u /* "FVRD" */

enum sandbox_kind { MSG_PAGES = 1, MSG_PROGRESS, MSG_FAIL, MSG_INFO };

struct sandbox_msg {
	uint32_t magic;
	int32_t kind;
	int32_t value;
	int32_t fail;
	int32_t extra;
	char detail[200];
};

struct sandbox_child {
	int fd;
};

static void sandbox_send4(struct sandbox_child *c, int kind, int value, int fail, int extra,
	const char *d)
{
	if (!c)
		return;
	struct sandbox_msg m;
	memset(&m, 0, sizeof(m));
	m.magic = SANDBOX_MAGIC;
	m.kind = kind;
	m.value = value;
	m.fail = fail;
	m.extra = extra;
	if (d)
		snprintf(m.detail, sizeof(m.detail), "%s", d);
	/* Smaller than PIPE_BUF: one atomic write. A failure means the parent
	 * is gone, and the child will be killed or exit anyway. */
	ssize_t w;
	do {
		w = write(c->fd, &m, sizeof(m));
	} while (w < 0 && errno == EINTR);
}

static void sandbox_send(struct sandbox_child *c, int kind, int value, int fail, const char *d)
{
	sandbox_send4(c, kind, value, fail, 0, d);
}

void sandbox_report_info(struct sandbox_child *c, int a, int b, int d)
{
	sandbox_send4(c, MSG_INFO, a, b, d, NULL);
}

void sandbox_report_pages(struct sandbox_child *c, int pages)
{
	sandbox_send(c, MSG_PAGES, pages, 0, NULL);
}

void sandbox_report_progress(struct sandbox_child *c, int page)
{
	sandbox_send(c, MSG_PROGRESS, page, 0, NULL);
}

void sandbox_report_fail(struct sandbox_child *c, enum render_fail f, const char *detail)
{
	sandbox_send(c, MSG_FAIL, 0, (int)f, detail);
}

/* Allows only what rendering into already-open descriptors needs: memory,
 * reading and writing open files, time, leaving. Everything else (open,
 * socket, connect, execve, ptrace, fork...) fails with EACCES. Executable
 * memory cannot be mapped. */
static int sandbox_seccomp(void)
{
	scmp_filter_ctx f = seccomp_init(SCMP_ACT_ERRNO(EACCES));
	if (!f)
		return -1;
	static const int allowed[] = {
		SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
		SCMP_SYS(pread64), SCMP_SYS(pwrite64), SCMP_SYS(lseek), SCMP_SYS(fstat),
		SCMP_SYS(newfstatat), SCMP_SYS(close), SCMP_SYS(ftruncate), SCMP_SYS(fsync),
		SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(brk), SCMP_SYS(madvise),
		SCMP_SYS(futex), SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(rt_sigreturn),
		SCMP_SYS(rt_sigprocmask), SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday),
		SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(sched_yield), SCMP_SYS(getrandom),
		SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep), SCMP_SYS(getrusage),
		SCMP_SYS(sigaltstack), SCMP_SYS(rt_sigaction),
	};
	int rc = 0;
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]) && rc == 0; i++)
		rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, allowed[i], 0);
	/* mmap and mprotect, but never executable. */
	const struct scmp_arg_cmp noexec = {.arg = 2, .op = SCMP_CMP_MASKED_EQ,
		.datum_a = PROT_EXEC, .datum_b = 0};
	if (rc == 0)
		rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1, noexec);
	if (rc == 0)
		rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1, noexec);
	/* Signals only to itself (abort()). */
	const struct scmp_arg_cmp self = {.arg = 0, .op = SCMP_CMP_EQ,
		.datum_a = (scmp_datum_t)getpid(), .datum_b = 0};
	if (rc == 0)
		rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1, self);
	if (rc == 0)
		rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1, self);
	if (rc == 0)
		rc = seccomp_load(f);
	seccomp_release(f);
	return rc == 0 ? 0 : -1;
}

static void sandbox_limit(int res, rlim_t soft, rlim_t hard)
{
	struct rlimit rl = {soft, hard};
	if (setrlimit(res, &rl) != 0)
		_exit(120);
}

static void sandbox_child_main(sandbox_fn fn, void *arg, int report_fd, const int *keep,
	int nkeep, const struct sandbox_limits *lim)
{
	/* Keep the report pipe and the caller's descriptors, close the rest. */
	int maxkeep = report_fd;
	for (int i = 0; i < nkeep; i++)
		if (keep[i] > maxkeep)
			maxkeep = keep[i];
	for (int fd = 3; fd <= maxkeep; fd++) {
		int k = fd == report_fd;
		for (int i = 0; i < nkeep; i++)
			k |= keep[i] == fd;
		if (!k)
			close(fd);
	}
	close_range((unsigned)maxkeep + 1, ~0u, 0);
	int devnull = open("/dev/null", O_RDWR);
	if (devnull >= 0) {
		dup2(devnull, 0);
		dup2(devnull, 1);
		if (devnull > 2)
			close(devnull);
	}
	/* Default dispositions and no blocked signal: handlers inherited from
	 * the caller (a daemon's, a test framework's) must not run here. */
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		_exit(121);
	sandbox_limit(RLIMIT_CPU, (rlim_t)lim->cpu_seconds, (rlim_t)lim->cpu_seconds + 1);
	sandbox_limit(RLIMIT_CORE, 0, 0);
	sandbox_limit(RLIMIT_NPROC, 0, 0);
	sandbox_limit(RLIMIT_FSIZE, (rlim_t)1 << 31, (rlim_t)1 << 31);
#ifndef FV_SANITIZED
	/* The address-space cap; the sanitizers reserve terabytes of shadow
	 * memory, so under them the child's allocator cap alone holds. */
	sandbox_limit(RLIMIT_AS, (rlim_t)lim->mem_bytes + ((rlim_t)128 << 20),
		(rlim_t)lim->mem_bytes + ((rlim_t)128 << 20));
#endif
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		_exit(122);
	if (sandbox_seccomp() != 0)
		_exit(123);
	struct sandbox_child c = {report_fd};
	int rc = fn(&c, arg);
	_exit(rc == 0 ? 0 : 1);
}

static void sandbox_set_fail(struct render_result *r, enum render_fail f, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void sandbox_set_fail(struct render_result *r, enum render_fail f, const char *fmt, ...)
{
	r->fail = f;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
	va_end(ap);
}

int sandbox_run(sandbox_fn fn, void *arg, const int *keep_fds, int nkeep,
	const struct sandbox_limits *lim, struct sandbox_out *out, struct render_result *r)
{
	int p[2];
	memset(out, 0, sizeof(*out));
	out->pages = -1;
	int *pages = &out->pages;
	if (pipe2(p, O_CLOEXEC) != 0) {
		sandbox_set_fail(r, RENDER_E_INTERNAL, "pipe: %s", strerror(errno));
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		sandbox_set_fail(r, RENDER_E_INTERNAL, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		sandbox_child_main(fn, arg, p[1], keep_fds, nkeep, lim);
		_exit(127);
	}
	close(p[1]);

	int64_t deadline = time_mono_ns() + (int64_t)lim->timeout_ms * 1000000;
	enum render_fail fail = RENDER_OK, killed_for = RENDER_OK;
	char detail[200] = "";
	int progress = 0, eof = 0;
	struct sandbox_msg m;
	size_t have = 0;
	while (!eof && killed_for == RENDER_OK) {
		int64_t left = (deadline - time_mono_ns()) / 1000000;
		if (left <= 0) {
			killed_for = RENDER_E_TIMEOUT;
			snprintf(detail, sizeof(detail), "wall-clock cap of %d ms", lim->timeout_ms);
			break;
		}
		struct pollfd pfd = {p[0], POLLIN, 0};
		int n = poll(&pfd, 1, left > 1000 ? 1000 : (int)left);
		if (n < 0 && errno != EINTR) {
			killed_for = RENDER_E_INTERNAL;
			snprintf(detail, sizeof(detail), "poll: %s", strerror(errno));
			break;
		}
		if (n <= 0)
			continue;
		ssize_t got = read(p[0], (char *)&m + have, sizeof(m) - have);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			eof = 1;
			break;
		}
		have += (size_t)got;
		if (have < sizeof(m))
			continue;
		have = 0;
		if (m.magic != SANDBOX_MAGIC) {
			killed_for = RENDER_E_CRASH;
			snprintf(detail, sizeof(detail), "malformed message from renderer");
			break;
		}
		m.detail[sizeof(m.detail) - 1] = 0;
		if (m.kind == MSG_PAGES) {
			if (m.value < 0 || m.value > lim->max_pages || *pages >= 0) {
				killed_for = m.value > lim->max_pages ? RENDER_E_TOO_MANY_PAGES : RENDER_E_CRASH;
				snprintf(detail, sizeof(detail), "%d pages, cap %d", m.value, lim->max_pages);
				break;
			}
			*pages = m.value;
		} else if (m.kind == MSG_PROGRESS) {
			if (++progress > lim->max_pages || (*pages >= 0 && progress > *pages)) {
				killed_for = RENDER_E_TOO_MANY_PAGES;
				snprintf(detail, sizeof(detail), "more than %d pages rendered", lim->max_pages);
				break;
			}
		} else if (m.kind == MSG_INFO) {
			out->info[0] = m.value;
			out->info[1] = m.fail;
			out->info[2] = m.extra;
		} else if (m.kind == MSG_FAIL && fail == RENDER_OK && m.fail > RENDER_OK &&
			m.fail < RENDER_E_COUNT_) {
			fail = (enum render_fail)m.fail;
			snprintf(detail, sizeof(detail), "%s", m.detail);
		} else {
			killed_for = RENDER_E_CRASH;
			snprintf(detail, sizeof(detail), "unexpected message from renderer");
			break;
		}
	}
	if (killed_for != RENDER_OK)
		kill(pid, SIGKILL);
	close(p[0]);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (killed_for != RENDER_OK) {
		sandbox_set_fail(r, killed_for, "%s", detail);
		return -1;
	}
	if (fail != RENDER_OK) {
		sandbox_set_fail(r, fail, "%s", detail);
		return -1;
	}
	if (WIFSIGNALED(st)) {
		int sig = WTERMSIG(st);
		if (sig == SIGXCPU || sig == SIGKILL)
			sandbox_set_fail(r, RENDER_E_CPU, "CPU cap of %d s (signal %d)", lim->cpu_seconds, sig);
		else
			sandbox_set_fail(r, RENDER_E_CRASH, "renderer killed by signal %d", sig);
		return -1;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		sandbox_set_fail(r, RENDER_E_CRASH, "renderer exited with status %d",
			WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		return -1;
	}
	if (*pages >= 0 && progress != *pages && progress != 0) {
		sandbox_set_fail(r, RENDER_E_CRASH, "renderer announced %d pages, rendered %d",
			*pages, progress);
		return -1;
	}
	return 0;
}
