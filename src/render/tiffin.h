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

#endif
