/* The renderer's job: documents in, one TIFF-F out, each document opened in
 * a sandboxed child (raster.c), pages composed here with the cover page and
 * header line (cover.c), written by tiffw.c. */
#include "render.h"
#include "bitmap.h"
#include "cover.h"
#include "helper.h"
#include "log.h"
#include "raster.h"
#include "render_io.h"
#include "sandbox.h"
#include "textdraw.h"
#include "tiffw.h"
#include "timeutil.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define COVER_STR_MAX 4000

void render_set_fail(struct render_result *r, enum render_fail f, const char *fmt, ...)
{
	r->fail = f;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
	va_end(ap);
}

void render_result_init(struct render_result *r)
{
	memset(r, 0, sizeof(*r));
	r->doc_index = -1;
}

int render_read_file(const char *path, uint8_t **data, size_t *len, struct render_result *r)
{
	*data = NULL;
	*len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		render_set_fail(r, RENDER_E_IO, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	size_t cap = 0, n = 0;
	uint8_t *buf = NULL;
	for (;;) {
		if (n == cap) {
			if (cap >= RENDER_INPUT_MAX) {
				free(buf);
				close(fd);
				render_set_fail(r, RENDER_E_TOO_LARGE, "%s is larger than %u bytes", path,
					RENDER_INPUT_MAX);
				return -1;
			}
			cap = cap ? cap * 2 : 65536;
			buf = xrealloc(buf, cap + 1);
		}
		ssize_t got = read(fd, buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			free(buf);
			close(fd);
			render_set_fail(r, RENDER_E_IO, "cannot read %s: %s", path, strerror(errno));
			return -1;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	close(fd);
	if (n > RENDER_INPUT_MAX) {
		free(buf);
		render_set_fail(r, RENDER_E_TOO_LARGE, "%s is larger than %u bytes", path, RENDER_INPUT_MAX);
		return -1;
	}
	*data = buf;
	*len = n;
	return 0;
}

int render_tmpfile(const char *near)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", near ? near : "/tmp");
	char *slash = strrchr(dir, '/');
	if (slash == dir)
		dir[1] = 0;
	else if (slash)
		*slash = 0;
	else
		snprintf(dir, sizeof(dir), ".");
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	char tmpl[] = "/tmp/faxvault-render-XXXXXX";
	fd = mkostemp(tmpl, O_CLOEXEC);
	if (fd >= 0)
		unlink(tmpl);
	return fd;
}

int render_create_part(const char *out, char **name)
{
	char *tmpl = xasprintf("%s.XXXXXX", out);
	int fd = mkostemp(tmpl, O_CLOEXEC);
	if (fd < 0) {
		free(tmpl);
		*name = NULL;
		return -1;
	}
	fchmod(fd, 0644);
	*name = tmpl;
	return fd;
}

void render_limits(const struct render_opts *o, struct sandbox_limits *lim)
{
	lim->timeout_ms = o->timeout_ms;
	lim->cpu_seconds = o->cpu_seconds;
	lim->mem_bytes = o->mem_bytes;
	lim->max_pages = o->max_pages;
}

void render_warn_fork(const struct render_opts *o)
{
	static _Atomic int warned;
	if (o->helper_path || warned)
		return;
	long long threads = sandbox_proc_field("/proc/self/stat", 20);
	if (threads > 1 && !warned++)
		log_event(LOG_WARN, "render_fork_threaded",
			"threads=%lld note=\"renderer children forked from a threaded process; "
			"pass render_opts.helper_path\"", threads);
}

static int render_check_opts(const struct render_opts *o, struct render_result *r)
{
	if (o->max_pages < 1 || o->max_pages > RENDER_PAGES_MAX || o->timeout_ms < 1 ||
		o->cpu_seconds < 1 || o->mem_bytes < ((size_t)16 << 20) || o->workers < 1 ||
		o->workers > SANDBOX_KIDS_MAX ||
		(unsigned)o->coding > RENDER_CODING_MMR) {
		render_set_fail(r, RENDER_E_USAGE, "option out of range");
		return -1;
	}
	const char *s[] = {o->cover_subject, o->cover_text, o->from, o->to, o->header};
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		if (s[i] && strlen(s[i]) > COVER_STR_MAX) {
			render_set_fail(r, RENDER_E_USAGE, "cover or header text longer than %d bytes",
				COVER_STR_MAX);
			return -1;
		}
	}
	return 0;
}

int render_documents(const char *const *inputs, size_t n, const char *out_tif,
	const struct render_opts *o, struct render_result *r)
{
	struct render_opts defaults;
	if (!o) {
		render_opts_init(&defaults);
		o = &defaults;
	}
	render_result_init(r);
	if (n == 0 || n > RENDER_INPUTS_MAX || !out_tif || !inputs) {
		render_set_fail(r, RENDER_E_USAGE, "between 1 and %d documents", RENDER_INPUTS_MAX);
		return -1;
	}
	if (render_check_opts(o, r) < 0)
		return -1;
	render_warn_fork(o);
	int yres = o->fine ? RENDER_YRES_FINE : RENDER_YRES_STANDARD;
	int cover = o->cover || o->cover_subject || o->cover_text || o->from || o->to;
	int64_t date = o->date_ms ? o->date_ms : time_now_ms();
	/* Fonts are read (before any fork) only when something draws text:
	 * a text document, the cover page or the header line. */
	struct font_data fd;
	memset(&fd, 0, sizeof(fd));
	int have_fonts = 0;
	char err[256];
	char jid[300];
	log_quote(o->log_id ? o->log_id : "-", jid, sizeof(jid));
	int np = o->workers;
	int *tmp = xcalloc(n * (size_t)np, sizeof(int)); /* page streams, doc i part p at i*np+p */
	int *count = xcalloc(n * (size_t)np, sizeof(int));
	for (size_t i = 0; i < n * (size_t)np; i++)
		tmp[i] = -1;
	struct fonts *fonts = NULL;
	struct tiffw *tw = NULL;
	char *part = NULL;
	int total = cover, rc = -1;

	/* 1. Every document to a page stream, each in its own child. */
	for (size_t i = 0; i < n; i++) {
		r->doc_index = (int)i;
		int budget = o->max_pages - total;
		uint8_t *data;
		size_t len;
		if (render_read_file(inputs[i], &data, &len, r) < 0)
			goto out;
		enum render_type type = render_sniff(data, len);
		if (type == RENDER_TYPE_UNKNOWN) {
			free(data);
			render_set_fail(r, len ? RENDER_E_UNSUPPORTED : RENDER_E_EMPTY,
				"document %zu is not PDF, TIFF, PNG, JPEG or UTF-8 text", i + 1);
			goto out;
		}
		if (budget < 1) {
			free(data);
			render_set_fail(r, RENDER_E_TOO_MANY_PAGES, "page cap %d reached before document %zu",
				o->max_pages, i + 1);
			goto out;
		}
		if (type == RENDER_TYPE_TEXT && !have_fonts) {
			if (font_data_load(&fd, o->font_dir, err, sizeof(err)) < 0) {
				free(data);
				render_set_fail(r, RENDER_E_INTERNAL, "%s", err);
				goto out;
			}
			have_fonts = 1;
		}
		int *t = &tmp[i * (size_t)np];
		struct raster_job job[SANDBOX_KIDS_MAX];
		void *args[SANDBOX_KIDS_MAX];
		for (int p = 0; p < np; p++) {
			t[p] = render_tmpfile(out_tif);
			if (t[p] < 0) {
				free(data);
				render_set_fail(r, RENDER_E_IO, "cannot create a temporary file: %s",
					strerror(errno));
				goto out;
			}
			job[p] = (struct raster_job){data, len, type, yres, budget, o->mem_bytes, &fd, t[p], p, np};
			args[p] = &job[p];
		}
		struct sandbox_limits lim;
		render_limits(o, &lim);
		lim.max_pages = budget;
		struct sandbox_out so[SANDBOX_KIDS_MAX];
		int64_t t0 = time_mono_ns();
		int src;
		if (o->helper_path) {
			/* The children execute the helper: the job (document, and
			 * fonts for a text document) goes in a sealed memfd. */
			struct helper_job h;
			memset(&h, 0, sizeof(h));
			h.op = HELPER_OP_RASTER;
			h.type = (int32_t)type;
			h.yres = yres;
			h.nparts = np;
			src = helper_run(o->helper_path, &h, &data, len,
				type == RENDER_TYPE_TEXT ? &fd : NULL, np, t, &lim, so, r);
		} else {
			src = sandbox_run_n(np, raster_child, args, t, &lim, so, r);
		}
		free(data);
		if (src < 0) {
			log_event(LOG_INFO, "render_fail", "job=%s doc=%zu type=%s reason=%s", jid, i + 1,
				render_type_name(type), render_fail_code(r->fail));
			goto out;
		}
		/* The shares must agree on the document and add up to it. */
		int sum = 0, agree = 1;
		for (int p = 0; p < np; p++) {
			count[i * (size_t)np + p] = so[p].pages;
			sum += so[p].pages;
			agree &= so[p].pages >= 0 && so[p].info[0] == so[0].info[0];
		}
		if (!agree || sum < 1 || sum != so[0].info[0]) {
			render_set_fail(r, RENDER_E_CRASH, "renderer processes disagree on the pages");
			goto out;
		}
		total += sum;
		log_event(LOG_DEBUG, "render_doc", "job=%s doc=%zu type=%s pages=%d ms=%lld", jid, i + 1,
			render_type_name(type), sum, (long long)((time_mono_ns() - t0) / 1000000));
	}
	r->doc_index = -1;

	/* 2. Compose: cover, then every page with its header line. */
	if ((cover || o->header) && !have_fonts) {
		if (font_data_load(&fd, o->font_dir, err, sizeof(err)) < 0) {
			render_set_fail(r, RENDER_E_INTERNAL, "%s", err);
			goto out;
		}
		have_fonts = 1;
	}
	if (have_fonts) {
		fonts = fonts_new(&fd);
		if (!fonts) {
			render_set_fail(r, RENDER_E_INTERNAL, "cannot load fonts");
			goto out;
		}
	}
	int pfd = render_create_part(out_tif, &part);
	if (pfd < 0) {
		render_set_fail(r, RENDER_E_IO, "cannot create a file next to %s: %s", out_tif,
			strerror(errno));
		goto out;
	}
	tw = tiffw_open_fd(pfd, part, o->coding, yres, err, sizeof(err));
	if (!tw) {
		render_set_fail(r, RENDER_E_IO, "%s", err);
		goto out;
	}
	int pageno = 0;
	if (cover) {
		struct bitmap *b = cover_page(fonts, yres, o, date, total);
		if (o->header)
			cover_draw_header(fonts, b, yres, o->lang, date, o->header, 1, total);
		int wrc = tiffw_page(tw, b, pageno++, total);
		bitmap_free(b);
		if (wrc < 0) {
			render_set_fail(r, RENDER_E_IO, "cannot write %s", out_tif);
			goto out;
		}
	}
	for (size_t q = 0; q < n * (size_t)np; q++) {
		/* The stream is mapped, not read: pages are used where they lie
		 * (private mapping: the header line's writes stay ours). */
		struct stat st;
		if (fstat(tmp[q], &st) != 0 || st.st_size < 0) {
			render_set_fail(r, RENDER_E_IO, "cannot read the page stream");
			goto out;
		}
		size_t mlen = (size_t)st.st_size;
		uint8_t *map = NULL;
		if (mlen > 0) {
			map = mmap(NULL, mlen, PROT_READ | PROT_WRITE, MAP_PRIVATE, tmp[q], 0);
			if (map == MAP_FAILED) {
				render_set_fail(r, RENDER_E_IO, "cannot map the page stream: %s", strerror(errno));
				goto out;
			}
		}
		size_t off = 0;
		int bad = 0;
		for (int k = 0;; k++) {
			struct bitmap view;
			int got = bitmap_stream_next(map, mlen, &off, RENDER_WIDTH,
				yres * BITMAP_PAGE_INCHES_MAX, &view);
			if (got == 0 && k == count[q])
				break;
			if (got <= 0 || k >= count[q]) {
				bad = RENDER_E_CRASH;
				break;
			}
			if (o->header)
				cover_draw_header(fonts, &view, yres, o->lang, date, o->header, pageno + 1, total);
			if (tiffw_page(tw, &view, pageno++, total) < 0) {
				bad = RENDER_E_IO;
				break;
			}
		}
		if (map)
			munmap(map, mlen);
		if (bad == RENDER_E_CRASH) {
			r->doc_index = (int)(q / (size_t)np);
			render_set_fail(r, RENDER_E_CRASH, "malformed page stream from the renderer");
			goto out;
		}
		if (bad) {
			render_set_fail(r, RENDER_E_IO, "cannot write %s", out_tif);
			goto out;
		}
	}
	int crc = tiffw_close(tw);
	tw = NULL;
	if (crc < 0 || rename(part, out_tif) != 0) {
		render_set_fail(r, RENDER_E_IO, "cannot write %s", out_tif);
		goto out;
	}
	r->pages = total;
	r->width = RENDER_WIDTH;
	r->xres = RENDER_XRES;
	r->yres = yres;
	r->fail = RENDER_OK;
	r->detail[0] = 0;
	rc = 0;
out:
	if (tw)
		tiffw_close(tw);
	if (rc < 0 && part)
		unlink(part);
	free(part);
	for (size_t i = 0; i < n * (size_t)np; i++)
		if (tmp[i] >= 0)
			close(tmp[i]);
	free(tmp);
	free(count);
	fonts_free(fonts);
	font_data_free(&fd);
	return rc;
}

int render_to_tiff(const char *const *inputs, size_t n, const char *out_tif, int fine,
	int *pages, char *err, size_t errlen)
{
	struct render_opts o;
	struct render_result r;
	render_opts_init(&o);
	o.fine = fine;
	if (render_documents(inputs, n, out_tif, &o, &r) < 0) {
		if (err && errlen) {
			if (r.doc_index >= 0)
				snprintf(err, errlen, "document %d: %s", r.doc_index + 1,
					render_fail_message(r.fail, RENDER_LANG_EN));
			else
				snprintf(err, errlen, "%s", render_fail_message(r.fail, RENDER_LANG_EN));
		}
		return -1;
	}
	if (pages)
		*pages = r.pages;
	return 0;
}
