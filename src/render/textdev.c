/* Black text drawn by us (textdev.h).
 *
 * On a typeset page most of the renderer's time in MuPDF's draw device is
 * its glyph path: a locked, hashed look-up of every glyph in MuPDF's glyph
 * cache with a reference taken and dropped, then the glyph's rectangle
 * intersected with the clip and the pixmap, then its runs painted. For
 * solid black text on a grey page without anti-aliasing that comes down to
 * "set to 0 the pixels of the glyph's mask": our fill_text keeps the masks
 * MuPDF renders (fz_render_glyph_pixmap, the same FreeType call with the
 * same quantised matrix as its draw device) as runs of ink in a table of
 * its own, and stores zeros over each run (stores only: painting with a
 * read-modify-write of words that overlap the glyph before stalls on the
 * previous glyph's stores); or, while nothing else has drawn on the page,
 * sets the runs' bits straight in the bilevel page, which then needs no
 * dithering (textdev_to_grey moves them into the grey page when something
 * else draws). MuPDF's subpixel quantisation is mirrored per span
 * (tquant_*) and checked against fz_subpixel_adjust at every new glyph;
 * with whole pixels (textdev_cache_new), the quantisation MuPDF uses for
 * glyphs of 48 pixels and more (one position, the nearest pixel) is used
 * for every size, and the mask is MuPDF's at that pixel.
 *
 * Where it may do so, exactly:
 * - the text is opaque, in DeviceGray 0 (the renderer turns every dark text
 *   colour into that, raster.c), and DeviceGray is not replaced by a
 *   document's default colour space;
 * - every container open on the device (MuPDF's generic stack) is a clip by
 *   a path that is an axis-aligned rectangle in device space: our clip_path
 *   marks those, whose clip MuPDF's draw device also keeps as a mere
 *   scissor rectangle (no mask pixmap, the page's samples drawn on
 *   directly). Any other clip, mask, group (blend modes, knockout, soft
 *   masks) or tile leaves the text to MuPDF;
 * - the glyph lies wholly inside the page and, under a clip, inside the
 *   clip's rectangle shrunk by TEXTDEV_EDGE pixels (so MuPDF's rounding of
 *   the clip's edges cannot matter); the few glyphs across a clip's edge
 *   go to MuPDF;
 * - the font is a FreeType one (not Type 3), the glyph no larger than
 *   MuPDF caches (past that it fills the outline instead), its mask only
 *   0 and 255 (text anti-aliasing off).
 * Glyphs it cannot draw are handed to MuPDF's fill_text in one text object
 * per call. The unit tests compare the pixels with MuPDF's own drawing. */
#include "textdev.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#define TEXTDEV_GLYPH_MAX 256.0f       /* MuPDF's MAX_GLYPH_SIZE */
#define TEXTDEV_EDGE 2                 /* pixels kept off a clip's edges */
#define TEXTDEV_CACHE_BYTES (8u << 20) /* runs kept, then all dropped */
#define TEXTDEV_RECT 0x74647663        /* container's user mark: our rect clip */
#define TEXTDEV_COORD_MAX 1e6f         /* device coordinates we compute with */
#define TEXTDEV_MATRIX_MAX 30000.0f    /* matrix terms we key (x 65536 in an int) */
#define TEXTDEV_DIM_MAX 65535          /* a glyph's width and height in runs */
#define TEXTDEV_ROW_BITS 57            /* widest glyph kept as rows of bits too */

/* A run of ink: row and first column from the glyph's origin, length. */
struct trun {
	uint16_t r, x, n;
};

/* A glyph: its key, then its runs, in one allocation (one cache line to
 * fetch for most glyphs of a text face). */
struct tglyph {
	fz_font *font;   /* a reference we hold */
	int gid;
	int32_t m[4];    /* the quantised matrix in 1/65536, as MuPDF's key */
	uint8_t qe, qf;
	uint8_t bad;     /* MuPDF's path for this one */
	int x, y;        /* the mask's origin from the glyph's pixel */
	int w, h;
	int nruns;
	/* For the bilevel page, a glyph no wider than TEXTDEV_ROW_BITS also as
	 * one word a row, its first column the top bit (NULL: runs only): a
	 * row is then one 8-byte or, whatever its runs. In the same
	 * allocation, after the runs. */
	const uint64_t *rows;
	struct trun runs[];
};

/* The bytes of a glyph of n runs and h rows of bits (rows: w small
 * enough), and where its rows start. */
static size_t tglyph_rows_at(int n)
{
	size_t at = sizeof(struct tglyph) + (size_t)n * sizeof(struct trun);
	return (at + 7) & ~(size_t)7;
}

static size_t tglyph_size(int n, int h, int rows)
{
	return rows ? tglyph_rows_at(n) + (size_t)h * sizeof(uint64_t)
		    : sizeof(struct tglyph) + (size_t)n * sizeof(struct trun);
}

/* The table's slots are small (a hash and a pointer) so that the table
 * stays in cache; the glyph is only read when the hash matches. */
struct tslot {
	unsigned h;
	struct tglyph *g; /* NULL: free */
};

struct textdev_cache {
	struct tslot *tab; /* open addressing, cap a power of two */
	unsigned cap, count;
	size_t bytes;
	int off;            /* our quantisation disagreed with MuPDF's: all theirs */
	int whole;          /* glyphs at whole pixels (textdev_cache_new) */
	struct textdev_stats st;
};

/* The page being drawn (one at a time per process), and the device's
 * functions we call on: MuPDF's (or whoever wrapped them before us). */
static struct {
	fz_device *dev;
	struct textdev_cache *tc;
	unsigned char *samples;
	int w, h;
	size_t stride;
	int gray_ok;    /* DeviceGray not replaced by a default colour space */
	uint8_t *bits;  /* the page's bilevel rows, while glyphs go there */
	size_t bstride;
	int grey;       /* the grey samples may differ from white */
	int bmin, bmax; /* rows [bmin, bmax) may hold glyph bits */
	fz_device fn;   /* the functions we wrap, as they were */
} tdev;

/* ---- The glyph cache ---- */

struct textdev_cache *textdev_cache_new(fz_context *ctx, int whole_pixels)
{
	struct textdev_cache *tc = fz_malloc_struct(ctx, struct textdev_cache);
	tc->whole = whole_pixels != 0;
	fz_try(ctx)
	{
		tc->cap = 1024;
		tc->tab = fz_malloc_struct_array(ctx, tc->cap, struct tslot);
	}
	fz_catch(ctx)
	{
		fz_free(ctx, tc);
		fz_rethrow(ctx);
	}
	return tc;
}

static void tcache_clear(fz_context *ctx, struct textdev_cache *tc)
{
	for (unsigned i = 0; i < tc->cap; i++) {
		struct tglyph *g = tc->tab[i].g;
		if (!g)
			continue;
		fz_drop_font(ctx, g->font);
		fz_free(ctx, g);
		tc->tab[i].g = NULL;
	}
	tc->count = 0;
	tc->bytes = 0;
}

void textdev_cache_drop(fz_context *ctx, struct textdev_cache *tc)
{
	if (!tc)
		return;
	tcache_clear(ctx, tc);
	fz_free(ctx, tc->tab);
	fz_free(ctx, tc);
}

void textdev_cache_stats(const struct textdev_cache *tc, struct textdev_stats *st)
{
	*st = tc->st;
}

/* The hash of a glyph's key: h, the hash of its font and matrix
 * (tsize_hash), with its glyph and subpixel position. */
static unsigned tsize_hash(const fz_font *font, const int32_t *m)
{
	uint64_t h = (uint64_t)(uintptr_t)font * 0x9e3779b97f4a7c15u;
	for (int i = 0; i < 4; i++)
		h = (h ^ (uint32_t)m[i]) * 0x100000001b3u;
	return (unsigned)(h >> 29);
}

static unsigned tglyph_hash(unsigned h, int gid, unsigned qe, unsigned qf)
{
	/* Mixed down to the low bits, which index the table. */
	uint32_t k = h ^ ((uint32_t)gid << 16 | qe << 8 | qf);
	k ^= k >> 16;
	k *= 0x85ebca6bu;
	k ^= k >> 13;
	k *= 0xc2b2ae35u;
	return k ^ (k >> 16);
}

static int tglyph_same(const struct tglyph *g, const fz_font *font, int gid, const int32_t *m,
	unsigned qe, unsigned qf)
{
	return g->gid == gid && g->qe == qe && g->qf == qf && g->font == font && g->m[0] == m[0] &&
		g->m[1] == m[1] && g->m[2] == m[2] && g->m[3] == m[3];
}

/* Room for one more glyph: the table grown (or, past the byte budget,
 * emptied) when needed. */
static void tcache_reserve(fz_context *ctx, struct textdev_cache *tc)
{
	if (tc->bytes > TEXTDEV_CACHE_BYTES)
		tcache_clear(ctx, tc);
	if ((tc->count + 1) * 2 <= tc->cap)
		return;
	unsigned ncap = tc->cap * 2;
	struct tslot *nt = fz_malloc_struct_array(ctx, ncap, struct tslot);
	for (unsigned i = 0; i < tc->cap; i++) {
		if (!tc->tab[i].g)
			continue;
		unsigned j = tc->tab[i].h & (ncap - 1);
		while (nt[j].g)
			j = (j + 1) & (ncap - 1);
		nt[j] = tc->tab[i];
	}
	fz_free(ctx, tc->tab);
	tc->tab = nt;
	tc->cap = ncap;
}

/* The glyph for pix, a glyph mask from MuPDF (NULL: none), as we keep it:
 * bad when it is not one we paint (grey edges, a colour pixmap, too large),
 * else its runs. Its key and font are the caller's to set. */
static struct tglyph *tglyph_new(fz_context *ctx, fz_pixmap *pix)
{
	/* A mask: one component, its alpha, as the draw device paints glyphs
	 * (a colour pixmap, from a Type 3 font, never comes here). */
	int w = 0, h = 0, n = 0, bad = 1;
	const unsigned char *s = NULL;
	ptrdiff_t ss = 0;
	if (pix && fz_pixmap_components(ctx, pix) == 1 && fz_pixmap_colorants(ctx, pix) == 0) {
		w = fz_pixmap_width(ctx, pix);
		h = fz_pixmap_height(ctx, pix);
		s = fz_pixmap_samples(ctx, pix);
		ss = fz_pixmap_stride(ctx, pix);
		bad = w < 0 || h < 0 || w > TEXTDEV_DIM_MAX || h > TEXTDEV_DIM_MAX;
		for (int r = 0; r < h && !bad; r++)
			for (int c = 0; c < w; c++) {
				unsigned char v = s[r * ss + c];
				if (v != 0 && v != 255) {
					bad = 1; /* grey edges: blending, MuPDF's way */
					break;
				}
				n += v && (c == 0 || !s[r * ss + c - 1]);
			}
	}
	if (bad)
		n = 0;
	int rows = n > 0 && w <= TEXTDEV_ROW_BITS;
	struct tglyph *g = fz_calloc(ctx, 1, tglyph_size(n, h, rows));
	g->bad = (uint8_t)bad;
	if (bad)
		return g;
	g->x = fz_pixmap_x(ctx, pix);
	g->y = fz_pixmap_y(ctx, pix);
	g->w = w;
	g->h = h;
	g->nruns = n;
	int k = 0;
	for (int r = 0; r < h; r++)
		for (int c = 0; c < w;) {
			if (!s[r * ss + c]) {
				c++;
				continue;
			}
			int c0 = c;
			while (c < w && s[r * ss + c])
				c++;
			g->runs[k++] = (struct trun){(uint16_t)r, (uint16_t)c0, (uint16_t)(c - c0)};
		}
	if (rows) {
		uint64_t *rw = (uint64_t *)(void *)((char *)g + tglyph_rows_at(n));
		for (k = 0; k < n; k++) {
			const struct trun *u = &g->runs[k];
			/* Columns [x, x + n) as bits 63 - x down (x + n <= 57). */
			rw[u->r] |= (~UINT64_C(0) >> u->x) & ~(~UINT64_C(0) >> (u->x + u->n));
		}
		g->rows = rw;
	}
	return g;
}

/* The glyph of font/gid with key m (the quantised a..d in 1/65536) and
 * subpixel position qe, qf, hash h, or NULL. */
static const struct tglyph *tcache_find(const struct textdev_cache *tc, const fz_font *font,
	int gid, const int32_t *m, unsigned qe, unsigned qf, unsigned h)
{
	for (unsigned j = h & (tc->cap - 1);; j = (j + 1) & (tc->cap - 1)) {
		const struct tslot *t = &tc->tab[j];
		if (!t->g)
			return NULL;
		if (t->h == h && tglyph_same(t->g, font, gid, m, qe, qf))
			return t->g;
	}
}

/* The same glyph rendered by MuPDF at the (not yet quantised) matrix trm
 * and added. As in MuPDF's own cache, the first matrix with a key is the
 * one rendered. Never NULL; bad set when MuPDF's path must draw it. */
static const struct tglyph *tcache_add(fz_context *ctx, struct textdev_cache *tc, fz_font *font,
	int gid, fz_matrix trm, const int32_t *m, unsigned qe, unsigned qf, unsigned h)
{
	tcache_reserve(ctx, tc);
	fz_pixmap *pix = fz_render_glyph_pixmap(ctx, font, gid, &trm, &fz_infinite_irect, 0);
	tc->st.rendered++;
	struct tglyph *g = NULL;
	fz_var(g);
	fz_try(ctx)
	{
		g = tglyph_new(ctx, pix);
	}
	fz_always(ctx)
	{
		fz_drop_pixmap(ctx, pix);
	}
	fz_catch(ctx)
	{
		fz_rethrow(ctx);
	}
	g->font = fz_keep_font(ctx, font);
	g->gid = gid;
	memcpy(g->m, m, sizeof(g->m));
	g->qe = (uint8_t)qe;
	g->qf = (uint8_t)qf;
	unsigned j = h & (tc->cap - 1);
	while (tc->tab[j].g)
		j = (j + 1) & (tc->cap - 1);
	tc->tab[j] = (struct tslot){h, g};
	tc->count++;
	tc->bytes += tglyph_size(g->nruns, g->h, g->rows != NULL);
	return g;
}

/* ---- Painting ---- */

/* Zeros over p[0..n), with two stores for a run of up to 16 pixels. */
static inline void zero_run(unsigned char *p, unsigned n)
{
	if (n >= 8) {
		const uint64_t z = 0;
		if (n > 16) {
			memset(p, 0, n);
			return;
		}
		memcpy(p, &z, 8);
		memcpy(p + n - 8, &z, 8);
	} else if (n >= 4) {
		const uint32_t z = 0;
		memcpy(p, &z, 4);
		memcpy(p + n - 4, &z, 4);
	} else if (n >= 2) {
		const uint16_t z = 0;
		memcpy(p, &z, 2);
		memcpy(p + n - 2, &z, 2);
	} else {
		*p = 0;
	}
}

/* Black bits (1) over pixels [x, x + n) of a bilevel row, n >= 1. */
static inline void bits_run(uint8_t *row, unsigned x, unsigned n)
{
	unsigned e = x + n - 1, b0 = x >> 3, b1 = e >> 3;
	uint8_t m0 = (uint8_t)(0xffu >> (x & 7)), m1 = (uint8_t)(0xff00u >> ((e & 7) + 1));
	if (b0 == b1) {
		row[b0] |= m0 & m1;
		return;
	}
	row[b0] |= m0;
	for (unsigned b = b0 + 1; b < b1; b++)
		row[b] = 0xff;
	row[b1] |= m1;
}

/* Paints the glyph with its mask's origin at page position (gx, gy),
 * wholly inside the page: as bits in the bilevel page while nothing else
 * has drawn, else as zeros in the grey samples. */
static void tglyph_paint(const struct tglyph *g, int gx, int gy)
{
	if (g->nruns == 0) /* no ink (and maybe off the page) */
		return;
	if (tdev.bits) {
		uint8_t *o = tdev.bits + (size_t)gy * tdev.bstride;
		if (g->rows && (size_t)(gx >> 3) + 8 <= tdev.bstride) {
			/* A row of the glyph, shifted to its first bit, in one
			 * big-endian word (within the page's row: checked). */
			o += (unsigned)gx >> 3;
			unsigned s = (unsigned)gx & 7;
			for (int r = 0; r < g->h; r++, o += tdev.bstride) {
				uint64_t v;
				memcpy(&v, o, 8);
				v |= __builtin_bswap64(g->rows[r] >> s);
				memcpy(o, &v, 8);
			}
		} else {
			for (int k = 0; k < g->nruns; k++) {
				const struct trun *u = &g->runs[k];
				bits_run(o + (size_t)u->r * tdev.bstride, (unsigned)gx + u->x, u->n);
			}
		}
		if (gy < tdev.bmin)
			tdev.bmin = gy;
		if (gy + g->h > tdev.bmax)
			tdev.bmax = gy + g->h;
		return;
	}
	unsigned char *o = tdev.samples + (size_t)gy * tdev.stride + (size_t)gx;
	for (int k = 0; k < g->nruns; k++) {
		const struct trun *u = &g->runs[k];
		zero_run(o + (size_t)u->r * tdev.stride + u->x, u->n);
	}
}

/* Something else is about to draw (or to open what will be drawn over the
 * page later): glyphs painted as bits so far go into the grey samples, so
 * that whatever comes next covers them as it would have, and the rest of
 * the page is drawn in grey. */
static void textdev_to_grey(void)
{
	tdev.grey = 1;
	if (!tdev.bits)
		return;
	for (int y = tdev.bmin; y < tdev.bmax; y++) {
		uint8_t *row = tdev.bits + (size_t)y * tdev.bstride;
		unsigned char *g = tdev.samples + (size_t)y * tdev.stride;
		for (size_t b = 0; b < tdev.bstride; b++) {
			if (!row[b])
				continue;
			for (int k = 0; k < 8; k++)
				if (row[b] & (0x80 >> k))
					g[b * 8 + (size_t)k] = 0;
			row[b] = 0;
		}
	}
	tdev.bits = NULL;
}

void textdev_grey_write(fz_device *dev)
{
	if (dev == tdev.dev)
		textdev_to_grey();
}

int textdev_grey_used(fz_device *dev)
{
	return dev != tdev.dev || tdev.grey;
}

/* ---- The device's functions ---- */

static void textdev_set_default_colorspaces(fz_context *ctx, fz_device *dev,
	fz_default_colorspaces *dcs)
{
	tdev.gray_ok = fz_default_gray(ctx, dcs) == fz_device_gray(ctx);
	tdev.fn.set_default_colorspaces(ctx, dev, dcs);
}

struct rectwalk {
	float x[5], y[5];
	int n;      /* points of the one subpath */
	int moves;  /* movetos seen */
	int rect;   /* a rectto, alone */
	int bad;
};

static void rw_moveto(fz_context *ctx, void *arg, float x, float y)
{
	(void)ctx;
	struct rectwalk *w = arg;
	if (++w->moves > 1 || w->n > 0 || w->rect)
		w->bad = 1;
	else {
		w->x[0] = x;
		w->y[0] = y;
		w->n = 1;
	}
}

static void rw_lineto(fz_context *ctx, void *arg, float x, float y)
{
	(void)ctx;
	struct rectwalk *w = arg;
	if (w->n < 1 || w->n >= 5 || w->rect)
		w->bad = 1;
	else {
		w->x[w->n] = x;
		w->y[w->n] = y;
		w->n++;
	}
}

static void rw_curveto(fz_context *ctx, void *arg, float x1, float y1, float x2, float y2,
	float x3, float y3)
{
	(void)ctx;
	(void)x1;
	(void)y1;
	(void)x2;
	(void)y2;
	(void)x3;
	(void)y3;
	((struct rectwalk *)arg)->bad = 1;
}

static void rw_closepath(fz_context *ctx, void *arg)
{
	(void)ctx;
	(void)arg;
}

static void rw_rectto(fz_context *ctx, void *arg, float x1, float y1, float x2, float y2)
{
	(void)ctx;
	struct rectwalk *w = arg;
	if (w->n > 0 || w->rect)
		w->bad = 1;
	w->rect = 1;
	w->x[0] = x1;
	w->y[0] = y1;
	w->x[1] = x2;
	w->y[1] = y2;
}

static const fz_path_walker rect_walker = {
	rw_moveto, rw_lineto, rw_curveto, rw_closepath, NULL, NULL, NULL, rw_rectto,
};

/* Whether path under ctm is a rectangle with sides along the device's axes
 * (pure): one subpath, a rectangle in user space with its sides along the
 * user axes, and a matrix without shear or rotation other than quarter
 * turns. Then every vertical side has exactly one x in device space, as
 * MuPDF computes it too, so its rasterizer sees two vertical edges of the
 * same height: a rectangle, kept as a scissor. */
static int textdev_is_rect(fz_context *ctx, const fz_path *path, fz_matrix ctm)
{
	if (!((ctm.b == 0 && ctm.c == 0) || (ctm.a == 0 && ctm.d == 0)))
		return 0;
	struct rectwalk w;
	memset(&w, 0, sizeof(w));
	fz_walk_path(ctx, path, &rect_walker, &w);
	if (w.bad)
		return 0;
	if (w.rect)
		return 1;
	if (w.n == 5) {
		if (w.x[4] != w.x[0] || w.y[4] != w.y[0])
			return 0;
		w.n = 4;
	}
	if (w.n != 4)
		return 0;
	/* Sides alternate horizontal and vertical, starting with either. */
	int h0 = w.y[0] == w.y[1] && w.x[1] == w.x[2] && w.y[2] == w.y[3] && w.x[3] == w.x[0];
	int v0 = w.x[0] == w.x[1] && w.y[1] == w.y[2] && w.x[2] == w.x[3] && w.y[3] == w.y[0];
	return h0 || v0;
}

static void textdev_clip_path(fz_context *ctx, fz_device *dev, const fz_path *path, int even_odd,
	fz_matrix ctm, fz_rect scissor)
{
	int rect = textdev_is_rect(ctx, path, ctm);
	if (!rect)
		textdev_to_grey(); /* a mask, drawn over the page at its pop */
	tdev.fn.clip_path(ctx, dev, path, even_odd, ctm, scissor);
	if (rect && dev->container_len > 0)
		dev->container[dev->container_len - 1].user = TEXTDEV_RECT;
}

/* The rectangle [x0, x1) x [y0, y1) of the page where our glyphs may go:
 * the page, or under rectangle clips the last one's (MuPDF's generic stack
 * keeps each clip's bounds intersected with those below) shrunk by
 * TEXTDEV_EDGE. 0 when something else is open: MuPDF draws. */
static int textdev_area(fz_device *dev, int *x0, int *y0, int *x1, int *y1)
{
	*x0 = 0;
	*y0 = 0;
	*x1 = tdev.w;
	*y1 = tdev.h;
	if (dev->container_len == 0)
		return 1;
	for (int i = 0; i < dev->container_len; i++)
		if (dev->container[i].user != TEXTDEV_RECT)
			return 0;
	fz_rect r = dev->container[dev->container_len - 1].scissor;
	if (!(r.x0 <= r.x1 && r.y0 <= r.y1)) { /* empty (or NaN): nothing inside */
		*x1 = *x0;
		return 1;
	}
	float fx0 = ceilf(r.x0) + TEXTDEV_EDGE, fy0 = ceilf(r.y0) + TEXTDEV_EDGE;
	float fx1 = floorf(r.x1) - TEXTDEV_EDGE, fy1 = floorf(r.y1) - TEXTDEV_EDGE;
	if (fx0 > *x0)
		*x0 = fx0 >= (float)tdev.w ? tdev.w : (int)fx0;
	if (fy0 > *y0)
		*y0 = fy0 >= (float)tdev.h ? tdev.h : (int)fy0;
	if (fx1 < *x1)
		*x1 = fx1 <= 0 ? 0 : (int)fx1;
	if (fy1 < *y1)
		*y1 = fy1 <= 0 ? 0 : (int)fy1;
	return 1;
}

/* What fz_subpixel_adjust (MuPDF 1.21) does with a glyph matrix of size
 * size: the subpixel positions kept across and down the baseline (masks)
 * and the offsets added before rounding. The glyphs of a span share it. */
struct tquant {
	int hq, vq;
	float hr, vr;
};

/* One, two or four subpixel positions as size reaches big, big / 2 or
 * neither: the mask on a position in 1/256, and the offset to round. */
static void tquant_level(float size, float big, int *q, float *r)
{
	if (size >= big)
		*q = 0, *r = 0.5f;
	else if (size >= big / 2)
		*q = 128, *r = 0.25f;
	else
		*q = 192, *r = 0.125f;
}

static void tquant_init(struct tquant *q, fz_matrix trm, float size, int whole)
{
	if (whole) { /* one position, the nearest pixel: MuPDF's way from 48 px */
		q->hq = q->vq = 0;
		q->hr = q->vr = 0.5f;
		return;
	}
	int qq, qmin;
	float r, rmin;
	tquant_level(size, 48, &qq, &r);   /* along the baseline */
	tquant_level(size, 8, &qmin, &rmin); /* across it */
	q->hq = q->vq = qq;
	q->hr = q->vr = r;
	if (trm.a == 0 && trm.d == 0)
		q->hq = qmin, q->hr = rmin;
	if (trm.b == 0 && trm.c == 0)
		q->vq = qmin, q->vr = rmin;
}

/* One translation term quantised: the subpixel position, and the pixel the
 * glyph is drawn at (floorf of MuPDF's adjusted term). */
static inline void tquant_term(float t, int mask, float add, unsigned *qv, int *pix)
{
	float v = t + add;
	float p = floorf(v);
	v -= p;
	*qv = (unsigned)((int)(v * 256) & mask);
	*pix = (int)floorf((float)*qv / 256.0f + p);
}

/* Paints the glyphs of text under ctm that lie inside area ([0] x0, [1]
 * y0, [2] x1, [3] y1) and adds the others to *rest (made when first
 * needed) for MuPDF. Not inlined into textdev_fill_text: its fz_try
 * (setjmp) would make every local here a candidate for clobbering. */
__attribute__((noinline)) static void textdev_glyphs(fz_context *ctx, const fz_text *text, fz_matrix ctm, const int *area,
	fz_text **rest)
{
	struct textdev_cache *tc = tdev.tc;
	for (const fz_text_span *span = text->head; span; span = span->next) {
		/* The glyph matrix but for its translation, the same for the
		 * span's glyphs (fz_concat's terms, as the draw device's). */
		fz_matrix tm = span->trm;
		tm.e = tm.f = 0;
		fz_matrix sm = fz_concat(tm, ctm);
		float size = fz_matrix_expansion(sm);
		int ours = !tc->off && fz_font_ft_face(ctx, span->font) != NULL && size > 0 &&
			size <= TEXTDEV_GLYPH_MAX && fabsf(sm.a) < TEXTDEV_MATRIX_MAX &&
			fabsf(sm.b) < TEXTDEV_MATRIX_MAX && fabsf(sm.c) < TEXTDEV_MATRIX_MAX &&
			fabsf(sm.d) < TEXTDEV_MATRIX_MAX;
		struct tquant qz = {0, 0, 0, 0};
		int32_t m[4] = {0, 0, 0, 0};
		unsigned sh = 0;
		if (ours) {
			tquant_init(&qz, sm, size, tc->whole);
			m[0] = (int32_t)(sm.a * 65536);
			m[1] = (int32_t)(sm.b * 65536);
			m[2] = (int32_t)(sm.c * 65536);
			m[3] = (int32_t)(sm.d * 65536);
			sh = tsize_hash(span->font, m);
		}
		for (int i = 0; i < span->len; i++) {
			int gid = span->items[i].gid;
			if (gid < 0)
				continue;
			float x = span->items[i].x, y = span->items[i].y;
			if (ours) {
				/* fz_concat's translation, then the subpixel
				 * position and pixel as fz_subpixel_adjust and the
				 * draw device find them. */
				float e = x * ctm.a + y * ctm.c + ctm.e;
				float f = x * ctm.b + y * ctm.d + ctm.f;
				if (fabsf(e) < TEXTDEV_COORD_MAX && fabsf(f) < TEXTDEV_COORD_MAX) {
					unsigned qe, qf;
					int px, py;
					tquant_term(e, qz.hq, qz.hr, &qe, &px);
					tquant_term(f, qz.vq, qz.vr, &qf, &py);
					unsigned h = tglyph_hash(sh, gid, qe, qf);
					const struct tglyph *g = tcache_find(tc, span->font, gid, m, qe, qf, h);
					if (!g) {
						/* A new glyph: our quantisation checked
						 * against MuPDF's own, then its mask. */
						fz_matrix gm = span->trm;
						gm.e = x;
						gm.f = y;
						fz_matrix trm = fz_concat(gm, ctm);
						int same = trm.e == e && trm.f == f;
						if (tc->whole) {
							/* The mask MuPDF renders at the
							 * pixel itself (subpixel 0). */
							trm.e = (float)px;
							trm.f = (float)py;
						}
						fz_matrix q = trm, sub;
						unsigned char ce, cf;
						fz_subpixel_adjust(ctx, &q, &sub, &ce, &cf);
						if (!same || ce != qe || cf != qf ||
							(int)floorf(q.e) != px || (int)floorf(q.f) != py) {
							tc->off = 1;
							ours = 0;
							goto theirs;
						}
						g = tcache_add(ctx, tc, span->font, gid, trm, m, qe, qf, h);
					}
					if (g->bad)
						goto theirs;
					int gx = px + g->x, gy = py + g->y;
					if (g->nruns == 0 || (gx >= area[0] && gy >= area[1] &&
						gx <= area[2] - g->w && gy <= area[3] - g->h)) {
						tglyph_paint(g, gx, gy);
						tc->st.ours++;
						continue;
					}
				}
			}
theirs:
			if (!*rest)
				*rest = fz_new_text(ctx);
			fz_matrix gm = span->trm;
			gm.e = x;
			gm.f = y;
			fz_show_glyph(ctx, *rest, span->font, gm, gid, span->items[i].ucs, span->wmode,
				span->bidi_level, span->markup_dir, span->language);
			tc->st.theirs++;
		}
	}
}

static void textdev_fill_text(fz_context *ctx, fz_device *dev, const fz_text *text, fz_matrix ctm,
	fz_colorspace *cs, const float *color, float alpha, fz_color_params cp)
{
	int area[4];
	if (!tdev.gray_ok || alpha != 1.0f || cs != fz_device_gray(ctx) || !color || color[0] != 0.0f) {
		textdev_to_grey();
		tdev.fn.fill_text(ctx, dev, text, ctm, cs, color, alpha, cp);
		return;
	}
	if (!textdev_area(dev, &area[0], &area[1], &area[2], &area[3])) {
		for (const fz_text_span *span = text->head; span; span = span->next)
			tdev.tc->st.theirs += (unsigned long)span->len;
		textdev_to_grey();
		tdev.fn.fill_text(ctx, dev, text, ctm, cs, color, alpha, cp);
		return;
	}
	fz_text *rest = NULL;
	fz_var(rest);
	fz_try(ctx)
	{
		textdev_glyphs(ctx, text, ctm, area, &rest);
		if (rest) {
			textdev_to_grey();
			tdev.fn.fill_text(ctx, dev, rest, ctm, cs, color, alpha, cp);
		}
	}
	fz_always(ctx)
	{
		fz_drop_text(ctx, rest);
	}
	fz_catch(ctx)
	{
		fz_rethrow(ctx);
	}
}

/* Every other function that draws, or opens what is drawn over the page
 * later, turns the page to grey first (textdev_to_grey). */
static void w_close_device(fz_context *ctx, fz_device *dev)
{
	if (dev->container_len > 0)
		textdev_to_grey();
	tdev.fn.close_device(ctx, dev);
}

static void w_fill_path(fz_context *ctx, fz_device *dev, const fz_path *path, int even_odd,
	fz_matrix ctm, fz_colorspace *cs, const float *color, float alpha, fz_color_params cp)
{
	textdev_to_grey();
	tdev.fn.fill_path(ctx, dev, path, even_odd, ctm, cs, color, alpha, cp);
}

static void w_stroke_path(fz_context *ctx, fz_device *dev, const fz_path *path,
	const fz_stroke_state *st, fz_matrix ctm, fz_colorspace *cs, const float *color, float alpha,
	fz_color_params cp)
{
	textdev_to_grey();
	tdev.fn.stroke_path(ctx, dev, path, st, ctm, cs, color, alpha, cp);
}

static void w_clip_stroke_path(fz_context *ctx, fz_device *dev, const fz_path *path,
	const fz_stroke_state *st, fz_matrix ctm, fz_rect scissor)
{
	textdev_to_grey();
	tdev.fn.clip_stroke_path(ctx, dev, path, st, ctm, scissor);
}

static void w_stroke_text(fz_context *ctx, fz_device *dev, const fz_text *text,
	const fz_stroke_state *st, fz_matrix ctm, fz_colorspace *cs, const float *color, float alpha,
	fz_color_params cp)
{
	textdev_to_grey();
	tdev.fn.stroke_text(ctx, dev, text, st, ctm, cs, color, alpha, cp);
}

static void w_clip_text(fz_context *ctx, fz_device *dev, const fz_text *text, fz_matrix ctm,
	fz_rect scissor)
{
	textdev_to_grey();
	tdev.fn.clip_text(ctx, dev, text, ctm, scissor);
}

static void w_clip_stroke_text(fz_context *ctx, fz_device *dev, const fz_text *text,
	const fz_stroke_state *st, fz_matrix ctm, fz_rect scissor)
{
	textdev_to_grey();
	tdev.fn.clip_stroke_text(ctx, dev, text, st, ctm, scissor);
}

static void w_fill_shade(fz_context *ctx, fz_device *dev, fz_shade *shd, fz_matrix ctm, float alpha,
	fz_color_params cp)
{
	textdev_to_grey();
	tdev.fn.fill_shade(ctx, dev, shd, ctm, alpha, cp);
}

static void w_fill_image(fz_context *ctx, fz_device *dev, fz_image *img, fz_matrix ctm, float alpha,
	fz_color_params cp)
{
	textdev_to_grey();
	tdev.fn.fill_image(ctx, dev, img, ctm, alpha, cp);
}

static void w_fill_image_mask(fz_context *ctx, fz_device *dev, fz_image *img, fz_matrix ctm,
	fz_colorspace *cs, const float *color, float alpha, fz_color_params cp)
{
	textdev_to_grey();
	tdev.fn.fill_image_mask(ctx, dev, img, ctm, cs, color, alpha, cp);
}

static void w_clip_image_mask(fz_context *ctx, fz_device *dev, fz_image *img, fz_matrix ctm,
	fz_rect scissor)
{
	textdev_to_grey();
	tdev.fn.clip_image_mask(ctx, dev, img, ctm, scissor);
}

static void w_pop_clip(fz_context *ctx, fz_device *dev)
{
	/* The container popped (fz_pop_clip pops MuPDF's stack first) was
	 * one of our rectangles: MuPDF's draw device only drops a scissor. */
	if (dev->container_len < 0 || dev->container_len >= dev->container_cap ||
		dev->container[dev->container_len].user != TEXTDEV_RECT)
		textdev_to_grey();
	tdev.fn.pop_clip(ctx, dev);
}

static void w_begin_mask(fz_context *ctx, fz_device *dev, fz_rect area, int luminosity,
	fz_colorspace *cs, const float *bc, fz_color_params cp)
{
	textdev_to_grey();
	tdev.fn.begin_mask(ctx, dev, area, luminosity, cs, bc, cp);
}

static void w_end_mask(fz_context *ctx, fz_device *dev)
{
	textdev_to_grey();
	tdev.fn.end_mask(ctx, dev);
}

static void w_begin_group(fz_context *ctx, fz_device *dev, fz_rect area, fz_colorspace *cs,
	int isolated, int knockout, int blendmode, float alpha)
{
	textdev_to_grey();
	tdev.fn.begin_group(ctx, dev, area, cs, isolated, knockout, blendmode, alpha);
}

static void w_end_group(fz_context *ctx, fz_device *dev)
{
	textdev_to_grey();
	tdev.fn.end_group(ctx, dev);
}

static int w_begin_tile(fz_context *ctx, fz_device *dev, fz_rect area, fz_rect view, float xstep,
	float ystep, fz_matrix ctm, int id)
{
	textdev_to_grey();
	return tdev.fn.begin_tile(ctx, dev, area, view, xstep, ystep, ctm, id);
}

static void w_end_tile(fz_context *ctx, fz_device *dev)
{
	textdev_to_grey();
	tdev.fn.end_tile(ctx, dev);
}

/* Sets *fp to w (keeping the old one in the saved copy) where dev has one. */
#define TEXTDEV_WRAP(f, w) \
	do { \
		if (dev->f) \
			dev->f = (w); \
	} while (0)

void textdev_attach(fz_context *ctx, fz_device *dev, fz_pixmap *pix, struct textdev_cache *tc,
	uint8_t *bits, size_t bstride)
{
	if (!tc || fz_text_aa_level(ctx) != 0 || fz_pixmap_components(ctx, pix) != 1 ||
		fz_pixmap_alpha(ctx, pix) || fz_pixmap_colorspace(ctx, pix) != fz_device_gray(ctx) ||
		fz_pixmap_x(ctx, pix) != 0 || fz_pixmap_y(ctx, pix) != 0 || !dev->fill_text ||
		!dev->clip_path || !dev->set_default_colorspaces) {
		tdev.dev = NULL;
		return;
	}
	tdev.dev = dev;
	tdev.tc = tc;
	tdev.samples = fz_pixmap_samples(ctx, pix);
	tdev.w = fz_pixmap_width(ctx, pix);
	tdev.h = fz_pixmap_height(ctx, pix);
	tdev.stride = (size_t)fz_pixmap_stride(ctx, pix);
	tdev.gray_ok = 1;
	tdev.bits = bits && bstride >= ((size_t)tdev.w + 7) / 8 ? bits : NULL;
	tdev.bstride = bstride;
	tdev.grey = !tdev.bits;
	tdev.bmin = tdev.h;
	tdev.bmax = 0;
	tdev.fn = *dev;
	dev->fill_text = textdev_fill_text;
	dev->clip_path = textdev_clip_path;
	dev->set_default_colorspaces = textdev_set_default_colorspaces;
	TEXTDEV_WRAP(close_device, w_close_device);
	TEXTDEV_WRAP(fill_path, w_fill_path);
	TEXTDEV_WRAP(stroke_path, w_stroke_path);
	TEXTDEV_WRAP(clip_stroke_path, w_clip_stroke_path);
	TEXTDEV_WRAP(stroke_text, w_stroke_text);
	TEXTDEV_WRAP(clip_text, w_clip_text);
	TEXTDEV_WRAP(clip_stroke_text, w_clip_stroke_text);
	TEXTDEV_WRAP(fill_shade, w_fill_shade);
	TEXTDEV_WRAP(fill_image, w_fill_image);
	TEXTDEV_WRAP(fill_image_mask, w_fill_image_mask);
	TEXTDEV_WRAP(clip_image_mask, w_clip_image_mask);
	TEXTDEV_WRAP(pop_clip, w_pop_clip);
	TEXTDEV_WRAP(begin_mask, w_begin_mask);
	TEXTDEV_WRAP(end_mask, w_end_mask);
	TEXTDEV_WRAP(begin_group, w_begin_group);
	TEXTDEV_WRAP(end_group, w_end_group);
	TEXTDEV_WRAP(begin_tile, w_begin_tile);
	TEXTDEV_WRAP(end_tile, w_end_tile);
}
