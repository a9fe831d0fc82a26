/* Black text drawn by us on MuPDF's draw device: the glyphs of solid black
 * text painted from a glyph cache of our own straight into the page (its
 * bilevel rows while nothing else draws, else its grey samples), on the
 * page and inside axis-aligned rectangular clips, where MuPDF's draw
 * device would paint exactly the same pixels. Everything else
 * (other clips, masks, groups, tiles, Type 3 fonts, huge glyphs, any other
 * colour) stays with MuPDF. See docs/render.md, "Text drawn by us". */
#ifndef FV_RENDER_TEXTDEV_H
#define FV_RENDER_TEXTDEV_H

#include <stddef.h>
#include <stdint.h>

#include <mupdf/fitz.h>

/* The glyph bitmaps of one document, kept from page to page (within a
 * byte budget). Created and dropped in the same MuPDF context; holds a
 * reference to each font it has glyphs of. textdev_cache_drop is
 * NULL-safe. textdev_cache_new throws (MuPDF's way) when out of memory.
 *
 * whole_pixels 0: each glyph at MuPDF's subpixel position (up to four
 * across the baseline for text under 24 pixels), the same pixels as
 * MuPDF's draw device. 1: each glyph's origin rounded to the nearest
 * pixel, as MuPDF itself places glyphs from 48 pixels up: one mask per
 * glyph and size instead of up to four (fewer FreeType renderings), each
 * glyph at most one pixel across from where MuPDF draws it (invisible on a
 * 1-bit fax page; the renderer's choice). */
struct textdev_cache;
struct textdev_cache *textdev_cache_new(fz_context *ctx, int whole_pixels);
void textdev_cache_drop(fz_context *ctx, struct textdev_cache *tc);

/* Glyphs of black text painted by us, and handed to MuPDF's own
 * fill_text (under a clip, mask or group we leave to it, or glyphs we do
 * not draw), since the cache was made. */
struct textdev_stats {
	unsigned long ours, theirs;
	unsigned long rendered; /* masks asked of MuPDF (our cache's misses) */
};
void textdev_cache_stats(const struct textdev_cache *tc, struct textdev_stats *st);

/* Puts our fill_text, clip_path and set_default_colorspaces on dev, a draw
 * device made with fz_new_draw_device(ctx, fz_identity, pix) over pix (one
 * grey component, no alpha, at 0,0), with text anti-aliasing off (level 0);
 * anything else leaves dev as it is. Call it before anything is drawn, and
 * before any other wrapping of dev's functions (a wrapper set afterwards
 * calls ours). One page at a time per process: the page's state is
 * static, and belongs to dev until the next call.
 *
 * With bits (the page's bilevel rows, bstride bytes apart, 1 black, white
 * to start with), our glyphs are set there as long as nothing else draws
 * on the page, and pix's samples stay white: the caller then need not
 * dither them (textdev_grey_used). Once anything else is drawn (any other
 * function of the device, text MuPDF draws, a clip other than our
 * rectangles), the glyphs set so far are moved into pix's samples and the
 * rest of the page is drawn there. Without bits (NULL), glyphs go to pix's
 * samples from the start. */
void textdev_attach(fz_context *ctx, fz_device *dev, fz_pixmap *pix, struct textdev_cache *tc,
	uint8_t *bits, size_t bstride);

/* A caller about to draw on pix's samples itself (not through dev's
 * functions) calls this first. */
void textdev_grey_write(fz_device *dev);

/* After fz_close_device: 0 when pix's samples are still white (every
 * glyph is in bits), 1 when they may not be (or textdev is not on dev). */
int textdev_grey_used(fz_device *dev);

#endif
