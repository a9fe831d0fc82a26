/* Bilevel page bitmaps (1 = black, most significant bit first, the layout of
 * TIFF-F with PhotometricInterpretation min-is-white) and the page stream
 * that carries them from a renderer child to its parent. */
#ifndef FV_RENDER_BITMAP_H
#define FV_RENDER_BITMAP_H

#include <stddef.h>
#include <stdint.h>

#include "render.h"

/* Longest page accepted, in inches: a page is scaled down to fit. */
#define BITMAP_PAGE_INCHES_MAX 17
#define BITMAP_ROWS_MAX (RENDER_YRES_FINE * BITMAP_PAGE_INCHES_MAX)

struct bitmap {
	int w, h;
	int stride;     /* bytes per row */
	uint8_t *bits;  /* h * stride bytes, owned by the bitmap */
};

/* A white w x h bitmap owned by the caller (bitmap_free). Aborts on OOM. */
struct bitmap *bitmap_new(int w, int h);
void bitmap_free(struct bitmap *b);
/* Paints x..x+w, y..y+h (clipped) black (black=1) or white (0). */
void bitmap_fill(struct bitmap *b, int x, int y, int w, int h, int black);
static inline void bitmap_set(struct bitmap *b, int x, int y)
{
	if (x >= 0 && y >= 0 && x < b->w && y < b->h)
		b->bits[(size_t)y * b->stride + (x >> 3)] |= (uint8_t)(0x80 >> (x & 7));
}
static inline int bitmap_get(const struct bitmap *b, int x, int y)
{
	return (b->bits[(size_t)y * b->stride + (x >> 3)] >> (7 - (x & 7))) & 1;
}
/* Ordered dither (clustered-dot 8x8 screen) of an 8-bit gray image (0 black, 255 white)
 * into b at (x0, y0). Pure black and white stay crisp; greys become dots. */
void bitmap_dither_gray(struct bitmap *b, int x0, int y0, const uint8_t *gray, int gw, int gh,
	ptrdiff_t gstride);
/* The same at (0, 0), leaving gray all white (255): only what was not
 * white is written back, so a page buffer drawn into again for the next
 * page needs no clearing (a page of text is mostly white). */
void bitmap_dither_gray_wipe(struct bitmap *b, uint8_t *gray, int gw, int gh, ptrdiff_t gstride);

/* Page stream: per page a 16-byte header ("FVPG", u32 width, u32 rows,
 * u32 0, little-endian) then rows * ceil(width/8) bytes. */
/* Appends b to fd. 0 / -1. */
int bitmap_write_fd(int fd, const struct bitmap *b);
/* Reads the next page of fd: 1 with *out (caller frees), 0 at a clean end,
 * -1 on a malformed stream (a width other than `width`, 0 or more than
 * rows_max rows, short data). Trusts nothing the stream says. */
int bitmap_read_fd(int fd, int width, int rows_max, struct bitmap **out);
/* The same into *b, reusing its storage when it is large enough (*b may
 * be NULL; the caller frees it in the end). 1 / 0 / -1 as above; on -1 the
 * bitmap's content is undefined. */
int bitmap_read_fd_reuse(int fd, int width, int rows_max, struct bitmap **b);
/* The next page of a page stream held in memory (a mapping of the
 * stream's file) at *off: 1 with view pointing into mem (no copy; view
 * owns nothing, never bitmap_free it) and *off advanced, 0 at a clean end,
 * -1 when malformed. Pure. */
int bitmap_stream_next(uint8_t *mem, size_t len, size_t *off, int width, int rows_max,
	struct bitmap *view);
/* Parses a page header (pure; fuzzed): 0 with *w, *h set, -1 when bad. */
int bitmap_parse_header(const uint8_t hdr[16], int width, int rows_max, int *w, int *h);

#endif
