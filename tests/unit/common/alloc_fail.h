/* Allocation-failure runs (docs/testing.md, "Allocation failures").
 *
 * xalloc.h promises that an allocation succeeds or does not return. A
 * runner built on this header checks that promise on a scenario: it runs the
 * scenario once, in a child process, to count its allocations (N), then,
 * for each n in 1..N (or a sample, see af_run_t), runs it again in a fresh
 * child whose nth allocation fails (xalloc_inject). Each such child must end
 * with xalloc's out-of-memory abort: SIGABRT and XALLOC_OOM_MESSAGE on its
 * stderr, not another signal, not a sanitizer report, not a normal exit.
 * After each child the runner's check looks at what the child left behind
 * (a database that must reopen consistent, with every step the child had
 * finished still there and the step it was in either whole or absent).
 *
 * The scenario reports its progress with af_begin(k) before step k becomes
 * durable (a commit) and af_done(k) once it is; both write to a file with
 * write(2), allocating nothing. Header-only: include it once, in the
 * runner's main file. */
#ifndef FV_TESTS_ALLOC_FAIL_H
#define FV_TESTS_ALLOC_FAIL_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "xalloc.h"

typedef struct af_run {
	const char *name;
	void *ctx;
	/* In the parent, before each child: the starting state (e.g. a fresh
	 * copy of a template database). */
	void (*reset)(void *ctx);
	/* In the child: the scenario, which calls af_begin / af_done, and
	 * af_fail when something it asserts does not hold. */
	void (*scenario)(void *ctx);
	/* In the parent, after each child: 0 when what the child left is sound,
	 * given the last step it began (begun) and finished (done) (0: none);
	 * else -1 with why (n bytes) filled. */
	int (*check)(void *ctx, int begun, int done, char *why, size_t n);
	/* Which allocations are failed: every n up to first_all, then every
	 * every-th (1: all of them). FV_ALLOC_FAIL_EVERY=1 in the environment
	 * runs all of them whatever the runner says. */
	unsigned long first_all;
	unsigned long every;
	/* NULL: xalloc's injection (xalloc_inject, xalloc_counted), and each
	 * failure must end the child with the out-of-memory abort. Otherwise
	 * the injection of an allocator that may say no (SQLite's): inject
	 * (in the child: fail the fail_at-th allocation, 0 counts only) and
	 * counted; each failure must then end the child with a normal exit 0,
	 * the error answered and handled (the scenario stops with af_stop) and
	 * nothing leaked (LeakSanitizer runs at that exit). */
	void (*inject)(unsigned long fail_at);
	unsigned long (*counted)(void);
} af_run_t;

enum { AF_BEGIN = 1, AF_DONE = 2, AF_COUNT = 3 };

static int af_progress_fd = -1;

static void af_record(int kind, unsigned long v)
{
	unsigned long rec[2] = { (unsigned long)kind, v };
	if (af_progress_fd >= 0 && write(af_progress_fd, rec, sizeof rec) != (ssize_t)sizeof rec)
		_exit(5);
}

/* Step k is about to become durable. */
static void af_begin(int k)
{
	af_record(AF_BEGIN, (unsigned long)k);
}

/* Step k is durable. */
static void af_done(int k)
{
	af_record(AF_DONE, (unsigned long)k);
}

/* In the child: the scenario found something wrong that is not the
 * injected failure. Ends the child with status 4. */
__attribute__((format(printf, 1, 2), noreturn)) static void af_fail(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	dprintf(STDERR_FILENO, "scenario: %s\n", msg);
	_exit(4);
}

/* In the child of a run with its own injection (af_run_t.inject): an
 * operation answered an error, as it should when memory is short; the
 * scenario has released what it holds and ends here, normally. */
__attribute__((noreturn)) static inline void af_stop(void)
{
	exit(0);
}

struct af_child {
	int status;
	int begun, done;
	unsigned long count;
	char err[2048]; /* the end of the child's stderr */
};

/* The last n - 1 bytes of the file at path, NUL-terminated, into out. */
static void af_slurp_tail(const char *path, char *out, size_t n)
{
	out[0] = '\0';
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	off_t end = lseek(fd, 0, SEEK_END);
	off_t from = end > (off_t)(n - 1) ? end - (off_t)(n - 1) : 0;
	ssize_t got = pread(fd, out, n - 1, from);
	out[got > 0 ? got : 0] = '\0';
	close(fd);
}

/* Whether the last line of err is xalloc's out-of-memory message. */
static int af_ends_with_oom(const char *err)
{
	size_t len = strlen(err);
	if (len == 0 || err[len - 1] != '\n')
		return 0;
	size_t start = len - 1;
	while (start > 0 && err[start - 1] != '\n')
		start--;
	return strncmp(err + start, XALLOC_OOM_MESSAGE, strlen(XALLOC_OOM_MESSAGE)) == 0;
}

/* Runs the scenario in a child whose fail_at-th allocation fails (0: none,
 * count them). */
static int af_child_run(const af_run_t *r, const char *dir, unsigned long fail_at, struct af_child *ch)
{
	char prog[300], errp[300];
	snprintf(prog, sizeof prog, "%s/progress", dir);
	snprintf(errp, sizeof errp, "%s/stderr", dir);
	int pfd = open(prog, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
	int efd = open(errp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (pfd < 0 || efd < 0)
		return -1;
	r->reset(r->ctx);
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(efd, STDERR_FILENO);
		af_progress_fd = pfd;
		if (r->inject) {
			r->inject(fail_at);
			r->scenario(r->ctx);
			if (fail_at == 0)
				af_record(AF_COUNT, r->counted());
			exit(0); /* a failure absorbed is fine; LeakSanitizer checks */
		}
		xalloc_inject(fail_at);
		r->scenario(r->ctx);
		if (fail_at == 0)
			af_record(AF_COUNT, xalloc_counted());
		_exit(fail_at == 0 ? 0 : 3);
	}
	close(pfd);
	close(efd);
	while (waitpid(pid, &ch->status, 0) < 0)
		if (errno != EINTR)
			return -1;
	ch->begun = ch->done = 0;
	ch->count = 0;
	int fd = open(prog, O_RDONLY | O_CLOEXEC);
	unsigned long rec[2];
	while (fd >= 0 && read(fd, rec, sizeof rec) == (ssize_t)sizeof rec) {
		if (rec[0] == AF_BEGIN)
			ch->begun = (int)rec[1];
		else if (rec[0] == AF_DONE)
			ch->done = (int)rec[1];
		else if (rec[0] == AF_COUNT)
			ch->count = rec[1];
	}
	if (fd >= 0)
		close(fd);
	af_slurp_tail(errp, ch->err, sizeof ch->err);
	return 0;
}

static void af_describe(int status, char *out, size_t n)
{
	if (WIFSIGNALED(status))
		snprintf(out, n, "signal %d", WTERMSIG(status));
	else if (WIFEXITED(status))
		snprintf(out, n, "exit %d%s", WEXITSTATUS(status),
			WEXITSTATUS(status) == 3 ? " (the allocation never failed)" : "");
	else
		snprintf(out, n, "status %d", status);
}

static double af_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs r: 0 when every child ended as it must and every check held, else 1
 * (each failure printed). dir is a private scratch directory. */
static int af_main(const af_run_t *r, const char *dir)
{
	double t0 = af_now();
	struct af_child ch;
	char how[96], why[512];
	if (af_child_run(r, dir, 0, &ch) != 0) {
		fprintf(stderr, "%s: cannot run the scenario: %s\n", r->name, strerror(errno));
		return 1;
	}
	if (!WIFEXITED(ch.status) || WEXITSTATUS(ch.status) != 0 || ch.count == 0) {
		af_describe(ch.status, how, sizeof how);
		fprintf(stderr, "%s: the scenario without failures ended with %s:\n%s\n", r->name, how,
			ch.err);
		return 1;
	}
	if (r->check(r->ctx, ch.begun, ch.done, why, sizeof why) != 0) {
		fprintf(stderr, "%s: after the scenario without failures: %s\n", r->name, why);
		return 1;
	}
	unsigned long total = ch.count, every = r->every ? r->every : 1, first = r->first_all;
	const char *all = getenv("FV_ALLOC_FAIL_EVERY");
	if (all && *all)
		every = strtoul(all, NULL, 10) ? strtoul(all, NULL, 10) : 1;
	if (every == 1)
		first = total;
	/* Past first_all, which residue of every is failed changes from run to
	 * run, so that successive runs of the suite cover every allocation;
	 * FV_ALLOC_FAIL_OFFSET=K repeats a run (the summary line prints it). */
	unsigned long offset = every > 1 ? ((unsigned long)time(NULL) ^ (unsigned long)getpid()) % every
					 : 0;
	const char *off = getenv("FV_ALLOC_FAIL_OFFSET");
	if (off && *off && every > 1)
		offset = strtoul(off, NULL, 10) % every;
	int failures = 0;
	unsigned long runs = 0;
	int steps_seen[64] = { 0 };
	for (unsigned long n = 1; n <= total && failures < 10; n++) {
		if (n > first && (n - first) % every != offset && n != total)
			continue;
		runs++;
		if (af_child_run(r, dir, n, &ch) != 0) {
			fprintf(stderr, "%s: n=%lu: cannot run the scenario: %s\n", r->name, n, strerror(errno));
			return 1;
		}
		int as_expected = r->inject ? WIFEXITED(ch.status) && WEXITSTATUS(ch.status) == 0
			: WIFSIGNALED(ch.status) && WTERMSIG(ch.status) == SIGABRT &&
				af_ends_with_oom(ch.err);
		if (!as_expected) {
			af_describe(ch.status, how, sizeof how);
			fprintf(stderr, "%s: failing allocation %lu of %lu: the child ended with %s, "
				"not %s; its stderr:\n%s\n", r->name, n, total, how, r->inject ?
				"a clean error (exit 0)" : "the out-of-memory abort", ch.err);
			failures++;
			continue;
		}
		if (r->check(r->ctx, ch.begun, ch.done, why, sizeof why) != 0) {
			fprintf(stderr, "%s: failing allocation %lu of %lu (steps begun %d, done %d): %s\n",
				r->name, n, total, ch.begun, ch.done, why);
			failures++;
		}
		if (ch.begun >= 0 && ch.begun < 64)
			steps_seen[ch.begun] = 1;
	}
	int kinds = 0;
	for (int i = 0; i < 64; i++)
		kinds += steps_seen[i];
	printf("%s: %lu allocations, %lu failed one at a time (all up to %lu, then every %lu "
	       "from offset %lu: FV_ALLOC_FAIL_OFFSET=%lu repeats it), interrupting %d different "
	       "steps: %s (%.1f s)\n", r->name, total, runs, first < total ? first : total, every,
		offset, offset, kinds, failures ? "FAILED" : r->inject ?
		"each answered an error or absorbed it, leaked nothing and left a sound state" :
		"each ended with the out-of-memory abort and left a sound state", af_now() - t0);
	return failures ? 1 : 0;
}

/* ---- A database per run: each child starts from a copy of a template ---- */

static const char *af_template_path, *af_db_path;

/* The template (a migrated, empty database) and the copy each run uses. */
static void af_db_paths(const char *template_db, const char *db)
{
	af_template_path = template_db;
	af_db_path = db;
}

static int af_copy_file(const char *from, const char *to)
{
	int in = open(from, O_RDONLY | O_CLOEXEC);
	int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	char buf[65536];
	ssize_t r = 0;
	while (in >= 0 && out >= 0 && (r = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, (size_t)r) != r)
			r = -1;
	int rc = in >= 0 && out >= 0 && r == 0 ? 0 : -1;
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) != 0)
		rc = -1;
	return rc;
}

/* Removes a SQLite database and its WAL files. */
static void af_remove_db(const char *db)
{
	char p[300];
	unlink(db);
	snprintf(p, sizeof p, "%s-wal", db);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", db);
	unlink(p);
}

/* An af_run_t reset: a fresh copy of the template (af_db_paths). */
static void af_reset_db(void *ctx)
{
	(void)ctx;
	af_remove_db(af_db_path);
	if (af_copy_file(af_template_path, af_db_path) != 0) {
		fprintf(stderr, "cannot copy the template database\n");
		exit(1);
	}
}

/* Removes the databases and the runner's files from dir, then dir. */
static void af_cleanup(const char *dir, const char *template_db, const char *db)
{
	char p[300];
	af_remove_db(db);
	af_remove_db(template_db);
	snprintf(p, sizeof p, "%s/progress", dir);
	unlink(p);
	snprintf(p, sizeof p, "%s/stderr", dir);
	unlink(p);
	rmdir(dir);
}

/* ---- What a run left: facts of each step, in the database ---- */

/* The integer the query sql answers. 0 / -1. */
static int af_query_int(sqlite3 *db, const char *sql, long long *out)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* Checks the database at path after a run that began step begun and
 * finished step done: PRAGMA integrity_check "ok", no foreign key broken,
 * each query of absent[] answering 0, and for each step k of 1..steps its
 * facts (facts[k], up to 4 queries answering 1 when they hold, NULL-ended):
 * all of them when k <= done, none when k > begun, all or none for the step
 * being committed. 0, or -1 with why (n bytes). */
static int af_check_steps(const char *path, const char *const (*facts)[4], int steps,
	const char *const *absent, int begun, int done, char *why, size_t n)
{
	sqlite3 *db = NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		snprintf(why, n, "sqlite cannot open it");
		sqlite3_close(db);
		return -1;
	}
	int rc = -1;
	long long v;
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW || strcmp((const char *)sqlite3_column_text(s, 0), "ok") != 0) {
		snprintf(why, n, "integrity_check: %s", s ? (const char *)sqlite3_column_text(s, 0) : "?");
		goto out;
	}
	if (af_query_int(db, "SELECT COUNT(*) FROM pragma_foreign_key_check", &v) != 0 || v != 0) {
		snprintf(why, n, "foreign_key_check finds broken references");
		goto out;
	}
	for (int i = 0; absent && absent[i]; i++)
		if (af_query_int(db, absent[i], &v) != 0 || v != 0) {
			snprintf(why, n, "should find nothing: %s", absent[i]);
			goto out;
		}
	for (int k = 1; k <= steps; k++) {
		int held = 0, total = 0;
		for (int i = 0; i < 4 && facts[k][i]; i++, total++) {
			if (af_query_int(db, facts[k][i], &v) != 0) {
				snprintf(why, n, "step %d: cannot run %s", k, facts[k][i]);
				goto out;
			}
			held += v == 1;
		}
		int want_all = k <= done, want_none = k > begun;
		if ((want_all && held != total) || (want_none && held != 0) || (held != 0 && held != total)) {
			snprintf(why, n, "step %d (begun %d, done %d): %d of its %d facts hold", k, begun,
				done, held, total);
			goto out;
		}
	}
	rc = 0;
out:
	sqlite3_finalize(s);
	sqlite3_close(db);
	return rc;
}

#endif
