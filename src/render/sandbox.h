/* One child process per hostile document: rlimits, no network, a seccomp
 * filter, and caps on pages and wall-clock time enforced by the parent.
 *
 * The child reports over a pipe with fixed-size messages; the parent trusts
 * nothing in them beyond their shape, and classifies a child that dies
 * (CPU limit, memory, a crash, a seccomp kill) into a render_fail. */
#ifndef FV_RENDER_SANDBOX_H
#define FV_RENDER_SANDBOX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "render.h"

struct sandbox_limits {
	int timeout_ms;     /* wall clock, enforced by the parent (SIGKILL) */
	int cpu_seconds;    /* RLIMIT_CPU */
	size_t mem_bytes;   /* RLIMIT_AS (skipped under sanitizers) and the child's own allocator cap */
	int max_pages;      /* the child may announce at most this many pages */
	/* Called in the parent each time the only child of a run reports a
	 * page done: pages is what it announced, done the pages reported so
	 * far. A return < 0 stops the child and fails the run (the callback
	 * says why to its own caller). NULL: none. */
	int (*on_page)(void *ctx, int pages, int done);
	void *on_page_ctx;
};

/* The child side: reports through these, then returns an exit status.
 * A NULL child makes them no-ops (the same code run in-process, by a fuzz
 * target). */
struct sandbox_child;
/* Announces the page count (before rendering); the parent kills the child
 * when it exceeds max_pages. */
void sandbox_report_pages(struct sandbox_child *c, int pages);
/* One page done (the parent counts them against max_pages too). */
void sandbox_report_progress(struct sandbox_child *c, int page);
/* Facts about the output for the parent (e.g. width, xres, yres). */
void sandbox_report_info(struct sandbox_child *c, int a, int b, int d);
/* Failure with a detail for the logs. */
void sandbox_report_fail(struct sandbox_child *c, enum render_fail f, const char *detail);
/* Called in the child by sandbox_report_pages (announced = the pages, done
 * = 0) and sandbox_report_progress (announced = -1, done = the page), each
 * time before the message is sent: a page's output is finished by the
 * hook before the parent hears of it (the helper's composing, helper.c).
 * The hook may report a failure and _exit. NULL: none. */
typedef void (*sandbox_report_hook)(void *ctx, int announced, int done);
void sandbox_child_hook(struct sandbox_child *c, sandbox_report_hook fn, void *ctx);

/* Runs in the child after the sandbox is in place; returns 0 when done. */
typedef int (*sandbox_fn)(struct sandbox_child *c, void *arg);

/* Field `field` (1-based, space-separated) of a small /proc file as a
 * number; in /proc/PID/stat fields are counted as proc(5) does (the
 * command name may hold spaces). -1 when unreadable or not a number. */
long long sandbox_proc_field(const char *path, int field);

struct sandbox_out {
	int pages;   /* the count the child announced, or -1 */
	int info[3]; /* the last sandbox_report_info, or zeros */
};

#define SANDBOX_KIDS_MAX 8

/* Forks a child that keeps only the descriptors keep_fds[0..nkeep) (same
 * numbers; nkeep <= 1), applies the limits and the filter, and runs
 * fn(arg). Waits for it within the limits. 0 on success with *out filled;
 * -1 with r->fail and r->detail set. */
int sandbox_run(sandbox_fn fn, void *arg, const int *keep_fds, int nkeep,
	const struct sandbox_limits *lim, struct sandbox_out *out, struct render_result *r);

/* The same for n children at once (n <= SANDBOX_KIDS_MAX), child i running
 * fn(args[i]) and keeping keep_fds[i] (keep_fds may be NULL); one wall
 * clock for all; the first failure kills the others and is the one
 * reported. outs[i] for child i. */
int sandbox_run_n(int n, sandbox_fn fn, void *const *args, const int *keep_fds,
	const struct sandbox_limits *lim, struct sandbox_out *outs, struct render_result *r);

/* ---- Children from a fresh process image ----
 *
 * The same, but each child is the renderer helper (helper.h), started with
 * posix_spawn, so it holds none of the caller's memory (keys, other
 * tenants' buffers) and none of its descriptors. Child i gets, and only gets:
 * descriptors 0-2 on /dev/null, SANDBOX_FD_REPORT (its report pipe),
 * SANDBOX_FD_OUT (keep_fds[i], or /dev/null when keep_fds is NULL),
 * SANDBOX_FD_JOB (ex->job_fd, shared by all); an empty environment; argv
 * HELPER SANDBOX_HELPER_ARG I PARENT_PID. The helper applies the limits and
 * the filter itself (sandbox_helper_enter). */
#define SANDBOX_FD_REPORT 3
#define SANDBOX_FD_OUT 4
#define SANDBOX_FD_JOB 5
#define SANDBOX_HELPER_ARG "--sandbox-child"
/* Exit status of a helper that refuses its arguments or its job (not
 * started by this build's renderer): an internal failure. */
#define SANDBOX_EXIT_HELPER 124

struct sandbox_exec {
	const char *helper; /* path of the helper program, borrowed */
	int job_fd;         /* the job for the helper (helper_job_create) */
};

/* sandbox_run_n with exec'd children. A helper that is missing or not
 * executable fails with RENDER_E_INTERNAL before any fork. */
int sandbox_exec_n(int n, const struct sandbox_exec *ex, const int *keep_fds,
	const struct sandbox_limits *lim, struct sandbox_out *outs, struct render_result *r);

/* The helper's side: confines the process (signals, parent-death signal,
 * rlimits, no_new_privs, seccomp) and runs fn(arg) reporting on
 * SANDBOX_FD_REPORT. Exits with fn's verdict; never returns. */
_Noreturn void sandbox_helper_enter(sandbox_fn fn, void *arg, const struct sandbox_limits *lim,
	pid_t parent);

#endif
