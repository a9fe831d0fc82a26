/* Text into page bitmaps with FreeType (monochrome hinting, separate
 * horizontal and vertical resolutions so 204x98 glyphs keep their shape),
 * UTF-8 decoding, and the layout of plain-text documents into pages. */
#ifndef FV_RENDER_TEXTDRAW_H
#define FV_RENDER_TEXTDRAW_H

#include <stddef.h>
#include <stdint.h>

#include "bitmap.h"

enum font_face { FONT_SANS = 0, FONT_BOLD, FONT_MONO, FONT_COUNT_ };

/* The font files, read into memory by the parent before any fork, so a
 * sandboxed child never opens a file. */
struct font_data {
	uint8_t *bytes[FONT_COUNT_];
	size_t len[FONT_COUNT_];
};

/* Reads DejaVuSans, DejaVuSans-Bold and DejaVuSansMono from dir (NULL: the
 * fonts-dejavu-core directory). 0, or -1 with a reason in err. Free with
 * font_data_free (NULL-safe on the struct's members). */
int font_data_load(struct font_data *fd, const char *dir, char *err, size_t errlen);
void font_data_free(struct font_data *fd);
/* The file of face in dir (NULL: the fonts-dejavu-core directory) into
 * out: 0, or -1 when it does not fit. */
int font_path(const char *dir, enum font_face face, char *out, size_t outlen);
/* The same fonts of dir, read at the first call and kept (never freed) for
 * every later call of the process with the same dir: a renderer that draws
 * a header on every fax does not read 1.7 MB of fonts for each. NULL with a
 * reason in err when they cannot be read (then tried again next time).
 * Thread-safe. */
const struct font_data *font_data_shared(const char *dir, char *err, size_t errlen);

/* A set of FreeType faces over font_data (which must outlive it), owned by
 * the caller and released with fonts_free (NULL-safe). NULL when FreeType
 * rejects a font. A face without bytes is left out: fonts_select fails on
 * it. Not for use by two threads at once. */
struct fonts;
struct fonts *fonts_new(const struct font_data *fd);
void fonts_free(struct fonts *f);
/* The same for a caller that draws again and again (the header line of
 * every fax): a set kept from an earlier job with these fonts (fd must
 * live as long as the process: font_data_shared's), with the glyphs it
 * cached, or a new one. fonts_give puts it back for the next (or frees
 * it when enough are kept). Thread-safe; a set is used by one thread at a
 * time. */
struct fonts *fonts_take(const struct font_data *fd);
void fonts_give(struct fonts *f);
/* Glyphs are cached per size (face, size, resolution) unless turned off
 * here (on by default; the output is the same either way, the tests
 * compare). fonts_ft_loads counts the glyphs asked of FreeType. */
void fonts_set_cache(struct fonts *f, int on);
unsigned long fonts_ft_loads(const struct fonts *f);
/* Selects face and size in points for the resolution xres x yres. 0 / -1. */
int fonts_select(struct fonts *f, enum font_face face, double pt, int xres, int yres);
/* Metrics of the selected face in pixels: ascent and line height (rows). */
int fonts_ascent(struct fonts *f);
int fonts_line_height(struct fonts *f);
/* Width in pixels of utf8[0..n) in the selected face. */
int fonts_measure(struct fonts *f, const char *utf8, size_t n);
/* Draws utf8[0..n) with its baseline at row `baseline`, from x; returns the
 * x after the last glyph. Clipped to the bitmap. */
int fonts_draw(struct fonts *f, struct bitmap *b, int x, int baseline, const char *utf8, size_t n);

/* Next code point of p[0..n): sets *adv (>= 1 when n > 0) and returns the
 * code point, or U+FFFD for an invalid or truncated sequence. Pure. */
uint32_t utf8_next(const uint8_t *p, size_t n, size_t *adv);

/* Plain-text layout: lines wrapped at `cols` characters, tabs to 8, form
 * feed starts a page, `rows` lines per page. For every run of characters
 * calls fn(ctx, page (0-based), row, col, bytes, len) when fn is not NULL.
 * Returns the number of pages (>= 1 for non-empty text, 0 for empty).
 * Pure apart from fn; at most page_cap + 1 pages are laid out, so a caller
 * learns "over the cap" without laying out the rest. */
typedef void (*textdoc_fn)(void *ctx, int page, int row, int col, const uint8_t *s, size_t n);
int textdoc_layout(const uint8_t *p, size_t n, int cols, int rows, int page_cap,
	textdoc_fn fn, void *ctx);

#endif
