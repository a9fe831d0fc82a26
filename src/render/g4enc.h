/* A fast ITU-T T.6 (MMR, "Group 4") encoder for bilevel pages: the coding
 * our TIFF-F pages use by default. libtiff's encoder spent about a third of
 * a text page's rendering time; this one skips white space a machine word
 * at a time. Pure: bits in, bytes out. */
#ifndef FV_RENDER_G4ENC_H
#define FV_RENDER_G4ENC_H

#include <stddef.h>
#include <stdint.h>

/* Encodes h rows of w pixels (1 = black, most significant bit first, rows
 * `stride` bytes apart, stride >= (w + 7) / 8) followed by EOFB, padded to
 * a byte. Returns a buffer owned by the caller (free()) and sets *len. */
uint8_t *g4_encode(const uint8_t *bits, int w, int h, size_t stride, size_t *len);

/* The changing elements of one row of w pixels (as above): the positions
 * whose colour differs from the pixel before (white before the first), in
 * increasing order, then three entries equal to w. c must hold w + 11
 * entries. Returns the number of changes. Pure. */
int g4_row_changes(const uint8_t *line, int w, int *c);

#endif
