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

#include "render.h"

struct sandbox_limits {
	int timeout_ms;     /* wall clock, enforced by the parent (SIGKILL) */
	int cpu_seconds;    /* RLIMIT_CPU */
	size_t mem_bytes;   /* RLIMIT_AS (skipped under sanitizers) and the child's own allocator cap */
	int max_pages;      /* the child may announce at most this many pages */
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

/* Runs in the child after the sandbox is in place; returns 0 when done. */
typedef int (*sandbox_fn)(struct sandbox_child *c, void *arg);

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

#endif
