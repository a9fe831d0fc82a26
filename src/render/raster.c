/* Rasterizing one document in the renderer child. MuPDF was chosen over
 * Ghostscript: a library with no per-document start-up cost, memory through
 * our allocator (the cap), one API for PDF and images; see docs/render.md. */
#include "raster.h"
#include "bitmap.h"
#include "textdev.h"
#include "thinline.h"

#include <malloc.h>
#include <sys/mman.h>
#include <math.h>
#include <mupdf/fitz.h>
#include <stdio.h>
#include <string.h>

/* ---- Page geometry ---- */

int raster_geometry(double w_pt, double h_pt, int yres, struct raster_geom *g)
{
	memset(g, 0, sizeof(*g));
	if (!(w_pt >= 1 && h_pt >= 1) || !isfinite(w_pt) || !isfinite(h_pt) || w_pt > 1e6 || h_pt > 1e6)
		return -1;
	/* Landscape pages are turned: a fax prints on portrait paper. */
	if (w_pt > h_pt * 1.1) {
		double t = w_pt;
		w_pt = h_pt;
		h_pt = t;
		g->rotate = 1;
	}
	/* Fill the width; a page longer than BITMAP_PAGE_INCHES_MAX (once
	 * scaled) shrinks to fit and is centred. */
	double sx = RENDER_WIDTH / w_pt;
	double sy = sx * yres / RENDER_XRES;
	double rows = ceil(h_pt * sy - 0.01);
	int rows_max = yres * BITMAP_PAGE_INCHES_MAX;
	if (rows > rows_max) {
		double f = rows_max / (h_pt * sy);
		sx *= f;
		sy *= f;
		rows = rows_max;
	}
	if (rows < 1)
		rows = 1;
	g->sx = sx;
	g->sy = sy;
	g->rows = (int)rows;
	g->xoff = (RENDER_WIDTH - w_pt * sx) / 2;
	if (g->xoff < 0)
		g->xoff = 0;
	return 0;
}

void raster_share(int pages, int part, int nparts, int *lo, int *hi)
{
	if (nparts < 1 || part < 0 || part >= nparts || pages < 0) {
		*lo = *hi = 0;
		return;
	}
	*lo = (int)((long long)pages * part / nparts);
	*hi = (int)((long long)pages * (part + 1) / nparts);
}

/* ---- Capped allocator ----
 *
 * MuPDF's allocator in the renderer child: the one place that calls malloc
 * and realloc directly instead of xalloc.h, because saying no is its job.
 * A document that needs more than the cap gets NULL, which MuPDF turns
 * into an error the child reports (RENDER_E_MEMORY); aborting instead
 * would read as a crash. */

struct capalloc {
	size_t used, cap;
	int hit;
};

#define CAP_HDR 16

static void *cap_malloc(void *u, size_t n)
{
	struct capalloc *a = u;
	if (n > a->cap || a->used > a->cap - n) {
		a->hit = 1;
		return NULL;
	}
	uint8_t *p = malloc(n + CAP_HDR);
	if (!p) {
		a->hit = 1;
		return NULL;
	}
	memcpy(p, &n, sizeof(n));
	a->used += n;
	return p + CAP_HDR;
}

static void cap_free(void *u, void *ptr)
{
	struct capalloc *a = u;
	if (!ptr)
		return;
	uint8_t *p = (uint8_t *)ptr - CAP_HDR;
	size_t n;
	memcpy(&n, p, sizeof(n));
	a->used -= n;
	free(p);
}

static void *cap_realloc(void *u, void *ptr, size_t n)
{
	struct capalloc *a = u;
	if (!ptr)
		return cap_malloc(u, n);
	if (n == 0) {
		cap_free(u, ptr);
		return NULL;
	}
	uint8_t *p = (uint8_t *)ptr - CAP_HDR;
	size_t old;
	memcpy(&old, p, sizeof(old));
	if (n > old && (n - old > a->cap || a->used > a->cap - (n - old))) {
		a->hit = 1;
		return NULL;
	}
	uint8_t *q = realloc(p, n + CAP_HDR);
	if (!q) {
		a->hit = 1;
		return NULL;
	}
	memcpy(q, &n, sizeof(n));
	a->used = a->used - old + n;
	return q + CAP_HDR;
}

/* ---- Documents through MuPDF ---- */

static const char *raster_magic(enum render_type t)
{
	switch (t) {
	case RENDER_TYPE_PDF: return "application/pdf";
	case RENDER_TYPE_TIFF: return "image/tiff";
	case RENDER_TYPE_PNG: return "image/png";
	case RENDER_TYPE_JPEG: return "image/jpeg";
	default: return NULL;
	}
}

static void raster_quiet(void *user, const char *msg)
{
	(void)user;
	(void)msg;
}

/* The page sample buffer of the child (one document per process), the
 * allocation it lies in, and how many of its first rows are white: the
 * dithering leaves each page's rows white again (bitmap_dither_gray_wipe),
 * so a page needs no clearing but for rows no earlier page had. */
static unsigned char *raster_samples, *raster_samples_block;
static int raster_white_rows;
/* Our glyph masks of the document (textdev.h), kept from page to page. */
static struct textdev_cache *raster_glyphs;
#define RASTER_HUGE ((uintptr_t)2 << 20)

static unsigned char *job_samples(fz_context *ctx, int rows)
{
	if (!raster_samples) {
		/* Aligned on a huge page and asking for them, where the kernel
		 * has them: a couple of faults per document instead of one per
		 * 4 KiB (an A4 page at 196 dpi fits in two). */
		size_t n = (size_t)RENDER_WIDTH * RENDER_YRES_FINE * BITMAP_PAGE_INCHES_MAX;
		raster_samples_block = fz_malloc(ctx, n + RASTER_HUGE);
		uintptr_t a = ((uintptr_t)raster_samples_block + RASTER_HUGE - 1) & ~(RASTER_HUGE - 1);
		raster_samples = (unsigned char *)a;
		madvise(raster_samples, n & ~(RASTER_HUGE - 1), MADV_HUGEPAGE);
		raster_white_rows = 0;
	}
	if (rows > raster_white_rows) {
		memset(raster_samples + (size_t)raster_white_rows * RENDER_WIDTH, 255,
			(size_t)(rows - raster_white_rows) * RENDER_WIDTH);
		raster_white_rows = rows;
	}
	return raster_samples;
}

/* ---- Thin strokes ----
 *
 * The draw device's stroke_path is replaced by one that draws strokes no
 * wider than a pixel itself (thinline.h) when nothing can change how they
 * are painted: no clip, mask, group or tile open (MuPDF keeps that stack
 * on the device), opaque, a plain colour space. Anything else goes to
 * MuPDF's own. One page at a time per process, hence the static state. */

static struct {
	void (*stroke)(fz_context *, fz_device *, const fz_path *, const fz_stroke_state *,
		fz_matrix, fz_colorspace *, const float *, float, fz_color_params);
	void (*fill_text)(fz_context *, fz_device *, const fz_text *, fz_matrix, fz_colorspace *,
		const float *, float, fz_color_params);
	void (*stroke_text)(fz_context *, fz_device *, const fz_text *, const fz_stroke_state *,
		fz_matrix, fz_colorspace *, const float *, float, fz_color_params);
	struct thin_canvas cv;
} raster_thin;

/* The grey of a colour in a plain colour space (0 black .. 1 white), or
 * -1 for another space. */
static float raster_grey(fz_context *ctx, fz_colorspace *cs, const float *color,
	fz_color_params cp)
{
	if (!cs || !color)
		return -1;
	enum fz_colorspace_type t = fz_colorspace_type(ctx, cs);
	if (t != FZ_COLORSPACE_GRAY && t != FZ_COLORSPACE_RGB && t != FZ_COLORSPACE_BGR &&
		t != FZ_COLORSPACE_CMYK)
		return -1;
	float g = 0;
	fz_convert_color(ctx, cs, color, fz_device_gray(ctx), &g, NULL, cp);
	return g;
}

/* ---- Text thresholded, not screened ----
 *
 * A fax is black and white: text in a colour darker than mid-grey (links,
 * headings, highlighted code) is drawn solid black, as a fax machine's
 * text mode would, instead of screened into dots that break its strokes.
 * Lighter text stays screened (it would vanish otherwise), and so do
 * images and grey fills. Glyphs are drawn without anti-aliasing, so a
 * glyph's pixels are then all black. */

static const float raster_black[FZ_MAX_COLORS];

static void raster_text_colour(fz_context *ctx, fz_colorspace **cs, const float **color,
	fz_color_params cp)
{
	float g = raster_grey(ctx, *cs, *color, cp);
	if (g >= 0 && g < 0.5f) {
		*cs = fz_device_gray(ctx);
		*color = raster_black;
	}
}

static void raster_fill_text(fz_context *ctx, fz_device *dev, const fz_text *text, fz_matrix ctm,
	fz_colorspace *cs, const float *color, float alpha, fz_color_params cp)
{
	raster_text_colour(ctx, &cs, &color, cp);
	raster_thin.fill_text(ctx, dev, text, ctm, cs, color, alpha, cp);
}

static void raster_stroke_text(fz_context *ctx, fz_device *dev, const fz_text *text,
	const fz_stroke_state *st, fz_matrix ctm, fz_colorspace *cs, const float *color, float alpha,
	fz_color_params cp)
{
	raster_text_colour(ctx, &cs, &color, cp);
	raster_thin.stroke_text(ctx, dev, text, st, ctm, cs, color, alpha, cp);
}

static void thin_w_moveto(fz_context *ctx, void *arg, float x, float y)
{
	(void)ctx;
	thin_moveto(arg, x, y);
}

static void thin_w_lineto(fz_context *ctx, void *arg, float x, float y)
{
	(void)ctx;
	thin_lineto(arg, x, y);
}

static void thin_w_curveto(fz_context *ctx, void *arg, float x1, float y1, float x2, float y2,
	float x3, float y3)
{
	(void)ctx;
	thin_curveto(arg, x1, y1, x2, y2, x3, y3);
}

static void thin_w_closepath(fz_context *ctx, void *arg)
{
	(void)ctx;
	thin_closepath(arg);
}

static const fz_path_walker thin_walker = {
	thin_w_moveto, thin_w_lineto, thin_w_curveto, thin_w_closepath, NULL, NULL, NULL, NULL,
};

static void raster_stroke_path(fz_context *ctx, fz_device *dev, const fz_path *path,
	const fz_stroke_state *st, fz_matrix ctm, fz_colorspace *cs, const float *color, float alpha,
	fz_color_params cp)
{
	if (dev->container_len == 0 && alpha >= 1.0f && cs && color &&
		st->linewidth * fz_matrix_max_expansion(ctm) <= THIN_WIDTH_MAX) {
		float g = raster_grey(ctx, cs, color, cp);
		if (g >= 0) {
			double v = g * 255.0 + 0.5;
			uint8_t value = v <= 0 ? 0 : v >= 255 ? 255 : (uint8_t)v;
			const double m[6] = {ctm.a, ctm.b, ctm.c, ctm.d, ctm.e, ctm.f};
			struct thin_stroke ts;
			if (thin_stroke_init(&ts, &raster_thin.cv, value, m, st->dash_list, st->dash_len,
				st->dash_phase) == 0) {
				textdev_grey_write(dev);
				fz_walk_path(ctx, path, &thin_walker, &ts);
				return;
			}
		}
	}
	raster_thin.stroke(ctx, dev, path, st, ctm, cs, color, alpha, cp);
}

/* Page done (1-based) of the document, finished: to job->page_out or the
 * page stream. */
static int raster_emit(const struct raster_job *job, struct bitmap *bm, int done)
{
	return job->page_out ? job->page_out(job->page_arg, bm, done) : bitmap_write_fd(job->out_fd, bm);
}

static int raster_page(fz_context *ctx, fz_document *doc, int i, const struct raster_job *job,
	struct sandbox_child *c)
{
	fz_page *page = NULL;
	fz_pixmap *pix = NULL;
	fz_device *dev = NULL;
	struct bitmap *bm = NULL;
	int rc = 0;
	fz_var(page);
	fz_var(pix);
	fz_var(dev);
	fz_var(bm);
	fz_var(rc);
	fz_try(ctx)
	{
		page = fz_load_page(ctx, doc, i);
		fz_rect b = fz_bound_page(ctx, page);
		struct raster_geom g;
		if (raster_geometry(b.x1 - b.x0, b.y1 - b.y0, job->yres, &g) < 0)
			fz_throw(ctx, FZ_ERROR_GENERIC, "page %d has no usable size", i + 1);
		fz_matrix m = g.rotate ? fz_rotate(90) : fz_identity;
		fz_rect r = fz_transform_rect(b, m);
		m = fz_concat(m, fz_translate(-r.x0, -r.y0));
		m = fz_concat(m, fz_scale((float)g.sx, (float)g.sy));
		m = fz_concat(m, fz_translate((float)g.xoff, 0));
		/* One sample buffer for every page of the document, white
		 * already: no fresh (page-faulting) allocation, no clearing. */
		pix = fz_new_pixmap_with_data(ctx, fz_device_gray(ctx), RENDER_WIDTH, g.rows, NULL, 0,
			RENDER_WIDTH, job_samples(ctx, g.rows));
		dev = fz_new_draw_device(ctx, fz_identity, pix);
		/* Black text painted by us where MuPDF would paint it (each
		 * glyph at the nearest whole pixel: one mask a glyph, not one
		 * per subpixel position), straight into the bilevel page until
		 * something else draws; the colour threshold below goes first. */
		if (!raster_glyphs)
			raster_glyphs = textdev_cache_new(ctx, 1);
		bm = bitmap_new(RENDER_WIDTH, g.rows);
		textdev_attach(ctx, dev, pix, raster_glyphs, bm->bits, (size_t)bm->stride);
		raster_thin.stroke = dev->stroke_path;
		raster_thin.fill_text = dev->fill_text;
		raster_thin.stroke_text = dev->stroke_text;
		raster_thin.cv = (struct thin_canvas){fz_pixmap_samples(ctx, pix), RENDER_WIDTH, g.rows,
			RENDER_WIDTH};
		dev->stroke_path = raster_stroke_path;
		dev->fill_text = raster_fill_text;
		dev->stroke_text = raster_stroke_text;
		/* Nearest-neighbour image scaling: interpolation costs a third of
		 * the time of a scanned page and is lost in the dithering anyway. */
		fz_enable_device_hints(ctx, dev, FZ_DONT_INTERPOLATE_IMAGES);
		fz_run_page(ctx, page, dev, m, NULL);
		fz_close_device(ctx, dev);
		/* A page of black text alone left the grey samples white. */
		if (textdev_grey_used(dev))
			bitmap_dither_gray_wipe(bm, fz_pixmap_samples(ctx, pix), fz_pixmap_width(ctx, pix),
				fz_pixmap_height(ctx, pix), fz_pixmap_stride(ctx, pix));
	}
	fz_always(ctx)
	{
		fz_drop_device(ctx, dev);
		fz_drop_pixmap(ctx, pix);
		fz_drop_page(ctx, page);
	}
	fz_catch(ctx)
	{
		rc = -1;
		raster_white_rows = 0; /* a page left half drawn */
	}
	if (rc == 0) {
		if (raster_emit(job, bm, i + 1) < 0) {
			sandbox_report_fail(c, RENDER_E_IO, "cannot write the page stream");
			rc = -2;
		} else {
			sandbox_report_progress(c, i + 1);
		}
	}
	bitmap_free(bm);
	return rc;
}

/* MuPDF refuses oversized images with an error, not a failed allocation:
 * tell a person "too large" rather than "damaged". */
static enum render_fail raster_reason(const char *msg)
{
	if (msg && (strstr(msg, "too large") || strstr(msg, "overflow") || strstr(msg, "too big")))
		return RENDER_E_TOO_LARGE;
	return RENDER_E_CORRUPT;
}

static int raster_mupdf(struct sandbox_child *c, const struct raster_job *job)
{
	struct capalloc cap = {0, job->mem_bytes, 0};
	fz_alloc_context alloc = {&cap, cap_malloc, cap_realloc, cap_free};
	fz_context *ctx = fz_new_context(&alloc, NULL, job->mem_bytes / 4);
	if (!ctx) {
		sandbox_report_fail(c, RENDER_E_MEMORY, "cannot create the MuPDF context");
		return 1;
	}
	fz_set_error_callback(ctx, raster_quiet, NULL);
	fz_set_warning_callback(ctx, raster_quiet, NULL);
	/* Crisp text and lines (a fax is black and white); images keep their
	 * greys and are dithered. */
	fz_set_text_aa_level(ctx, 0);
	fz_set_graphics_aa_level(ctx, 0);
	fz_document *doc = NULL;
	fz_stream *stm = NULL;
	int rc = 1, stage = 0, pages = 0;
	fz_var(doc);
	fz_var(stm);
	fz_var(stage);
	fz_var(pages);
	fz_try(ctx)
	{
		fz_register_document_handlers(ctx);
		stm = fz_open_memory(ctx, job->data, job->len);
		doc = fz_open_document_with_stream(ctx, raster_magic(job->type), stm);
		stage = 1;
		if (fz_needs_password(ctx, doc) && !fz_authenticate_password(ctx, doc, "")) {
			stage = 2;
			fz_throw(ctx, FZ_ERROR_GENERIC, "password required");
		}
		pages = fz_count_pages(ctx, doc);
		stage = 3;
	}
	fz_catch(ctx)
	{
		if (cap.hit)
			sandbox_report_fail(c, RENDER_E_MEMORY, "memory cap while opening");
		else if (stage == 2)
			sandbox_report_fail(c, RENDER_E_ENCRYPTED, "the PDF needs a password");
		else
			sandbox_report_fail(c, raster_reason(fz_caught_message(ctx)), fz_caught_message(ctx));
		goto out;
	}
	if (pages <= 0) {
		sandbox_report_fail(c, RENDER_E_EMPTY, "no pages");
		goto out;
	}
	if (pages > job->max_pages) {
		char d[96];
		snprintf(d, sizeof(d), "%d pages, cap %d", pages, job->max_pages);
		sandbox_report_fail(c, RENDER_E_TOO_MANY_PAGES, d);
		goto out;
	}
	int lo, hi;
	raster_share(pages, job->part, job->nparts, &lo, &hi);
	sandbox_report_info(c, pages, 0, 0);
	sandbox_report_pages(c, hi - lo);
	for (int i = lo; i < hi; i++) {
		int prc = raster_page(ctx, doc, i, job, c);
		if (prc == -2)
			goto out;
		if (prc < 0) {
			char d[200];
			if (cap.hit) {
				snprintf(d, sizeof(d), "memory cap on page %d", i + 1);
				sandbox_report_fail(c, RENDER_E_MEMORY, d);
			} else {
				const char *msg = fz_caught_message(ctx);
				snprintf(d, sizeof(d), "page %d: %s", i + 1, msg);
				sandbox_report_fail(c, raster_reason(msg), d);
			}
			goto out;
		}
	}
	rc = 0;
out:
	textdev_cache_drop(ctx, raster_glyphs);
	raster_glyphs = NULL;
	fz_drop_document(ctx, doc);
	fz_drop_stream(ctx, stm);
	fz_free(ctx, raster_samples_block);
	raster_samples = raster_samples_block = NULL;
	fz_drop_context(ctx);
	return rc;
}

/* ---- Plain text ---- */

#define TEXT_PT 10.0
#define TEXT_MARGIN_X 82          /* 0.4 in at 204 dpi */
#define TEXT_MARGIN_TOP_IN 0.5
#define TEXT_MARGIN_BOTTOM_IN 0.4

struct textjob {
	const struct raster_job *job;
	int lo, hi;     /* this child's share of the pages */
	struct sandbox_child *c;
	struct fonts *f;
	struct bitmap *bm;
	int page;       /* page of bm */
	int top, lh, adv, ascent, rows;
	int err;
};

static int text_emit(struct textjob *t)
{
	if (t->err)
		return -1;
	if (raster_emit(t->job, t->bm, t->page + 1) < 0) {
		t->err = 1;
		return -1;
	}
	sandbox_report_progress(t->c, t->page + 1);
	memset(t->bm->bits, 0, (size_t)t->bm->h * t->bm->stride);
	t->page++;
	return 0;
}

static void text_run(void *ctx, int page, int row, int col, const uint8_t *s, size_t n)
{
	struct textjob *t = ctx;
	if (page < t->lo || page >= t->hi)
		return;
	while (!t->err && t->page < page)
		text_emit(t);
	if (t->err)
		return;
	fonts_draw(t->f, t->bm, TEXT_MARGIN_X + col * t->adv, t->top + row * t->lh + t->ascent,
		(const char *)s, n);
}

static int raster_text(struct sandbox_child *c, const struct raster_job *job)
{
	struct textjob t;
	memset(&t, 0, sizeof(t));
	t.job = job;
	t.c = c;
	t.f = fonts_new(job->fonts);
	if (!t.f || fonts_select(t.f, FONT_MONO, TEXT_PT, RENDER_XRES, job->yres) < 0) {
		sandbox_report_fail(c, RENDER_E_INTERNAL, "cannot load the text font");
		fonts_free(t.f);
		return 1;
	}
	t.adv = fonts_measure(t.f, "M", 1);
	t.lh = fonts_line_height(t.f);
	t.ascent = fonts_ascent(t.f);
	int h = RASTER_A4_ROWS(job->yres);
	t.top = (int)(TEXT_MARGIN_TOP_IN * job->yres);
	int bottom = (int)(TEXT_MARGIN_BOTTOM_IN * job->yres);
	int cols = (RENDER_WIDTH - 2 * TEXT_MARGIN_X) / (t.adv > 0 ? t.adv : 1);
	t.rows = (h - t.top - bottom) / (t.lh > 0 ? t.lh : 1);
	int pages = textdoc_layout(job->data, job->len, cols, t.rows, job->max_pages, NULL, NULL);
	int rc = 1;
	if (pages <= 0) {
		sandbox_report_fail(c, RENDER_E_EMPTY, "no text");
		goto out;
	}
	if (pages > job->max_pages) {
		char d[96];
		snprintf(d, sizeof(d), "more than %d pages of text", job->max_pages);
		sandbox_report_fail(c, RENDER_E_TOO_MANY_PAGES, d);
		goto out;
	}
	raster_share(pages, job->part, job->nparts, &t.lo, &t.hi);
	sandbox_report_info(c, pages, 0, 0);
	sandbox_report_pages(c, t.hi - t.lo);
	t.bm = bitmap_new(RENDER_WIDTH, h);
	t.page = t.lo;
	if (t.hi > t.lo)
		textdoc_layout(job->data, job->len, cols, t.rows, job->max_pages, text_run, &t);
	while (!t.err && t.page < t.hi)
		text_emit(&t);
	if (t.err) {
		sandbox_report_fail(c, RENDER_E_IO, "cannot write the page stream");
		goto out;
	}
	rc = 0;
out:
	bitmap_free(t.bm);
	fonts_free(t.f);
	return rc;
}

int raster_child(struct sandbox_child *c, void *arg)
{
	const struct raster_job *job = arg;
	/* One short-lived process per document: keep freed page-sized blocks
	 * for reuse instead of unmapping and faulting them in again. */
	mallopt(M_MMAP_THRESHOLD, 64 << 20);
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
	if (job->type == RENDER_TYPE_TEXT)
		return raster_text(c, job);
	if (raster_magic(job->type) == NULL) {
		sandbox_report_fail(c, RENDER_E_UNSUPPORTED, "unknown type");
		return 1;
	}
	return raster_mupdf(c, job);
}
