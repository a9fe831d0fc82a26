/* The renderer helper's two sides: the parent writes a job into a sealed
 * memfd; the helper (after execve) maps it, checks it, confines itself and
 * runs the child code of raster.c or tiffin.c. See helper.h. */
#include "helper.h"
#include "bitmap.h"
#include "cover.h"
#include "fdio.h"
#include "g4enc.h"
#include "numparse.h"
#include "raster.h"
#include "render_io.h"
#include "tiffin.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define HELPER_MAGIC "FVRJOB1"

/* ---- Parent side ---- */

int helper_job_create(struct helper_job *h, const uint8_t *data, size_t len,
	const struct font_data *fonts)
{
	memcpy(h->magic, HELPER_MAGIC, sizeof(h->magic));
	h->size = sizeof(*h);
	uint64_t off = sizeof(*h);
	h->data_off = off;
	h->data_len = len;
	off += len;
	for (int i = 0; i < FONT_COUNT_; i++) {
		h->font_off[i] = off;
		h->font_len[i] = fonts && fonts->bytes[i] ? fonts->len[i] : 0;
		off += h->font_len[i];
	}
	int fd = memfd_create("faxvault-render-job", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -1;
	int rc = fd_write_all(fd, h, sizeof(*h));
	if (rc == 0 && len)
		rc = fd_write_all(fd, data, len);
	for (int i = 0; i < FONT_COUNT_ && rc == 0; i++)
		if (h->font_len[i])
			rc = fd_write_all(fd, fonts->bytes[i], h->font_len[i]);
	/* Sealed: a child cannot change what its siblings read. */
	if (rc == 0)
		rc = fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
	if (rc != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int helper_run(const char *helper, struct helper_job *h, uint8_t **data, size_t len,
	const struct font_data *fonts, int n, const int *out_fds, const struct sandbox_limits *lim,
	struct sandbox_out *outs, struct render_result *r)
{
	h->timeout_ms = lim->timeout_ms;
	h->cpu_seconds = lim->cpu_seconds;
	h->mem_bytes = lim->mem_bytes;
	h->max_pages = lim->max_pages;
	int jfd = helper_job_create(h, data ? *data : NULL, len, fonts);
	int e = errno;
	if (data) {
		free(*data);
		*data = NULL;
	}
	if (jfd < 0) {
		render_set_fail(r, RENDER_E_INTERNAL, "cannot create the renderer job: %s",
			strerror(e));
		return -1;
	}
	struct sandbox_exec ex = {helper, jfd};
	int rc = sandbox_exec_n(n, &ex, out_fds, lim, outs, r);
	close(jfd);
	return rc;
}

/* Where the build put the helper, for a build tree's programs, tests and
 * tools, and the build tree itself: an installed program never falls back
 * to a path of the machine it was built on (that directory may be gone, or
 * writable by someone else, on the machine it runs on). */
#ifndef FV_RENDER_HELPER_BUILD
#define FV_RENDER_HELPER_BUILD ""
#endif
#ifndef FV_BUILD_DIR
#define FV_BUILD_DIR ""
#endif

static char helper_found[PATH_MAX];
static pthread_once_t helper_once = PTHREAD_ONCE_INIT;

static int helper_try(const char *dir, const char *rel)
{
	char p[PATH_MAX];
	int n = snprintf(p, sizeof(p), "%s%s", dir, rel);
	if (n <= 0 || (size_t)n >= sizeof(p) || access(p, X_OK) != 0)
		return -1;
	/* Without "bin/../": the path is logged at start. */
	if (!realpath(p, helper_found))
		memcpy(helper_found, p, (size_t)n + 1);
	return 0;
}

static void helper_locate(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return;
	exe[n] = 0;
	char *slash = strrchr(exe, '/');
	if (!slash)
		return;
	slash[1] = 0;
	if (helper_try(exe, HELPER_NAME) == 0 ||
		helper_try(exe, "../libexec/faxvault/" HELPER_NAME) == 0)
		return;
	char build[PATH_MAX];
	if (!FV_RENDER_HELPER_BUILD[0] || !FV_BUILD_DIR[0] || !realpath(FV_BUILD_DIR, build))
		return;
	size_t bl = strlen(build);
	if (strncmp(exe, build, bl) == 0 && exe[bl] == '/')
		helper_try("", FV_RENDER_HELPER_BUILD);
}

const char *render_default_helper(void)
{
	pthread_once(&helper_once, helper_locate);
	return helper_found[0] ? helper_found : NULL;
}

/* ---- The probe (tests) ---- */

struct probe_arg {
	const void *addr;
	size_t len;
	int out_fd;
};

extern char **environ;

static int helper_probe_child(struct sandbox_child *c, void *arg)
{
	const struct probe_arg *p = arg;
	/* The kernel reads the memory for us: EFAULT where nothing is mapped.
	 * The raw system call, not write(): a sanitizer's wrapper would check
	 * an address that is none of this program's objects. */
	ssize_t w = syscall(SYS_write, p->out_fd, p->addr, p->len);
	/* And what else the child holds: open descriptors (fstat is allowed
	 * by the filter) and environment variables. */
	int fds = 0, env = 0;
	struct stat st;
	for (int fd = 0; fd < 1024; fd++)
		fds += fstat(fd, &st) == 0;
	for (char **e = environ; e && *e; e++)
		env++;
	sandbox_report_info(c, w == (ssize_t)p->len, fds, env);
	return 0;
}

int helper_probe(const char *helper, const void *addr, size_t len, int out_fd,
	struct sandbox_out *so, struct render_result *r)
{
	render_result_init(r);
	struct render_opts o;
	render_opts_init(&o);
	struct sandbox_limits lim;
	render_limits(&o, &lim);
	if (!helper) {
		struct probe_arg pa = {addr, len, out_fd};
		void *args[1] = {&pa};
		return sandbox_run_n(1, helper_probe_child, args, &out_fd, &lim, so, r);
	}
	struct helper_job h;
	memset(&h, 0, sizeof(h));
	h.op = HELPER_OP_PROBE;
	h.probe_addr = (uint64_t)(uintptr_t)addr;
	h.probe_len = len;
	return helper_run(helper, &h, NULL, 0, NULL, 1, &out_fd, &lim, so, r);
}

/* ---- Helper side ---- */

static int helper_bad(const char *why)
{
	fprintf(stderr, HELPER_NAME ": %s (this program is started by the renderer)\n", why);
	return SANDBOX_EXIT_HELPER;
}

/* ---- Composing in the helper (helper_job.compose) ----
 *
 * raster_child hands each finished page to compose_child_page
 * (raster_job.page_out) before it reports the page: the header line is
 * drawn on it, it is coded (T.6) and appended to the output as a coded
 * page, so the parent hears of a page once its coded bytes are there. The
 * page is not copied: one page in memory at a time, the renderer's own.
 * The report hook (sandbox_child_hook) keeps the announced page count for
 * the header's "page x of n". */
struct compose_child {
	struct raster_job rj;
	const struct helper_job *h;
	const struct font_data *fonts;
	struct sandbox_child *c;
	struct fonts *f;
	int pages;                   /* announced */
};

static void put32le(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t get32le(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int helper_coded_parse(const uint8_t hdr[HELPER_CODED_HEADER], int rows_max, int *w, int *rows,
	size_t *len)
{
	if (memcmp(hdr, "FVG4", 4) != 0)
		return -1;
	uint32_t hw = get32le(hdr + 4), hh = get32le(hdr + 8), hl = get32le(hdr + 12);
	if (hw != RENDER_WIDTH || hh == 0 || rows_max < 1 || hh > (uint32_t)rows_max ||
		hl > HELPER_CODED_MAX(hh))
		return -1;
	*w = (int)hw;
	*rows = (int)hh;
	*len = hl;
	return 0;
}

static int compose_coded(int fd, int w, int h, const uint8_t *data, size_t len)
{
	uint8_t hdr[HELPER_CODED_HEADER];
	memcpy(hdr, "FVG4", 4);
	put32le(hdr + 4, (uint32_t)w);
	put32le(hdr + 8, (uint32_t)h);
	put32le(hdr + 12, (uint32_t)len);
	if (fd_write_all(fd, hdr, sizeof(hdr)) < 0)
		return -1;
	return len ? fd_write_all(fd, data, len) : 0;
}

/* Page done (1-based) of the document, finished by the renderer (a
 * raster_job.page_out): header, coding, out. */
static int compose_child_page(void *arg, struct bitmap *view, int done)
{
	struct compose_child *cc = arg;
	const struct helper_job *h = cc->h;
	if (view->w != RENDER_WIDTH || view->h < 1 || view->h > h->yres * BITMAP_PAGE_INCHES_MAX)
		return -1;
	if (done == 1 && h->skip_first)
		return compose_coded(SANDBOX_FD_OUT, view->w, view->h, NULL, 0);
	if (h->header) {
		if (!cc->f && !(cc->f = fonts_new(cc->fonts)))
			return -1;
		cover_draw_header(cc->f, view, h->yres, (enum render_lang)h->lang, h->date_ms,
			h->identity, h->number, h->before + done - h->skip_first,
			h->before + cc->pages - h->skip_first);
	}
	size_t len;
	uint8_t *g4 = g4_encode(view->bits, view->w, view->h, (size_t)view->stride, &len);
	int rc = compose_coded(SANDBOX_FD_OUT, view->w, view->h, g4, len);
	free(g4);
	return rc;
}

static void compose_report(void *ctx, int announced, int done)
{
	(void)done; /* the page went out before its report */
	struct compose_child *cc = ctx;
	if (announced >= 0)
		cc->pages = announced;
}

static int compose_child_run(struct sandbox_child *c, void *arg)
{
	struct compose_child *cc = arg;
	cc->c = c;
	sandbox_child_hook(c, compose_report, cc);
	return raster_child(c, &cc->rj);
}

static int helper_range(size_t size, uint64_t off, uint64_t len)
{
	return off <= size && len <= size - off ? 0 : -1;
}

int helper_main(int argc, char **argv)
{
	int64_t part, parent;
	if (argc != 4 || strcmp(argv[1], SANDBOX_HELPER_ARG) != 0 ||
		parse_i64z(argv[2], 0, SANDBOX_KIDS_MAX - 1, &part) < 0 ||
		parse_i64z(argv[3], 1, INT32_MAX, &parent) < 0)
		return helper_bad("bad arguments");
	/* Dies with the renderer that started it, from now on (the check
	 * covers a renderer gone before this line). */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != (pid_t)parent)
		return SANDBOX_EXIT_HELPER;
	struct stat st;
	if (fstat(SANDBOX_FD_JOB, &st) != 0 || st.st_size < (off_t)sizeof(struct helper_job))
		return helper_bad("no job");
	size_t size = (size_t)st.st_size;
	const uint8_t *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, SANDBOX_FD_JOB, 0);
	if (map == MAP_FAILED)
		return helper_bad("cannot map the job");
	close(SANDBOX_FD_JOB);
	struct helper_job h;
	memcpy(&h, map, sizeof(h));
	if (memcmp(h.magic, HELPER_MAGIC, sizeof(h.magic)) != 0 || h.size != sizeof(h) ||
		h.op < HELPER_OP_RASTER || h.op >= HELPER_OP_COUNT_ || h.timeout_ms < 1 ||
		h.cpu_seconds < 1 || h.mem_bytes < ((uint64_t)16 << 20) || h.max_pages < 0 ||
		h.max_pages > RENDER_PAGES_MAX || helper_range(size, h.data_off, h.data_len) < 0)
		return helper_bad("bad job");
	struct font_data fonts;
	memset(&fonts, 0, sizeof(fonts));
	for (int i = 0; i < FONT_COUNT_; i++) {
		if (helper_range(size, h.font_off[i], h.font_len[i]) < 0)
			return helper_bad("bad job");
		if (h.font_len[i]) {
			/* Read-only mapping; FreeType only reads font memory. */
			fonts.bytes[i] = (uint8_t *)(uintptr_t)(map + h.font_off[i]);
			fonts.len[i] = h.font_len[i];
		}
	}
	struct sandbox_limits lim = {h.timeout_ms, h.cpu_seconds, (size_t)h.mem_bytes, h.max_pages,
		NULL, NULL};
	const uint8_t *data = map + h.data_off;
	size_t len = (size_t)h.data_len;
	switch (h.op) {
	case HELPER_OP_RASTER: {
		if (h.nparts < 1 || h.nparts > SANDBOX_KIDS_MAX || part >= h.nparts ||
			(h.yres != RENDER_YRES_STANDARD && h.yres != RENDER_YRES_FINE))
			return helper_bad("bad job");
		struct raster_job job = {data, len, (enum render_type)h.type, h.yres, h.max_pages,
			(size_t)h.mem_bytes, &fonts, SANDBOX_FD_OUT, (int)part, h.nparts, NULL, NULL};
		if (!h.compose)
			sandbox_helper_enter(raster_child, &job, &lim, (pid_t)parent);
		if (h.nparts != 1 || (h.lang != RENDER_LANG_EN && h.lang != RENDER_LANG_FR) ||
			(h.skip_first != 0 && h.skip_first != 1) || h.before < 0 ||
			h.before > RENDER_PAGES_MAX ||
			memchr(h.identity, 0, sizeof(h.identity)) == NULL ||
			memchr(h.number, 0, sizeof(h.number)) == NULL ||
			memchr(h.font_path, 0, sizeof(h.font_path)) == NULL)
			return helper_bad("bad job");
		if (h.header && !fonts.bytes[FONT_SANS]) {
			/* The header's face from its file, read-only, before the
			 * filter (which opens nothing): the page cache's pages,
			 * not a copy in every job. */
			int ffd = h.font_path[0] == '/' ? open(h.font_path, O_RDONLY | O_CLOEXEC) : -1;
			struct stat fst;
			void *fm = MAP_FAILED;
			if (ffd >= 0 && fstat(ffd, &fst) == 0 && h.font_size > 0 &&
				(uint64_t)fst.st_size == h.font_size)
				fm = mmap(NULL, (size_t)h.font_size, PROT_READ, MAP_PRIVATE, ffd, 0);
			if (ffd >= 0)
				close(ffd);
			if (fm == MAP_FAILED)
				return helper_bad("cannot map the header's font");
			fonts.bytes[FONT_SANS] = fm;
			fonts.len[FONT_SANS] = (size_t)h.font_size;
		}
		static struct compose_child cc;
		cc.rj = job;
		cc.rj.out_fd = -1;
		cc.rj.page_out = compose_child_page;
		cc.rj.page_arg = &cc;
		cc.h = &h;
		cc.fonts = &fonts;
		sandbox_helper_enter(compose_child_run, &cc, &lim, (pid_t)parent);
	}
	case HELPER_OP_TOPDF:
	case HELPER_OP_PREVIEW: {
		struct tiffin_job job = {data, len, SANDBOX_FD_OUT, h.page, h.width, h.max_pages};
		sandbox_helper_enter(h.op == HELPER_OP_TOPDF ? tiffin_topdf_child : tiffin_preview_child,
			&job, &lim, (pid_t)parent);
	}
	default: {
		struct probe_arg pa = {(const void *)(uintptr_t)h.probe_addr, (size_t)h.probe_len,
			SANDBOX_FD_OUT};
		sandbox_helper_enter(helper_probe_child, &pa, &lim, (pid_t)parent);
	}
	}
}
