/* The renderer's child processes. */
#include "sandbox.h"
#include "confine.h"
#include "log.h"
#include "timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <seccomp.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define SANDBOX_MAGIC 0x46565244u /* "FVRD" */
/* Exit statuses of a child whose sandbox could not be set up. */
#define SANDBOX_EXIT_RLIMIT 120
#define SANDBOX_EXIT_ORPHAN 121
#define SANDBOX_EXIT_NNP 122
#define SANDBOX_EXIT_SECCOMP 123

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
	sandbox_report_hook hook;
	void *hook_ctx;
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

void sandbox_child_hook(struct sandbox_child *c, sandbox_report_hook fn, void *ctx)
{
	if (!c)
		return;
	c->hook = fn;
	c->hook_ctx = ctx;
}

void sandbox_report_pages(struct sandbox_child *c, int pages)
{
	if (c && c->hook)
		c->hook(c->hook_ctx, pages, 0);
	sandbox_send(c, MSG_PAGES, pages, 0, NULL);
}

void sandbox_report_progress(struct sandbox_child *c, int page)
{
	if (c && c->hook)
		c->hook(c->hook_ctx, -1, page);
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
	/* mmap and mprotect, but never executable; signals only to itself
	 * (abort()): confine_load. */
	return confine_load(allowed, sizeof allowed / sizeof allowed[0], NULL, 0, CONFINE_KILL_SELF);
}

long long sandbox_proc_field(const char *path, int field)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	char buf[1024];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	/* A command name in parentheses (in /proc/PID/stat) may hold spaces:
	 * the fields after it are counted from its end, as field 3. */
	const char *p = buf;
	int k = 1;
	const char *paren = strrchr(buf, ')');
	if (paren && field >= 3) {
		p = paren + 1;
		k = 2;
	}
	for (; *p && k < field; p++)
		if (*p == ' ' && p[1] != ' ')
			k++;
	while (*p == ' ')
		p++;
	if (k != field || *p < '0' || *p > '9')
		return -1;
	long long v = 0;
	for (; *p >= '0' && *p <= '9' && v < (1LL << 50); p++)
		v = v * 10 + (*p - '0');
	return v;
}

#ifndef FV_SANITIZED
/* Bytes of address space mapped now (first field of /proc/self/statm);
 * 0 when it cannot be read. */
static rlim_t sandbox_mapped_bytes(void)
{
	long long pages = sandbox_proc_field("/proc/self/statm", 1);
	return pages < 0 ? 0 : (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE);
}
#endif

static void sandbox_limit(int res, rlim_t soft, rlim_t hard)
{
	struct rlimit rl = {soft, hard};
	if (setrlimit(res, &rl) != 0)
		_exit(SANDBOX_EXIT_RLIMIT);
}

/* The confinement itself, in a process that holds nothing but its own
 * descriptors (a forked child that closed the rest, or the helper after
 * exec): default signals, death with the parent, rlimits, no_new_privs,
 * seccomp; then fn. Never returns. */
static _Noreturn void sandbox_enter_run(sandbox_fn fn, void *arg, int report_fd,
	const struct sandbox_limits *lim, pid_t parent)
{
	/* Default dispositions and no blocked signal: handlers inherited from
	 * the caller (a daemon's, a test framework's) must not run here. */
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent) /* the parent died before PDEATHSIG was set */
		_exit(SANDBOX_EXIT_ORPHAN);
	sandbox_limit(RLIMIT_CPU, (rlim_t)lim->cpu_seconds, (rlim_t)lim->cpu_seconds + 1);
	sandbox_limit(RLIMIT_CORE, 0, 0);
	sandbox_limit(RLIMIT_NPROC, 0, 0);
	sandbox_limit(RLIMIT_FSIZE, (rlim_t)1 << 31, (rlim_t)1 << 31);
#ifndef FV_SANITIZED
	/* The address-space cap, on top of what the process already maps (a
	 * daemon's heap and thread stacks come with a fork; the helper's own
	 * image and the job after an exec). The sanitizers reserve terabytes
	 * of shadow memory, so under them the child's allocator cap alone
	 * holds. */
	rlim_t as = sandbox_mapped_bytes() + (rlim_t)lim->mem_bytes + ((rlim_t)128 << 20);
	sandbox_limit(RLIMIT_AS, as, as);
#endif
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		_exit(SANDBOX_EXIT_NNP);
	if (sandbox_seccomp() != 0)
		_exit(SANDBOX_EXIT_SECCOMP);
	struct sandbox_child c = {report_fd, NULL, NULL};
	int rc = fn(&c, arg);
	_exit(rc == 0 ? 0 : 1);
}

static void sandbox_child_main(sandbox_fn fn, void *arg, int report_fd, const int *keep,
	int nkeep, const struct sandbox_limits *lim, pid_t parent)
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
	sandbox_enter_run(fn, arg, report_fd, lim, parent);
}

/* Starts the helper for one child with posix_spawn (glibc's is a vfork: no
 * copy of the caller's page tables, which for a large daemon costs more
 * than the rest of the start, and nothing of the caller runs in the
 * child). Descriptors end as 0-2 /dev/null, SANDBOX_FD_REPORT the report
 * pipe, SANDBOX_FD_OUT the output (or /dev/null), SANDBOX_FD_JOB the job;
 * every other one is closed, the environment is empty, no signal is
 * ignored or blocked. The parent-death signal is set by the helper itself
 * (sandbox_enter_run), which then checks that its parent is still `parent`.
 * 0, or an errno (the helper missing, not a program, ...). */
static int sandbox_spawn(const struct sandbox_exec *ex, int report_fd, int out_fd,
	char *part_arg, char *parent_arg, pid_t *pid)
{
	/* The sources above the targets first, so no dup2 clobbers another. */
	int src[3] = {report_fd, out_fd, ex->job_fd}, hi[3] = {-1, -1, -1};
	int err = 0;
	for (int k = 0; k < 3 && !err; k++)
		if (src[k] >= 0 && (hi[k] = fcntl(src[k], F_DUPFD_CLOEXEC, 10)) < 0)
			err = errno;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	int have_fa = 0, have_at = 0;
	if (!err)
		have_fa = (err = posix_spawn_file_actions_init(&fa)) == 0;
	if (!err)
		have_at = (err = posix_spawnattr_init(&at)) == 0;
	if (!err)
		err = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDWR, 0);
	if (!err)
		err = posix_spawn_file_actions_adddup2(&fa, 0, 1);
	if (!err)
		err = posix_spawn_file_actions_adddup2(&fa, 0, 2);
	if (!err)
		err = posix_spawn_file_actions_adddup2(&fa, hi[0], SANDBOX_FD_REPORT);
	if (!err)
		err = hi[1] >= 0 ? posix_spawn_file_actions_adddup2(&fa, hi[1], SANDBOX_FD_OUT)
			: posix_spawn_file_actions_addopen(&fa, SANDBOX_FD_OUT, "/dev/null", O_RDWR, 0);
	if (!err)
		err = posix_spawn_file_actions_adddup2(&fa, hi[2], SANDBOX_FD_JOB);
	if (!err)
		err = posix_spawn_file_actions_addclosefrom_np(&fa, SANDBOX_FD_JOB + 1);
	sigset_t all, none;
	sigfillset(&all);
	sigemptyset(&none);
	if (!err)
		err = posix_spawnattr_setsigdefault(&at, &all);
	if (!err)
		err = posix_spawnattr_setsigmask(&at, &none);
	if (!err)
		err = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
	if (!err) {
		char *const argv[] = {(char *)ex->helper, (char *)SANDBOX_HELPER_ARG, part_arg,
			parent_arg, NULL};
		char *const envp[] = {NULL};
		err = posix_spawn(pid, ex->helper, &fa, &at, argv, envp);
	}
	if (have_fa)
		posix_spawn_file_actions_destroy(&fa);
	if (have_at)
		posix_spawnattr_destroy(&at);
	for (int k = 0; k < 3; k++)
		if (hi[k] >= 0)
			close(hi[k]);
	return err;
}

_Noreturn void sandbox_helper_enter(sandbox_fn fn, void *arg, const struct sandbox_limits *lim,
	pid_t parent)
{
	sandbox_enter_run(fn, arg, SANDBOX_FD_REPORT, lim, parent);
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

/* What the parent knows of one child. */
struct sandbox_kid {
	pid_t pid;
	int fd;                  /* report pipe, -1 once at its end */
	struct sandbox_msg m;
	size_t have;
	int progress;
	enum render_fail fail;   /* reported by the child */
	enum render_fail killed; /* decided by the parent */
	char detail[200];
	struct sandbox_out *out;
};

/* Reads what is there from k's pipe. 0 / -1 at its end. */
static int sandbox_kid_read(struct sandbox_kid *k, const struct sandbox_limits *lim, int hook)
{
	ssize_t got = read(k->fd, (char *)&k->m + k->have, sizeof(k->m) - k->have);
	if (got < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (got <= 0)
		return -1;
	k->have += (size_t)got;
	if (k->have < sizeof(k->m))
		return 0;
	k->have = 0;
	struct sandbox_msg *m = &k->m;
	int *pages = &k->out->pages;
	if (m->magic != SANDBOX_MAGIC) {
		k->killed = RENDER_E_CRASH;
		snprintf(k->detail, sizeof(k->detail), "malformed message from renderer");
		return -1;
	}
	m->detail[sizeof(m->detail) - 1] = 0;
	if (m->kind == MSG_PAGES) {
		if (m->value < 0 || m->value > lim->max_pages || *pages >= 0) {
			k->killed = m->value > lim->max_pages ? RENDER_E_TOO_MANY_PAGES : RENDER_E_CRASH;
			snprintf(k->detail, sizeof(k->detail), "%d pages, cap %d", m->value, lim->max_pages);
			return -1;
		}
		*pages = m->value;
	} else if (m->kind == MSG_PROGRESS) {
		if (++k->progress > lim->max_pages || (*pages >= 0 && k->progress > *pages)) {
			k->killed = RENDER_E_TOO_MANY_PAGES;
			snprintf(k->detail, sizeof(k->detail), "more than %d pages rendered", lim->max_pages);
			return -1;
		}
		if (hook && lim->on_page && lim->on_page(lim->on_page_ctx, *pages, k->progress) < 0) {
			k->killed = RENDER_E_CRASH;
			snprintf(k->detail, sizeof(k->detail), "pages refused by the caller");
			return -1;
		}
	} else if (m->kind == MSG_INFO) {
		k->out->info[0] = m->value;
		k->out->info[1] = m->fail;
		k->out->info[2] = m->extra;
	} else if (m->kind == MSG_FAIL && k->fail == RENDER_OK && m->fail > RENDER_OK &&
		m->fail < RENDER_E_COUNT_) {
		k->fail = (enum render_fail)m->fail;
		snprintf(k->detail, sizeof(k->detail), "%s", m->detail);
	} else {
		k->killed = RENDER_E_CRASH;
		snprintf(k->detail, sizeof(k->detail), "unexpected message from renderer");
		return -1;
	}
	return 0;
}

/* The verdict on a reaped child: RENDER_OK or a failure with its detail. */
static enum render_fail sandbox_kid_verdict(struct sandbox_kid *k, int st,
	const struct sandbox_limits *lim)
{
	if (k->killed != RENDER_OK)
		return k->killed;
	if (k->fail != RENDER_OK)
		return k->fail;
	if (WIFSIGNALED(st)) {
		int sig = WTERMSIG(st);
		if (sig == SIGXCPU || sig == SIGKILL) {
			snprintf(k->detail, sizeof(k->detail), "CPU cap of %d s (signal %d)",
				lim->cpu_seconds, sig);
			return RENDER_E_CPU;
		}
		snprintf(k->detail, sizeof(k->detail), "renderer killed by signal %d", sig);
		return RENDER_E_CRASH;
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) >= SANDBOX_EXIT_RLIMIT &&
		WEXITSTATUS(st) <= SANDBOX_EXIT_HELPER && k->out->pages < 0) {
		/* Our set-up failed before the document was opened: the system's
		 * fault (or ours), not the document's. */
		if (WEXITSTATUS(st) == SANDBOX_EXIT_HELPER)
			snprintf(k->detail, sizeof(k->detail), "the renderer helper refused its job");
		else
			snprintf(k->detail, sizeof(k->detail), "sandbox set-up failed (status %d)",
				WEXITSTATUS(st));
		return RENDER_E_INTERNAL;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		snprintf(k->detail, sizeof(k->detail), "renderer exited with status %d",
			WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		return RENDER_E_CRASH;
	}
	if (k->out->pages >= 0 && k->progress != k->out->pages) {
		snprintf(k->detail, sizeof(k->detail), "renderer announced %d pages, rendered %d",
			k->out->pages, k->progress);
		return RENDER_E_CRASH;
	}
	return RENDER_OK;
}

static int sandbox_run_common(int n, sandbox_fn fn, void *const *args,
	const struct sandbox_exec *ex, const int *keep_fds, const struct sandbox_limits *lim,
	struct sandbox_out *outs, struct render_result *r)
{
	struct sandbox_kid kids[SANDBOX_KIDS_MAX];
	if (n < 1 || n > SANDBOX_KIDS_MAX) {
		sandbox_set_fail(r, RENDER_E_INTERNAL, "bad number of renderer processes");
		return -1;
	}
	memset(kids, 0, sizeof(kids));
	int started = 0;
	enum render_fail startfail = RENDER_OK;
	pid_t self = getpid();
	char parent_arg[24];
	snprintf(parent_arg, sizeof(parent_arg), "%ld", (long)self);
	if (ex && access(ex->helper, X_OK) != 0) {
		sandbox_set_fail(r, RENDER_E_INTERNAL, "renderer helper %.160s: %s", ex->helper,
			strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char part_arg[16];
		snprintf(part_arg, sizeof(part_arg), "%d", i);
		memset(&outs[i], 0, sizeof(outs[i]));
		outs[i].pages = -1;
		kids[i].out = &outs[i];
		kids[i].fd = -1;
		int p[2];
		if (pipe2(p, O_CLOEXEC) != 0) {
			startfail = RENDER_E_INTERNAL;
			snprintf(kids[0].detail, sizeof(kids[0].detail), "pipe: %s", strerror(errno));
			break;
		}
		if (ex) {
			pid_t pid;
			int err = sandbox_spawn(ex, p[1], keep_fds ? keep_fds[i] : -1, part_arg, parent_arg,
				&pid);
			close(p[1]);
			if (err) {
				close(p[0]);
				startfail = RENDER_E_INTERNAL;
				snprintf(kids[0].detail, sizeof(kids[0].detail),
					"cannot start the renderer helper %.120s: %s", ex->helper, strerror(err));
				break;
			}
			kids[i].pid = pid;
			kids[i].fd = p[0];
			started++;
			continue;
		}
		pid_t pid = fork();
		if (pid < 0) {
			close(p[0]);
			close(p[1]);
			startfail = RENDER_E_INTERNAL;
			snprintf(kids[0].detail, sizeof(kids[0].detail), "fork: %s", strerror(errno));
			break;
		}
		if (pid == 0) {
			close(p[0]);
			sandbox_child_main(fn, args[i], p[1], keep_fds ? &keep_fds[i] : NULL,
				keep_fds ? 1 : 0, lim, self);
			_exit(127);
		}
		close(p[1]);
		kids[i].pid = pid;
		kids[i].fd = p[0];
		started++;
	}

	int64_t deadline = time_mono_ns() + (int64_t)lim->timeout_ms * 1000000;
	int open = started, stop = startfail != RENDER_OK;
	enum render_fail timeout = RENDER_OK;
	while (open > 0 && !stop) {
		int64_t left = (deadline - time_mono_ns()) / 1000000;
		if (left <= 0) {
			timeout = RENDER_E_TIMEOUT;
			break;
		}
		struct pollfd pfd[SANDBOX_KIDS_MAX];
		int map[SANDBOX_KIDS_MAX], np = 0;
		for (int i = 0; i < started; i++) {
			if (kids[i].fd >= 0) {
				pfd[np].fd = kids[i].fd;
				pfd[np].events = POLLIN;
				pfd[np].revents = 0;
				map[np++] = i;
			}
		}
		int got = poll(pfd, (nfds_t)np, left > 1000 ? 1000 : (int)left);
		if (got < 0 && errno != EINTR) {
			startfail = RENDER_E_INTERNAL;
			snprintf(kids[0].detail, sizeof(kids[0].detail), "poll: %s", strerror(errno));
			break;
		}
		for (int j = 0; j < np && got > 0; j++) {
			if (!pfd[j].revents)
				continue;
			struct sandbox_kid *k = &kids[map[j]];
			if (sandbox_kid_read(k, lim, started == 1) < 0) {
				close(k->fd);
				k->fd = -1;
				open--;
			}
			/* One process failing fails the document: stop the others. */
			if (k->killed != RENDER_OK || k->fail != RENDER_OK)
				stop = 1;
		}
	}
	/* Whoever is still running is killed (a timeout, a failure, a cap
	 * broken by a sibling), and so is a child the parent condemned. */
	int bystander[SANDBOX_KIDS_MAX] = {0};
	for (int i = 0; i < started; i++) {
		if (kids[i].fd >= 0 || kids[i].killed != RENDER_OK) {
			kill(kids[i].pid, SIGKILL);
			bystander[i] = kids[i].killed == RENDER_OK && kids[i].fail == RENDER_OK;
		}
		if (kids[i].fd >= 0)
			close(kids[i].fd);
	}
	enum render_fail verdict = startfail;
	const char *detail = kids[0].detail;
	char tdetail[64];
	if (verdict == RENDER_OK && timeout != RENDER_OK) {
		verdict = timeout;
		snprintf(tdetail, sizeof(tdetail), "wall-clock cap of %d ms", lim->timeout_ms);
		detail = tdetail;
	}
	for (int i = 0; i < started; i++) {
		int st = 0;
		pid_t w;
		while ((w = waitpid(kids[i].pid, &st, 0)) < 0 && errno == EINTR)
			;
		/* The first culprit is reported; a child killed only because of
		 * another is not one. */
		if (verdict != RENDER_OK || bystander[i])
			continue;
		if (w < 0) {
			/* Someone else reaped it (SIGCHLD ignored, a waitpid(-1)):
			 * its fate is unknown, so nothing it wrote is trusted. */
			verdict = RENDER_E_INTERNAL;
			snprintf(tdetail, sizeof(tdetail), "renderer status lost: %s", strerror(errno));
			detail = tdetail;
			continue;
		}
		enum render_fail v = sandbox_kid_verdict(&kids[i], st, lim);
		if (v != RENDER_OK) {
			verdict = v;
			detail = kids[i].detail;
		}
	}
	if (verdict != RENDER_OK) {
		sandbox_set_fail(r, verdict, "%s", detail);
		return -1;
	}
	return 0;
}

int sandbox_run_n(int n, sandbox_fn fn, void *const *args, const int *keep_fds,
	const struct sandbox_limits *lim, struct sandbox_out *outs, struct render_result *r)
{
	return sandbox_run_common(n, fn, args, NULL, keep_fds, lim, outs, r);
}

int sandbox_exec_n(int n, const struct sandbox_exec *ex, const int *keep_fds,
	const struct sandbox_limits *lim, struct sandbox_out *outs, struct render_result *r)
{
	if (!ex || !ex->helper || ex->job_fd < 0) {
		sandbox_set_fail(r, RENDER_E_INTERNAL, "no renderer helper");
		return -1;
	}
	return sandbox_run_common(n, NULL, NULL, ex, keep_fds, lim, outs, r);
}

int sandbox_run(sandbox_fn fn, void *arg, const int *keep_fds, int nkeep,
	const struct sandbox_limits *lim, struct sandbox_out *out, struct render_result *r)
{
	if (nkeep > 1) {
		sandbox_set_fail(r, RENDER_E_INTERNAL, "one descriptor per renderer process");
		return -1;
	}
	void *args[1] = {arg};
	return sandbox_run_n(1, fn, args, nkeep ? keep_fds : NULL, lim, out, r);
}
