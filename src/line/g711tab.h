/* G.711 µ-law and A-law by table, for the media loop: 160 samples each way
 * per call every 20 ms. The tables (64 KiB per law to encode, 256 entries
 * to decode) are built once per process from spandsp's reference
 * conversions, so the result is bit for bit the same; read-only after
 * that, shared by every thread. */
#ifndef FV_LINE_G711TAB_H
#define FV_LINE_G711TAB_H

#include <stddef.h>
#include <stdint.h>

/* Builds the tables (once; thread-safe, cheap when already done). */
void g711tab_init(void);
/* alaw: 1 for A-law (PCMA), 0 for µ-law (PCMU). g711tab_init() first. */
void g711tab_encode(uint8_t *out, const int16_t *in, size_t n, int alaw);
void g711tab_decode(int16_t *out, const uint8_t *in, size_t n, int alaw);

#endif
