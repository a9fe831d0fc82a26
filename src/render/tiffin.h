/* TIFF (as received by fax) to PDF or PNG over memory: the parts of topdf
 * and preview that parse, exposed so a fuzz target can run them in-process. */
#ifndef FV_RENDER_TIFFIN_H
#define FV_RENDER_TIFFIN_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "sandbox.h"

/* Converts the TIFF data[0..len) into a PDF appended to out (whose ceiling
 * bounds it), reporting pages, facts and failures through c (NULL: none).
 * 0 / -1. Pure apart from libtiff's and the allocator's state. */
int tiffin_topdf_mem(struct sandbox_child *c, const uint8_t *data, size_t len, int max_pages,
	buf_t *out);

/* Page `page` (1-based) of the TIFF data[0..len) as a PNG written to
 * out_fd, reporting through c (NULL: none): 1 bit at the page's width when
 * width is 0 or not smaller, else grey at that width. 0 / -1. */
int tiffin_preview_mem(struct sandbox_child *c, const uint8_t *data, size_t len, int page,
	int width, int out_fd);

/* What a topdf or preview child works on. */
struct tiffin_job {
	const uint8_t *data; /* the TIFF, borrowed */
	size_t len;
	int out_fd;          /* the PDF or PNG goes here */
	int page;            /* preview: 1-based */
	int width;           /* preview: 0 for the page's own width (1 bit), else grey */
	int max_pages;
};

/* sandbox_fn's over a struct tiffin_job (the in-process fork and the helper). */
int tiffin_topdf_child(struct sandbox_child *c, void *job);
int tiffin_preview_child(struct sandbox_child *c, void *job);

#endif
