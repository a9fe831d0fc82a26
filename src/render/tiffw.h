/* TIFF-F writer (RFC 2306 profile): 1-bit min-is-white pages, 1728 wide,
 * one strip per page coded MH, MR or MMR, resolution and page numbers set. */
#ifndef FV_RENDER_TIFFW_H
#define FV_RENDER_TIFFW_H

#include "bitmap.h"
#include "render.h"

struct tiffw;

/* Writes to path (created/truncated). NULL with a reason in err. The handle
 * is owned by the caller and released by tiffw_close or tiffw_abort. */
struct tiffw *tiffw_open(const char *path, enum render_coding coding, int yres, char *err,
	size_t errlen);
/* The same on fd, opened for writing (the handle owns it from now on, even
 * on failure: it is closed). name is for messages. */
struct tiffw *tiffw_open_fd(int fd, const char *name, enum render_coding coding, int yres,
	char *err, size_t errlen);
/* Appends page pageno (0-based) of total. 0 / -1. */
int tiffw_page(struct tiffw *t, const struct bitmap *b, int pageno, int total);
/* Appends page pageno of total, w x h pixels, already coded T.6 (g4[0..len),
 * as g4_encode gives it) by the renderer helper: the same file as
 * tiffw_page with that page's bitmap. MMR writers only. 0 / -1. */
int tiffw_page_coded(struct tiffw *t, int w, int h, const uint8_t *g4, size_t len, int pageno,
	int total);
/* Flushes and closes: 0 / -1. */
int tiffw_close(struct tiffw *t);

#endif
