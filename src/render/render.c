/* The renderer's job: documents in, one TIFF-F out, each document opened in
 * a sandboxed child (raster.c), pages composed here with the cover page and
 * header line (cover.c), written by tiffw.c; or, with compose_in_helper, the
 * last document's pages finished by its helper (helper.c) and only written
 * here. */
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
#include <stdbool.h>
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

/* Reads fd to its end into *data, at most RENDER_INPUT_MAX bytes: from
 * offset 0 with pread when positional (the descriptor's own offset left
 * alone), else from where it is (a pipe). what names it in a failure's
 * detail. */
static int read_fd_whole(int fd, bool positional, const char *what, uint8_t **data,
	size_t *len, struct render_result *r)
{
	size_t cap = 0, n = 0;
	uint8_t *buf = NULL;
	for (;;) {
		if (n == cap) {
			if (cap >= RENDER_INPUT_MAX) {
				free(buf);
				render_set_fail(r, RENDER_E_TOO_LARGE, "%s is larger than %u bytes", what,
					RENDER_INPUT_MAX);
				return -1;
			}
			cap = cap ? cap * 2 : 65536;
			buf = xrealloc(buf, cap + 1);
		}
		ssize_t got = positional ? pread(fd, buf + n, cap - n, (off_t)n)
					 : read(fd, buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			free(buf);
			render_set_fail(r, RENDER_E_IO, "cannot read %s: %s", what, strerror(errno));
			return -1;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	if (n > RENDER_INPUT_MAX) {
		free(buf);
		render_set_fail(r, RENDER_E_TOO_LARGE, "%s is larger than %u bytes", what, RENDER_INPUT_MAX);
		return -1;
	}
	*data = buf;
	*len = n;
	return 0;
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
	int rc = read_fd_whole(fd, false, path, data, len, r);
	close(fd);
	return rc;
}

int render_tmpfile(const char *near)
{
	/* In memory first: a new inode on a disk's file system costs more
	 * than the pages (composed one by one and released as they are:
	 * compose_stream_next). */
	int fd = memfd_create("faxvault-render-part", MFD_CLOEXEC);
	if (fd >= 0)
		return fd;
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", near ? near : "/tmp");
	char *slash = strrchr(dir, '/');
	if (slash == dir)
		dir[1] = 0;
	else if (slash)
		*slash = 0;
	else
		snprintf(dir, sizeof(dir), ".");
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
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
	lim->on_page = NULL;
	lim->on_page_ctx = NULL;
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
	const char *s[] = {o->cover_subject, o->cover_text, o->from, o->to, o->header,
		o->header_number};
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		if (s[i] && strlen(s[i]) > COVER_STR_MAX) {
			render_set_fail(r, RENDER_E_USAGE, "cover or header text longer than %d bytes",
				COVER_STR_MAX);
			return -1;
		}
	}
	return 0;
}

/* Whether every page gets a header line. */
static int render_has_header(const struct render_opts *o)
{
	return o->header || o->header_number;
}

/* The output being written: cover, then every page with its header line.
 * The pages of the last document are coded as its renderer reports them,
 * while it renders the next ones (compose_on_page), the others once their
 * document is done. */
struct compose {
	const struct render_opts *o;
	const char *out;    /* the output's path (its part renamed over it), or */
	int out_fd;         /* the caller's descriptor written in place (out NULL) */
	int yres, cover, total;
	int skip_first; /* page 1 of document 1 left out (replace_first_page) */
	int64_t date;
	struct fonts *fonts;
	struct tiffw *tw;
	char *part;
	int pageno;
	/* Streams of the documents rendered before the last: */
	const int *tmp, *count;
	size_t nprev;
	int np;         /* streams per document */
	int last;       /* index of the last document */
	/* The last document's stream, read as it grows: */
	int sfd;
	size_t soff;
	int sdone;
	uint8_t *sbuf;
	size_t scap;
	int total_before;
	int coded;      /* the last document's pages come coded from its helper */
	enum render_fail fail; /* of the composition itself */
	char detail[300];
	int fail_doc;
};

static int compose_failed(struct compose *c, enum render_fail f, int doc, const char *what)
{
	c->fail = f;
	c->fail_doc = doc;
	snprintf(c->detail, sizeof(c->detail), "%s", what);
	return -1;
}

/* Creates the output and writes the cover page; fonts are loaded already. */
static int compose_open(struct compose *c)
{
	char err[256];
	int pfd = c->out ? render_create_part(c->out, &c->part) : dup(c->out_fd);
	if (pfd < 0) {
		snprintf(err, sizeof(err), "cannot create a file next to %s: %s",
			c->out ? c->out : "the output", strerror(errno));
		return compose_failed(c, RENDER_E_IO, -1, err);
	}
	c->tw = tiffw_open_fd(pfd, c->part ? c->part : "(output)", c->o->coding, c->yres, err,
		sizeof(err));
	if (!c->tw)
		return compose_failed(c, RENDER_E_IO, -1, err);
	if (c->cover) {
		struct bitmap *b = cover_page(c->fonts, c->yres, c->o, c->date, c->total);
		if (render_has_header(c->o))
			cover_draw_header(c->fonts, b, c->yres, c->o->lang, c->date, c->o->header,
				c->o->header_number, 1, c->total);
		int wrc = tiffw_page(c->tw, b, c->pageno++, c->total);
		bitmap_free(b);
		if (wrc < 0)
			return compose_failed(c, RENDER_E_IO, -1, "cannot write the output");
	}
	return 0;
}

static int compose_page(struct compose *c, struct bitmap *view)
{
	if (render_has_header(c->o))
		cover_draw_header(c->fonts, view, c->yres, c->o->lang, c->date, c->o->header,
			c->o->header_number, c->pageno + 1, c->total);
	if (tiffw_page(c->tw, view, c->pageno++, c->total) < 0)
		return compose_failed(c, RENDER_E_IO, -1, "cannot write the output");
	return 0;
}

/* Every page of a finished stream, mapped, not read: pages are used where
 * they lie (private mapping: the header line's writes stay ours); the
 * stream is emptied once its pages are written. */
static int compose_stream(struct compose *c, int fd, int count, int doc, int skip)
{
	struct stat st;
	if (fstat(fd, &st) != 0 || st.st_size < 0)
		return compose_failed(c, RENDER_E_IO, -1, "cannot read the page stream");
	size_t mlen = (size_t)st.st_size;
	uint8_t *map = NULL;
	if (mlen > 0) {
		map = mmap(NULL, mlen, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED)
			return compose_failed(c, RENDER_E_IO, -1, "cannot map the page stream");
	}
	size_t off = 0;
	int rc = 0;
	for (int k = 0;; k++) {
		struct bitmap view;
		int got = bitmap_stream_next(map, mlen, &off, RENDER_WIDTH,
			c->yres * BITMAP_PAGE_INCHES_MAX, &view);
		if (got == 0 && k == count)
			break;
		if (got <= 0 || k >= count) {
			rc = compose_failed(c, RENDER_E_CRASH, doc, "malformed page stream from the renderer");
			break;
		}
		if (k == 0 && skip)
			continue;
		if ((rc = compose_page(c, &view)) < 0)
			break;
	}
	if (map)
		munmap(map, mlen);
	/* Consumed: its memory goes back now, not at the job's end. */
	if (rc == 0 && ftruncate(fd, 0) != 0)
		rc = compose_failed(c, RENDER_E_IO, -1, "cannot release the page stream");
	return rc;
}

/* The next page of the last document's stream, read at its offset with
 * pread (the renderer still appends to it: its file offset is shared). */
static int compose_stream_next(struct compose *c, int doc)
{
	uint8_t hdr[16];
	int w, h;
	if (pread(c->sfd, hdr, sizeof(hdr), (off_t)c->soff) != (ssize_t)sizeof(hdr) ||
		bitmap_parse_header(hdr, RENDER_WIDTH, c->yres * BITMAP_PAGE_INCHES_MAX, &w, &h) < 0)
		return compose_failed(c, RENDER_E_CRASH, doc, "malformed page stream from the renderer");
	size_t need = 16 + (size_t)h * (size_t)((w + 7) / 8);
	if (need > c->scap) {
		c->sbuf = xrealloc(c->sbuf, need);
		c->scap = need;
	}
	size_t got = 0;
	while (got < need) {
		ssize_t k = pread(c->sfd, c->sbuf + got, need - got, (off_t)(c->soff + got));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return compose_failed(c, RENDER_E_CRASH, doc,
				"malformed page stream from the renderer");
		got += (size_t)k;
	}
	size_t off = 0;
	struct bitmap view;
	if (bitmap_stream_next(c->sbuf, need, &off, RENDER_WIDTH, c->yres * BITMAP_PAGE_INCHES_MAX,
		&view) != 1)
		return compose_failed(c, RENDER_E_CRASH, doc, "malformed page stream from the renderer");
	/* The page is ours now: its bytes in the stream (a memfd: memory)
	 * are released, so that a long document holds a page or two. */
	fallocate(c->sfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)c->soff, (off_t)need);
	c->soff += need;
	c->sdone++;
	if (doc == 0 && c->skip_first && c->sdone == 1)
		return 0;
	return compose_page(c, &view);
}

/* The next coded page of the last document (compose_in_helper), read at its
 * offset as compose_stream_next reads a page; its shape checked (width,
 * rows, a size within HELPER_CODED_MAX, no data exactly for the page
 * left out), its data written as it is. */
static int compose_coded_next(struct compose *c, int doc)
{
	static const char bad[] = "malformed page stream from the renderer";
	uint8_t hdr[HELPER_CODED_HEADER];
	int w, h;
	size_t len;
	int skip = doc == 0 && c->skip_first && c->sdone == 0;
	if (pread(c->sfd, hdr, sizeof(hdr), (off_t)c->soff) != (ssize_t)sizeof(hdr) ||
		helper_coded_parse(hdr, c->yres * BITMAP_PAGE_INCHES_MAX, &w, &h, &len) < 0 ||
		(len == 0) != skip)
		return compose_failed(c, RENDER_E_CRASH, doc, bad);
	if (len > c->scap) {
		c->sbuf = xrealloc(c->sbuf, len);
		c->scap = len;
	}
	off_t at = (off_t)(c->soff + sizeof(hdr));
	for (size_t got = 0; got < len;) {
		ssize_t k = pread(c->sfd, c->sbuf + got, len - got, at + (off_t)got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return compose_failed(c, RENDER_E_CRASH, doc, bad);
		got += (size_t)k;
	}
	size_t need = sizeof(hdr) + len;
	fallocate(c->sfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)c->soff, (off_t)need);
	c->soff += need;
	c->sdone++;
	if (skip)
		return 0;
	if (tiffw_page_coded(c->tw, w, h, c->sbuf, len, c->pageno++, c->total) < 0)
		return compose_failed(c, RENDER_E_IO, -1, "cannot write the output");
	return 0;
}

/* The last document's next page, as it comes. */
static int compose_last_next(struct compose *c)
{
	return c->coded ? compose_coded_next(c, c->last) : compose_stream_next(c, c->last);
}

/* sandbox_limits.on_page for the last document: on its first page the
 * total is known (cover, documents before, this one's announced pages), so
 * the output is opened and the finished documents written; then each page
 * the renderer reports is coded at once. */
static int compose_on_page(void *ctx, int pages, int done)
{
	struct compose *c = ctx;
	if (!c->tw) {
		int skip = c->last == 0 ? c->skip_first : 0;
		if (pages < 1 + skip)
			return compose_failed(c, RENDER_E_CRASH, c->last, "renderer announced no pages");
		c->total = c->total_before + pages - skip;
		if (compose_open(c) < 0)
			return -1;
		for (size_t q = 0; q < c->nprev; q++)
			if (compose_stream(c, c->tmp[q], c->count[q], (int)(q / (size_t)c->np),
				    q == 0 && c->skip_first) < 0)
				return -1;
	}
	while (c->sdone < done && c->sdone < pages)
		if (compose_last_next(c) < 0)
			return -1;
	return 0;
}

/* render_documents() and render_documents_fd(): the inputs by path
 * (inputs) or by descriptor (in_fds), the output a path (out_tif) or a
 * descriptor (out_fd, out_tif NULL). */
static int render_docs(const char *const *inputs, const int *in_fds, size_t n,
	const char *out_tif, int out_fd, const struct render_opts *o, struct render_result *r)
{
	struct render_opts defaults;
	if (!o) {
		render_opts_init(&defaults);
		o = &defaults;
	}
	render_result_init(r);
	if (n == 0 || n > RENDER_INPUTS_MAX || (!out_tif && out_fd < 0) || (!inputs && !in_fds)) {
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
	const struct font_data *fd = NULL;
	int have_fonts = 0;
	char err[256];
	char jid[300];
	log_quote(o->log_id ? o->log_id : "-", jid, sizeof(jid));
	int np = o->workers;
	int *tmp = xcalloc(n * (size_t)np, sizeof(int)); /* page streams, doc i part p at i*np+p */
	int *count = xcalloc(n * (size_t)np, sizeof(int));
	for (size_t i = 0; i < n * (size_t)np; i++)
		tmp[i] = -1;
	int total = cover, rc = -1;
	/* The last document's pages finished by its helper: the pages drawn
	 * on here are the cover's and the earlier documents'. */
	int coded = o->compose_in_helper && o->helper_path && np == 1 &&
		o->coding == RENDER_CODING_MMR;
	int parent_draws = cover || (render_has_header(o) && (!coded || n > 1));
	struct compose c = {.o = o, .out = out_tif, .out_fd = out_fd, .yres = yres, .cover = cover,
		.date = date, .skip_first = o->replace_first_page ? 1 : 0,
		.tmp = tmp, .count = count, .np = np, .last = (int)n - 1, .sfd = -1, .coded = coded,
		.fail_doc = -1};

	/* Fonts for the cover and header, before anything is rendered. */
	if ((cover || render_has_header(o)) && !have_fonts) {
		if (!(fd = font_data_shared(o->font_dir, err, sizeof(err)))) {
			render_set_fail(r, RENDER_E_INTERNAL, "%s", err);
			goto out;
		}
		have_fonts = 1;
	}

	/* 1. Every document to a page stream, each in its own child. */
	for (size_t i = 0; i < n; i++) {
		r->doc_index = (int)i;
		int budget = o->max_pages - total;
		uint8_t *data;
		size_t len;
		char what[32];
		snprintf(what, sizeof(what), "document %zu", i + 1);
		if (inputs ? render_read_file(inputs[i], &data, &len, r) < 0
			   : read_fd_whole(in_fds[i], true, what, &data, &len, r) < 0)
			goto out;
		enum render_type type = render_sniff(data, len);
		uint8_t *u8;
		size_t u8len;
		if (type == RENDER_TYPE_UNKNOWN && render_text_cp1252(data, len, &u8, &u8len) == 0) {
			/* Text from older systems (Windows-1252, Latin-1), in UTF-8. */
			free(data);
			data = u8;
			len = u8len;
			type = RENDER_TYPE_TEXT;
		}
		if (type == RENDER_TYPE_UNKNOWN) {
			int other = render_text_kind(data, len) == RENDER_TEXT_OTHER;
			free(data);
			render_set_fail(r, !len ? RENDER_E_EMPTY : other ? RENDER_E_TEXT_ENCODING
				: RENDER_E_UNSUPPORTED, other ? "document %zu is text in an encoding other "
				"than UTF-8" : "document %zu is not PDF, TIFF, PNG, JPEG or UTF-8 text", i + 1);
			goto out;
		}
		if (budget < 1) {
			free(data);
			render_set_fail(r, RENDER_E_TOO_MANY_PAGES, "page cap %d reached before document %zu",
				o->max_pages, i + 1);
			goto out;
		}
		if (type == RENDER_TYPE_TEXT && !have_fonts) {
			if (!(fd = font_data_shared(o->font_dir, err, sizeof(err)))) {
				free(data);
				render_set_fail(r, RENDER_E_INTERNAL, "%s", err);
				goto out;
			}
			have_fonts = 1;
		}
		if (i == n - 1 && have_fonts && !c.fonts && parent_draws) {
			c.fonts = fonts_take(fd);
			if (!c.fonts) {
				free(data);
				r->doc_index = -1;
				render_set_fail(r, RENDER_E_INTERNAL, "cannot load fonts");
				goto out;
			}
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
			job[p] = (struct raster_job){data, len, type, yres, budget, o->mem_bytes, fd, t[p], p, np,
				NULL, NULL};
			args[p] = &job[p];
		}
		struct sandbox_limits lim;
		render_limits(o, &lim);
		lim.max_pages = budget;
		if (i == n - 1 && np == 1) {
			/* The last document's pages are coded as they come. */
			c.total_before = total;
			c.nprev = i * (size_t)np;
			c.sfd = t[0];
			lim.on_page = compose_on_page;
			lim.on_page_ctx = &c;
		}
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
			const struct font_data *jfonts = type == RENDER_TYPE_TEXT ? fd : NULL;
			if (i == n - 1 && coded) {
				/* The helper draws the header line of its pages and
				 * codes them: its page numbers follow the cover and
				 * the documents before. */
				h.compose = 1;
				h.header = render_has_header(o);
				h.lang = (int32_t)o->lang;
				h.skip_first = i == 0 ? c.skip_first : 0;
				h.before = total;
				h.date_ms = date;
				snprintf(h.identity, sizeof(h.identity), "%s", o->header ? o->header : "");
				snprintf(h.number, sizeof(h.number), "%s",
					o->header_number ? o->header_number : "");
				/* The header's face, mapped by the helper from its
				 * file: not copied into every job (0.75 MB). */
				if (h.header && !jfonts &&
					font_path(o->font_dir, FONT_SANS, h.font_path, sizeof(h.font_path)) == 0 &&
					h.font_path[0] == '/') {
					h.font_size = fd->len[FONT_SANS];
				} else if (h.header && !jfonts) {
					h.font_path[0] = 0;
					jfonts = fd;
				}
			}
			src = helper_run(o->helper_path, &h, &data, len, jfonts, np, t, &lim, so, r);
		} else {
			src = sandbox_run_n(np, raster_child, args, t, &lim, so, r);
		}
		free(data);
		if (src < 0 && c.fail != RENDER_OK) {
			/* The composition failed and stopped the renderer. */
			r->doc_index = c.fail_doc;
			render_set_fail(r, c.fail, "%s", c.detail);
		}
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
		if (i == 0 && c.skip_first && sum < 2) {
			render_set_fail(r, RENDER_E_USAGE, "the first page of a 1-page document cannot be "
				"replaced");
			goto out;
		}
		total += sum - (i == 0 ? c.skip_first : 0);
		log_event(LOG_DEBUG, "render_doc", "job=%s doc=%zu type=%s pages=%d ms=%lld", jid, i + 1,
			render_type_name(type), sum, (long long)((time_mono_ns() - t0) / 1000000));
	}
	r->doc_index = -1;

	/* 2. Compose what was not composed while rendering: with several
	 * renderer processes per document, everything. */
	if (have_fonts && !c.fonts && parent_draws) {
		c.fonts = fonts_take(fd);
		if (!c.fonts) {
			render_set_fail(r, RENDER_E_INTERNAL, "cannot load fonts");
			goto out;
		}
	}
	if (!c.tw && coded) {
		/* Coded pages are written as they are reported: never here. */
		compose_failed(&c, RENDER_E_CRASH, c.last, "renderer reported no page");
	} else if (!c.tw) {
		c.total = total;
		if (compose_open(&c) < 0)
			goto composed;
		for (size_t q = 0; q < n * (size_t)np; q++)
			if (compose_stream(&c, tmp[q], count[q], (int)(q / (size_t)np),
				    q == 0 && c.skip_first) < 0)
				goto composed;
	} else {
		/* The last document: what the renderer wrote after its last report
		 * was read (nothing, normally), and its pages must all be there. */
		if (c.total != total) {
			compose_failed(&c, RENDER_E_CRASH, c.last, "renderer processes disagree on the pages");
			goto composed;
		}
		while (c.sdone < count[(n - 1) * (size_t)np])
			if (compose_last_next(&c) < 0)
				goto composed;
		uint8_t probe;
		if (pread(c.sfd, &probe, 1, (off_t)c.soff) != 0)
			compose_failed(&c, RENDER_E_CRASH, c.last, "malformed page stream from the renderer");
	}
composed:
	if (c.fail != RENDER_OK) {
		r->doc_index = c.fail_doc;
		render_set_fail(r, c.fail, "%s", c.detail);
		goto out;
	}
	int crc = tiffw_close(c.tw);
	c.tw = NULL;
	if (crc < 0 || (out_tif && rename(c.part, out_tif) != 0)) {
		render_set_fail(r, RENDER_E_IO, "cannot write %s", out_tif ? out_tif : "the output");
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
	if (c.tw)
		tiffw_close(c.tw);
	if (rc < 0 && c.part)
		unlink(c.part);
	free(c.part);
	free(c.sbuf);
	for (size_t i = 0; i < n * (size_t)np; i++)
		if (tmp[i] >= 0)
			close(tmp[i]);
	free(tmp);
	free(count);
	fonts_give(c.fonts);
	return rc;
}

int render_documents(const char *const *inputs, size_t n, const char *out_tif,
	const struct render_opts *o, struct render_result *r)
{
	return render_docs(inputs, NULL, n, out_tif, -1, o, r);
}

int render_documents_fd(const int *inputs, size_t n, int out_fd, const struct render_opts *o,
	struct render_result *r)
{
	return render_docs(NULL, inputs, n, NULL, out_fd, o, r);
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
