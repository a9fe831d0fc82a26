/* The cover page and the header line of every sent page, in English or
 * French. Drawn in the parent from our own fonts and the sender's strings. */
#ifndef FV_RENDER_COVER_H
#define FV_RENDER_COVER_H

#include <stdint.h>

#include "bitmap.h"
#include "render.h"
#include "textdraw.h"

/* Rows the header band takes at the top of each page (cleared to white). */
int cover_header_rows(int yres);

/* Draws the header line onto b: date and time (UTC), "From:"/"De :" with
 * identity (the sender's name) and number (the sending number), "Page n/m"
 * (n 1-based, m counting the cover page). identity and number may be NULL
 * or "" (no label when both are). */
void cover_draw_header(struct fonts *f, struct bitmap *b, int yres, enum render_lang lang,
	int64_t date_ms, const char *identity, const char *number, int n, int m);

/* A new cover page (caller frees) for a fax of total pages, cover included. */
struct bitmap *cover_page(struct fonts *f, int yres, const struct render_opts *o, int64_t date_ms,
	int total);

/* Date as text for lang: "2026-11-23 09:30 UTC" / "23/11/2026 09:30 UTC". */
void cover_format_date(int64_t ms, enum render_lang lang, char *out, size_t outlen);

#endif
