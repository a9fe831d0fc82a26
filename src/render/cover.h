/* The cover page and the header line of every sent page, in English or
 * French, drawn from our own fonts and the sender's strings: in the parent,
 * or for the last document's pages in the renderer helper when the caller
 * asks it to compose (render_opts.compose_in_helper). */
#ifndef FV_RENDER_COVER_H
#define FV_RENDER_COVER_H

#include <stdint.h>

#include "bitmap.h"
#include "render.h"
#include "textdraw.h"

/* Rows the header band takes at the top of each page (cleared to white). */
int cover_header_rows(int yres);

/* The bytes of identity and number the header line reads, at most. */
#define COVER_IDENTITY_MAX 200
#define COVER_NUMBER_MAX 40

/* Draws the header line onto b: date and time (UTC), "From:"/"De :" with
 * identity (the sender's name) and number (the sending number), "Page n/m"
 * (n 1-based, m counting the cover page). identity and number may be NULL
 * or "" (no label when both are). */
void cover_draw_header(struct fonts *f, struct bitmap *b, int yres, enum render_lang lang,
	int64_t date_ms, const char *identity, const char *number, int n, int m);

/* The longest prefix of s[0..len) at most width pixels wide in the
 * selected face: len itself when it fits, else the longest prefix that
 * ends before a byte starting a UTF-8 character (0 at least). Linear in
 * len. */
size_t cover_fit(struct fonts *f, const char *s, size_t len, int width);

/* A new cover page (caller frees) for a fax of total pages, cover included. */
struct bitmap *cover_page(struct fonts *f, int yres, const struct render_opts *o, int64_t date_ms,
	int total);

/* Date as text for lang: "2026-11-23 09:30 UTC" / "23/11/2026 09:30 UTC". */
void cover_format_date(int64_t ms, enum render_lang lang, char *out, size_t outlen);

#endif
