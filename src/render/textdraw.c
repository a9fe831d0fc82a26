/* FreeType text drawing, UTF-8 decoding and plain-text page layout. */
#include "textdraw.h"
#include "xalloc.h"

#include <ft2build.h>
#include FT_FREETYPE_H

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FONT_DIR_DEFAULT "/usr/share/fonts/truetype/dejavu"
#define FONT_FILE_MAX (16u << 20)

static const char *const font_files[FONT_COUNT_] = {
	[FONT_SANS] = "DejaVuSans.ttf",
	[FONT_BOLD] = "DejaVuSans-Bold.ttf",
	[FONT_MONO] = "DejaVuSansMono.ttf",
};

int font_path(const char *dir, enum font_face face, char *out, size_t outlen)
{
	if ((unsigned)face >= FONT_COUNT_)
		return -1;
	int n = snprintf(out, outlen, "%s/%s", dir ? dir : FONT_DIR_DEFAULT, font_files[face]);
	return n > 0 && (size_t)n < outlen ? 0 : -1;
}

int font_data_load(struct font_data *fd, const char *dir, char *err, size_t errlen)
{
	memset(fd, 0, sizeof(*fd));
	for (int i = 0; i < FONT_COUNT_; i++) {
		char path[1024];
		font_path(dir, (enum font_face)i, path, sizeof(path));
		FILE *f = fopen(path, "rb");
		if (!f) {
			snprintf(err, errlen, "cannot open font %s", path);
			goto fail;
		}
		uint8_t *buf = NULL;
		size_t len = 0, cap = 0;
		for (;;) {
			if (len == cap) {
				if (cap >= FONT_FILE_MAX)
					break;
				cap = cap ? cap * 2 : 65536;
				buf = xrealloc(buf, cap);
			}
			size_t r = fread(buf + len, 1, cap - len, f);
			if (r == 0)
				break;
			len += r;
		}
		int bad = ferror(f) || len == 0 || len >= FONT_FILE_MAX;
		fclose(f);
		fd->bytes[i] = buf;
		fd->len[i] = len;
		if (bad) {
			snprintf(err, errlen, "cannot read font %s", path);
			goto fail;
		}
	}
	return 0;
fail:
	font_data_free(fd);
	return -1;
}

/* Fonts read once per directory, kept for the life of the process. */
struct font_shared {
	struct font_shared *next;
	char *dir;
	struct font_data fd;
};
static pthread_mutex_t font_shared_mu = PTHREAD_MUTEX_INITIALIZER;
static struct font_shared *font_shared_list;

const struct font_data *font_data_shared(const char *dir, char *err, size_t errlen)
{
	if (!dir)
		dir = FONT_DIR_DEFAULT;
	pthread_mutex_lock(&font_shared_mu);
	struct font_shared *e = font_shared_list;
	while (e && strcmp(e->dir, dir) != 0)
		e = e->next;
	if (!e) {
		struct font_data fd;
		if (font_data_load(&fd, dir, err, errlen) == 0) {
			e = xcalloc(1, sizeof(*e));
			e->dir = xstrdup(dir);
			e->fd = fd;
			e->next = font_shared_list;
			font_shared_list = e;
		}
	}
	pthread_mutex_unlock(&font_shared_mu);
	return e ? &e->fd : NULL;
}

void font_data_free(struct font_data *fd)
{
	for (int i = 0; i < FONT_COUNT_; i++) {
		free(fd->bytes[i]);
		fd->bytes[i] = NULL;
		fd->len[i] = 0;
	}
}

/* ---- Faces and the glyph cache ----
 *
 * Hinting a glyph runs FreeType's TrueType interpreter; the header line of
 * every page, the cover and a text document draw the same few glyphs again
 * and again. So each size selected (face, size, resolution) keeps what
 * FreeType made of each character: the advance a measure gets, and the
 * advance and monochrome bitmap a draw gets (each asked of FreeType the
 * first time it is needed, with the same load flags as without the cache,
 * so the pixels are the same). The face's size is set in FreeType only
 * when a character is not cached yet. */

#define FONT_SIZES_MAX 8
#define FONT_GLYPHS_MAX 2048 /* per size; past it, glyphs are not kept */

enum { GL_MEAS = 1, GL_MEAS_OK = 2, GL_DRAW = 4, GL_DRAW_OK = 8, GL_TAKEN = 0x80 };

struct glyph {
	uint32_t cp;
	uint8_t have;      /* GL_*; 0: free slot */
	int meas_adv, draw_adv;
	int left, top;     /* bitmap_left, bitmap_top */
	int w, rows, pitch;
	uint8_t *bits;     /* rows x pitch, 1 bit a pixel, high bit first */
};

struct fsize {
	int used;
	enum font_face face;
	FT_F26Dot6 pt64;
	unsigned xres, yres;
	int ascent, lh;
	struct glyph *tab; /* open addressing, cap a power of two */
	unsigned cap, count;
};

struct fonts {
	FT_Library lib;
	FT_Face face[FONT_COUNT_];
	FT_Face cur;
	int cache;                   /* glyph cache on (fonts_set_cache) */
	struct fsize size[FONT_SIZES_MAX];
	int cur_size;                /* index in size[], -1: none */
	int applied[FONT_COUNT_];    /* size[] index set in FreeType per face, -1 */
	int next_evict;
	unsigned long ft_loads;      /* glyphs asked of FreeType */
	const struct font_data *fd;  /* for fonts_take/fonts_give */
	struct fonts *pool_next;
};

struct fonts *fonts_new(const struct font_data *fd)
{
	struct fonts *f = xcalloc(1, sizeof(*f));
	if (FT_Init_FreeType(&f->lib) != 0) {
		free(f);
		return NULL;
	}
	for (int i = 0; i < FONT_COUNT_; i++) {
		f->applied[i] = -1;
		if (!fd->bytes[i] || !fd->len[i])
			continue; /* a face left out (fonts_select refuses it) */
		if (FT_New_Memory_Face(f->lib, fd->bytes[i], (FT_Long)fd->len[i], 0, &f->face[i]) != 0) {
			fonts_free(f);
			return NULL;
		}
	}
	f->cur = f->face[FONT_SANS];
	f->cache = 1;
	f->cur_size = -1;
	f->fd = fd;
	return f;
}

static void fsize_clear(struct fsize *z)
{
	for (unsigned i = 0; i < z->cap; i++)
		free(z->tab[i].bits);
	free(z->tab);
	memset(z, 0, sizeof(*z));
}

void fonts_free(struct fonts *f)
{
	if (!f)
		return;
	for (int i = 0; i < FONT_SIZES_MAX; i++)
		fsize_clear(&f->size[i]);
	for (int i = 0; i < FONT_COUNT_; i++)
		if (f->face[i])
			FT_Done_Face(f->face[i]);
	FT_Done_FreeType(f->lib);
	free(f);
}

/* Faces kept between jobs, with their glyph caches: a process that draws
 * a header on every fax does not open the faces and hint the same glyphs
 * again for each. At most FONTS_POOL_MAX are kept idle. */
#define FONTS_POOL_MAX 8
static pthread_mutex_t fonts_pool_mu = PTHREAD_MUTEX_INITIALIZER;
static struct fonts *fonts_pool;
static int fonts_pool_n;

struct fonts *fonts_take(const struct font_data *fd)
{
	pthread_mutex_lock(&fonts_pool_mu);
	struct fonts **pp = &fonts_pool, *f = NULL;
	while (*pp && (*pp)->fd != fd)
		pp = &(*pp)->pool_next;
	if (*pp) {
		f = *pp;
		*pp = f->pool_next;
		f->pool_next = NULL;
		fonts_pool_n--;
	}
	pthread_mutex_unlock(&fonts_pool_mu);
	return f ? f : fonts_new(fd);
}

void fonts_give(struct fonts *f)
{
	if (!f)
		return;
	if (!f->cache) {
		fonts_free(f);
		return;
	}
	pthread_mutex_lock(&fonts_pool_mu);
	if (fonts_pool_n < FONTS_POOL_MAX) {
		f->pool_next = fonts_pool;
		fonts_pool = f;
		fonts_pool_n++;
		f = NULL;
	}
	pthread_mutex_unlock(&fonts_pool_mu);
	fonts_free(f);
}

void fonts_set_cache(struct fonts *f, int on)
{
	f->cache = on ? 1 : 0;
	f->cur_size = -1;
	for (int i = 0; i < FONT_COUNT_; i++)
		f->applied[i] = -1;
}

unsigned long fonts_ft_loads(const struct fonts *f)
{
	return f->ft_loads;
}

/* Sets size k in FreeType for its face (when it is not already). */
static int fsize_apply(struct fonts *f, int k)
{
	struct fsize *z = &f->size[k];
	if (f->applied[z->face] == k)
		return 0;
	f->applied[z->face] = -1;
	if (FT_Set_Char_Size(f->face[z->face], 0, z->pt64, z->xres, z->yres))
		return -1;
	f->applied[z->face] = k;
	return 0;
}

int fonts_select(struct fonts *f, enum font_face face, double pt, int xres, int yres)
{
	if ((unsigned)face >= FONT_COUNT_ || !f->face[face])
		return -1;
	f->cur = f->face[face];
	FT_F26Dot6 pt64 = (FT_F26Dot6)(pt * 64);
	if (!f->cache)
		return FT_Set_Char_Size(f->cur, 0, pt64, (FT_UInt)xres, (FT_UInt)yres) ? -1 : 0;
	for (int k = 0; k < FONT_SIZES_MAX; k++) {
		struct fsize *z = &f->size[k];
		if (z->used && z->face == face && z->pt64 == pt64 && z->xres == (unsigned)xres &&
			z->yres == (unsigned)yres) {
			f->cur_size = k;
			return 0;
		}
	}
	int k = 0;
	while (k < FONT_SIZES_MAX && f->size[k].used)
		k++;
	if (k == FONT_SIZES_MAX) {
		k = f->next_evict;
		f->next_evict = (k + 1) % FONT_SIZES_MAX;
		for (int i = 0; i < FONT_COUNT_; i++)
			if (f->applied[i] == k)
				f->applied[i] = -1;
		fsize_clear(&f->size[k]);
	}
	struct fsize *z = &f->size[k];
	*z = (struct fsize){1, face, pt64, (unsigned)xres, (unsigned)yres, 0, 0, NULL, 0, 0};
	f->cur_size = -1;
	if (fsize_apply(f, k) < 0) {
		z->used = 0;
		return -1;
	}
	z->ascent = (int)((f->cur->size->metrics.ascender + 63) >> 6);
	z->lh = (int)((f->cur->size->metrics.height + 63) >> 6);
	f->cur_size = k;
	return 0;
}

int fonts_ascent(struct fonts *f)
{
	if (f->cur_size >= 0)
		return f->size[f->cur_size].ascent;
	return (int)((f->cur->size->metrics.ascender + 63) >> 6);
}

int fonts_line_height(struct fonts *f)
{
	if (f->cur_size >= 0)
		return f->size[f->cur_size].lh;
	return (int)((f->cur->size->metrics.height + 63) >> 6);
}

/* The cache entry of cp in the selected size, added if there is room;
 * NULL when the cache is off or full. */
static struct glyph *glyph_slot(struct fonts *f, uint32_t cp)
{
	if (f->cur_size < 0)
		return NULL;
	struct fsize *z = &f->size[f->cur_size];
	if (z->cap == 0) {
		z->cap = 64;
		z->tab = xcalloc(z->cap, sizeof(*z->tab));
	}
	unsigned mask = z->cap - 1, i = (cp * 2654435761u) & mask;
	while (z->tab[i].have) {
		if (z->tab[i].cp == cp)
			return &z->tab[i];
		i = (i + 1) & mask;
	}
	if (z->count >= FONT_GLYPHS_MAX)
		return NULL;
	if ((z->count + 1) * 2 > z->cap) {
		/* Grow to keep the table at most half full. */
		struct glyph *old = z->tab;
		unsigned ocap = z->cap;
		z->cap *= 2;
		z->tab = xcalloc(z->cap, sizeof(*z->tab));
		mask = z->cap - 1;
		for (unsigned j = 0; j < ocap; j++) {
			if (!old[j].have)
				continue;
			unsigned q = (old[j].cp * 2654435761u) & mask;
			while (z->tab[q].have)
				q = (q + 1) & mask;
			z->tab[q] = old[j];
		}
		free(old);
		i = (cp * 2654435761u) & mask;
		while (z->tab[i].have)
			i = (i + 1) & mask;
	}
	z->count++;
	z->tab[i].cp = cp;
	z->tab[i].have = GL_TAKEN; /* nothing known of it yet */
	return &z->tab[i];
}

/* FreeType's advance for a measure of cp (load without rendering). */
static int glyph_measure(struct fonts *f, uint32_t cp, int *adv)
{
	struct glyph *g = glyph_slot(f, cp);
	if (g && (g->have & GL_MEAS)) {
		*adv = g->meas_adv;
		return (g->have & GL_MEAS_OK) ? 0 : -1;
	}
	if (f->cur_size >= 0 && fsize_apply(f, f->cur_size) < 0)
		return -1;
	f->ft_loads++;
	int ok = FT_Load_Char(f->cur, cp, FT_LOAD_DEFAULT | FT_LOAD_TARGET_MONO) == 0;
	*adv = ok ? (int)(f->cur->glyph->advance.x >> 6) : 0;
	if (g) {
		g->meas_adv = *adv;
		g->have |= GL_MEAS | (ok ? GL_MEAS_OK : 0);
	}
	return ok ? 0 : -1;
}

/* The rendered glyph of cp: from the cache, or from FreeType into tmp. */
static const struct glyph *glyph_render(struct fonts *f, uint32_t cp, struct glyph *tmp)
{
	struct glyph *g = glyph_slot(f, cp);
	if (g && (g->have & GL_DRAW))
		return (g->have & GL_DRAW_OK) ? g : NULL;
	if (f->cur_size >= 0 && fsize_apply(f, f->cur_size) < 0)
		return NULL;
	f->ft_loads++;
	struct glyph *d = g ? g : tmp;
	if (!g)
		memset(tmp, 0, sizeof(*tmp));
	d->have |= GL_DRAW;
	if (FT_Load_Char(f->cur, cp, FT_LOAD_RENDER | FT_LOAD_MONOCHROME | FT_LOAD_TARGET_MONO) != 0)
		return NULL;
	FT_GlyphSlot s = f->cur->glyph;
	const FT_Bitmap *gb = &s->bitmap;
	d->draw_adv = (int)(s->advance.x >> 6);
	d->left = s->bitmap_left;
	d->top = s->bitmap_top;
	d->w = d->rows = d->pitch = 0;
	if (gb->pixel_mode == FT_PIXEL_MODE_MONO && gb->width > 0 && gb->rows > 0) {
		/* Kept in a buffer of its own (FreeType's is reused by the next
		 * load): the cache's copy, or FreeType's own when not cached. */
		d->w = (int)gb->width;
		d->rows = (int)gb->rows;
		if (g) {
			d->pitch = (d->w + 7) / 8;
			d->bits = xmalloc((size_t)d->rows * (size_t)d->pitch);
			for (int r = 0; r < d->rows; r++)
				memcpy(d->bits + (size_t)r * (size_t)d->pitch,
					gb->buffer + (ptrdiff_t)r * gb->pitch, (size_t)d->pitch);
		} else {
			d->pitch = gb->pitch;
			d->bits = gb->buffer;
		}
	}
	d->have |= GL_DRAW_OK;
	return d;
}

uint32_t utf8_next(const uint8_t *p, size_t n, size_t *adv)
{
	if (n == 0) {
		*adv = 0;
		return 0xfffd;
	}
	uint8_t c = p[0];
	*adv = 1;
	if (c < 0x80)
		return c;
	size_t len;
	uint32_t cp, min;
	if ((c & 0xe0) == 0xc0) {
		len = 2; cp = c & 0x1f; min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3; cp = c & 0x0f; min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		len = 4; cp = c & 0x07; min = 0x10000;
	} else {
		return 0xfffd;
	}
	if (n < len)
		return 0xfffd;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0xfffd;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0xfffd;
	*adv = len;
	return cp;
}

int fonts_measure(struct fonts *f, const char *utf8, size_t n)
{
	const uint8_t *p = (const uint8_t *)utf8;
	long x = 0;
	size_t i = 0, adv;
	while (i < n) {
		uint32_t cp = utf8_next(p + i, n - i, &adv);
		i += adv;
		int a;
		if (glyph_measure(f, cp, &a) == 0)
			x += a;
	}
	return x > 1000000 ? 1000000 : (int)x;
}

int fonts_draw(struct fonts *f, struct bitmap *b, int x, int baseline, const char *utf8, size_t n)
{
	const uint8_t *p = (const uint8_t *)utf8;
	size_t i = 0, adv;
	while (i < n && x < b->w) {
		uint32_t cp = utf8_next(p + i, n - i, &adv);
		i += adv;
		struct glyph tmp;
		const struct glyph *g = glyph_render(f, cp, &tmp);
		if (!g)
			continue;
		int gx = x + g->left, gy = baseline - g->top;
		for (int r = 0; r < g->rows; r++) {
			const uint8_t *src = g->bits + (ptrdiff_t)r * g->pitch;
			for (int c = 0; c < g->w; c++)
				if (src[c >> 3] & (0x80 >> (c & 7)))
					bitmap_set(b, gx + c, gy + r);
		}
		x += g->draw_adv;
	}
	return x;
}

int textdoc_layout(const uint8_t *p, size_t n, int cols, int rows, int page_cap,
	textdoc_fn fn, void *ctx)
{
	if (cols < 1 || rows < 1 || page_cap < 0)
		return 0;
	int page = 0, row = 0, col = 0, used = 0;
	size_t run = 0, runlen = 0;
	int runcol = 0;
	size_t i = 0;
	if (n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
		i = 3;
#define FLUSH() do { if (runlen && fn) fn(ctx, page, row, runcol, p + run, runlen); runlen = 0; } while (0)
#define NEWLINE() do { FLUSH(); col = 0; if (++row == rows) { row = 0; page++; used = 0; } } while (0)
	while (i < n) {
		if (page > page_cap)
			return page_cap + 1;
		size_t adv;
		uint32_t cp = utf8_next(p + i, n - i, &adv);
		size_t at = i;
		i += adv;
		if (cp == '\n') {
			used = 1;
			NEWLINE();
			continue;
		}
		if (cp == '\f') {
			FLUSH();
			page++;
			row = col = used = 0;
			continue;
		}
		if (cp == '\t') {
			FLUSH();
			used = 1;
			col = (col / 8 + 1) * 8;
			if (col >= cols)
				NEWLINE();
			continue;
		}
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
			continue; /* CR, VT, ESC and other controls draw nothing */
		if (col >= cols)
			NEWLINE();
		if (runlen == 0) {
			run = at;
			runcol = col;
		}
		runlen += adv;
		col++;
		used = 1;
	}
	/* A run started on a page past the cap (a wrap on the last character)
	 * is not handed out: the caller only learns "over the cap". */
	if (page > page_cap)
		return page_cap + 1;
	FLUSH();
#undef FLUSH
#undef NEWLINE
	int pages = used || row > 0 ? page + 1 : page;
	if (pages > page_cap)
		return page_cap + 1;
	return pages;
}
