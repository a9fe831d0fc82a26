/* A minimal PDF writer for fax pages: each page is one or more image strips,
 * either CCITT G3/G4 data embedded as is (CCITTFaxDecode) or 1-bit data
 * compressed with Flate. Writes into a bounded buffer; no I/O. */
#ifndef FV_RENDER_PDFW_H
#define FV_RENDER_PDFW_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum pdfw_filter { PDFW_CCITT = 0, PDFW_FLATE };

struct pdfw_strip {
	const uint8_t *data;  /* borrowed for the call */
	size_t len;
	int rows;
	enum pdfw_filter filter;
	int k;                /* CCITT: -1 G4, 0 G3 1D, > 0 G3 2D */
	int byte_align;       /* CCITT EncodedByteAlign */
	int invert;           /* 1: min-is-black data (Decode [1 0]) */
};

struct pdfw;

/* Starts a document in out (whose ceiling bounds the whole PDF). */
struct pdfw *pdfw_begin(buf_t *out);
/* Adds a page of width x (sum of strip rows) pixels at xres x yres dpi.
 * 0 / -1 (buffer ceiling, bad arguments). */
int pdfw_page(struct pdfw *w, int width, double xres, double yres, const struct pdfw_strip *s,
	int nstrips);
/* Writes the page tree, cross-reference table and trailer, frees w. 0 / -1.
 * pdfw_end(NULL) fails. On -1 the buffer holds no valid PDF. */
int pdfw_end(struct pdfw *w);
/* Frees w without finishing (after an error). NULL-safe. */
void pdfw_abort(struct pdfw *w);

#endif
