/* QR codes as PNG images, for the enrolment screen that an authenticator app
 * scans (libqrencode for the symbol, libpng for the image). Pure: no I/O. */
#ifndef FV_QR_H
#define FV_QR_H

#include <stddef.h>
#include <stdint.h>

#define QR_TEXT_MAX 2048   /* longest text encoded (bytes) */
#define QR_SCALE_MAX 32    /* largest module size in pixels */
#define QR_QUIET 4         /* quiet zone, modules on each side */

/* Encodes text (8-bit mode, error correction M, smallest version that fits)
 * as a black-on-white, 1-bit grayscale PNG: each module scale x scale pixels
 * (1..QR_SCALE_MAX), a QR_QUIET-module white border, so the image is
 * (modules + 2 * QR_QUIET) * scale pixels square. Returns 0 and sets *png
 * (malloc'd, the caller frees it) and *len; -1 on empty, NULL or too long
 * text, bad scale or encoder failure, leaving *png NULL and *len 0. */
int qr_png(const char *text, int scale, uint8_t **png, size_t *len);

/* Modules per side of the symbol qr_png() would draw for text (21..177), or
 * -1 when it cannot be encoded. */
int qr_modules(const char *text);

#endif
