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

int font_data_load(struct font_data *fd, const char *dir, char *err, size_t errlen)
{
	memset(fd, 0, sizeof(*fd));
	if (!dir)
		dir = FONT_DIR_DEFAULT;
	for (int i = 0; i < FONT_COUNT_; i++) {
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s", dir, font_files[i]);
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

struct fonts {
	FT_Library lib;
	FT_Face face[FONT_COUNT_];
	FT_Face cur;
};

struct fonts *fonts_new(const struct font_data *fd)
{
	struct fonts *f = xcalloc(1, sizeof(*f));
	if (FT_Init_FreeType(&f->lib) != 0) {
		free(f);
		return NULL;
	}
	for (int i = 0; i < FONT_COUNT_; i++) {
		if (FT_New_Memory_Face(f->lib, fd->bytes[i], (FT_Long)fd->len[i], 0, &f->face[i]) != 0) {
			fonts_free(f);
			return NULL;
		}
	}
	f->cur = f->face[FONT_SANS];
	return f;
}

void fonts_free(struct fonts *f)
{
	if (!f)
		return;
	for (int i = 0; i < FONT_COUNT_; i++)
		if (f->face[i])
			FT_Done_Face(f->face[i]);
	FT_Done_FreeType(f->lib);
	free(f);
}

int fonts_select(struct fonts *f, enum font_face face, double pt, int xres, int yres)
{
	if ((unsigned)face >= FONT_COUNT_)
		return -1;
	f->cur = f->face[face];
	return FT_Set_Char_Size(f->cur, 0, (FT_F26Dot6)(pt * 64), (FT_UInt)xres, (FT_UInt)yres) ? -1 : 0;
}

int fonts_ascent(struct fonts *f)
{
	return (int)((f->cur->size->metrics.ascender + 63) >> 6);
}

int fonts_line_height(struct fonts *f)
{
	return (int)((f->cur->size->metrics.height + 63) >> 6);
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
		if (FT_Load_Char(f->cur, cp, FT_LOAD_DEFAULT | FT_LOAD_TARGET_MONO) == 0)
			x += f->cur->glyph->advance.x >> 6;
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
		if (FT_Load_Char(f->cur, cp, FT_LOAD_RENDER | FT_LOAD_MONOCHROME | FT_LOAD_TARGET_MONO) != 0)
			continue;
		FT_GlyphSlot g = f->cur->glyph;
		const FT_Bitmap *gb = &g->bitmap;
		if (gb->pixel_mode == FT_PIXEL_MODE_MONO) {
			int gx = x + g->bitmap_left, gy = baseline - g->bitmap_top;
			for (unsigned r = 0; r < gb->rows; r++) {
				const uint8_t *src = gb->buffer + (ptrdiff_t)r * gb->pitch;
				for (unsigned c = 0; c < gb->width; c++)
					if (src[c >> 3] & (0x80 >> (c & 7)))
						bitmap_set(b, gx + (int)c, gy + (int)r);
			}
		}
		x += (int)(g->advance.x >> 6);
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
