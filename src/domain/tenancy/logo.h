/* The header of an image a partner uploads as its logo (pure: no I/O). */
#ifndef FV_LOGO_H
#define FV_LOGO_H

#include <stddef.h>

#define LOGO_BYTES_MAX (256 * 1024) /* the most a logo may weigh */
#define LOGO_DIM_MAX 4096           /* the widest and tallest a logo may be */

/* The type of the image in p[0..n) read from its header, never from a
 * name or a declared type: "image/png" (the signature, then IHDR first
 * with its width and height) or "image/jpeg" (SOI, then markers up to a
 * start-of-frame with its dimensions), with *w and *h set; NULL for
 * anything else, a header cut short, or a side of 0 or over LOGO_DIM_MAX. */
const char *logo_sniff(const unsigned char *p, size_t n, int *w, int *h);

#endif
