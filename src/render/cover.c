/* Cover page and header line. */
#include "cover.h"
#include "raster.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define HEADER_PT 8.0
#define COVER_MARGIN_X 164 /* 0.8 in */

int cover_header_rows(int yres)
{
	return yres / 6; /* 1/6 inch */
}

void cover_format_date(int64_t ms, enum render_lang lang, char *out, size_t outlen)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	if (lang == RENDER_LANG_FR)
		strftime(out, outlen, "%d/%m/%Y %H:%M UTC", &tm);
	else
		strftime(out, outlen, "%Y-%m-%d %H:%M UTC", &tm);
}

/* In one pass (cover.h): no character of the decoding straddles a cut
 * before a byte that starts a character (a character's bytes after the
 * first are continuation bytes), so a prefix's width is the sum of the
 * widths of the characters before the cut, each measured alone as
 * fonts_measure() measures it in the whole string. */
size_t cover_fit(struct fonts *f, const char *s, size_t len, int width)
{
	if (len == 0 || fonts_measure(f, s, len) <= width)
		return len;
	const uint8_t *p = (const uint8_t *)s;
	size_t fit = 0, i = 0, adv;
	long w = 0;
	while (i < len) {
		if (i > 0 && (p[i] & 0xc0) != 0x80 && w <= width)
			fit = i;
		utf8_next(p + i, len - i, &adv);
		w += fonts_measure(f, s + i, adv);
		i += adv;
	}
	return fit;
}

void cover_draw_header(struct fonts *f, struct bitmap *b, int yres, enum render_lang lang,
	int64_t date_ms, const char *identity, const char *number, int n, int m)
{
	int band = cover_header_rows(yres);
	bitmap_fill(b, 0, 0, b->w, band, 0);
	if (fonts_select(f, FONT_SANS, HEADER_PT, RENDER_XRES, yres) < 0)
		return;
	char date[64], page[64];
	cover_format_date(date_ms, lang, date, sizeof(date));
	snprintf(page, sizeof(page), "Page %d/%d", n, m);
	int base = (band + fonts_ascent(f)) / 2;
	if (base >= band)
		base = band - 1;
	int x = fonts_draw(f, b, 40, base, date, strlen(date));
	int right = b->w - 40 - fonts_measure(f, page, strlen(page)) - 40;
	size_t ilen = identity ? strnlen(identity, COVER_IDENTITY_MAX) : 0;
	size_t nlen = number ? strnlen(number, COVER_NUMBER_MAX) : 0;
	if (ilen || nlen) {
		/* "From: identity  number": the number is what the law asks for,
		 * so a long identity is cut before it, and nothing runs into the
		 * page number. */
		const char *label = lang == RENDER_LANG_FR ? "De : " : "From: ";
		int ix = fonts_draw(f, b, x + 60, base, label, strlen(label));
		int nw = nlen ? fonts_measure(f, number, nlen) + (ilen ? 30 : 0) : 0;
		if (ilen) {
			size_t fit = cover_fit(f, identity, ilen, right - nw - ix);
			ix = fonts_draw(f, b, ix, base, identity, fit) + (nlen ? 30 : 0);
		}
		if (nlen)
			fonts_draw(f, b, ix, base, number, cover_fit(f, number, nlen, right - ix));
	}
	fonts_draw(f, b, b->w - 40 - fonts_measure(f, page, strlen(page)), base, page, strlen(page));
}

/* Draws text wrapped at word boundaries within [x, right); returns the next
 * baseline. Stops at row `bottom`. */
static int cover_wrap(struct fonts *f, struct bitmap *b, int x, int right, int base, int bottom,
	const char *s)
{
	int lh = fonts_line_height(f);
	const char *p = s;
	while (*p && base < bottom) {
		/* The longest prefix of the paragraph that fits, cut at a space. */
		size_t para = strcspn(p, "\n");
		size_t take = para, lastsp = 0, prev = 0;
		int w = 0;
		for (size_t i = 1; i <= para; i++) {
			if (i < para && ((uint8_t)p[i] & 0xc0) == 0x80)
				continue;
			w += fonts_measure(f, p + prev, i - prev);
			prev = i;
			if (w > right - x) {
				take = lastsp ? lastsp : (i > 1 ? i - 1 : 1);
				while (take > 1 && ((uint8_t)p[take] & 0xc0) == 0x80)
					take--;
				break;
			}
			if (p[i] == ' ')
				lastsp = i;
		}
		fonts_draw(f, b, x, base, p, take);
		base += lh;
		p += take;
		while (*p == ' ')
			p++;
		if (*p == '\n')
			p++;
	}
	return base;
}

struct bitmap *cover_page(struct fonts *f, int yres, const struct render_opts *o, int64_t date_ms,
	int total)
{
	int fr = o->lang == RENDER_LANG_FR;
	int h = RASTER_A4_ROWS(yres);
	struct bitmap *b = bitmap_new(RENDER_WIDTH, h);
	int right = RENDER_WIDTH - COVER_MARGIN_X;
	int y = yres; /* 1 in from the top */
	fonts_select(f, FONT_BOLD, 28, RENDER_XRES, yres);
	y += fonts_ascent(f);
	fonts_draw(f, b, COVER_MARGIN_X, y, fr ? "Télécopie" : "Fax", strlen(fr ? "Télécopie" : "Fax"));
	y += yres / 4;
	bitmap_fill(b, COVER_MARGIN_X, y, right - COVER_MARGIN_X, yres >= 196 ? 4 : 2, 1);
	y += yres / 3;

	char date[64], pages[32];
	cover_format_date(date_ms, o->lang, date, sizeof(date));
	snprintf(pages, sizeof(pages), "%d", total);
	struct {
		const char *label, *value;
	} rows[] = {
		{fr ? "Date :" : "Date:", date},
		{fr ? "À :" : "To:", o->to},
		{fr ? "De :" : "From:", o->from},
		{fr ? "Objet :" : "Subject:", o->cover_subject},
		{fr ? "Pages (avec celle-ci) :" : "Pages (including this one):", pages},
	};
	fonts_select(f, FONT_BOLD, 12, RENDER_XRES, yres);
	int lh = fonts_line_height(f);
	int labelw = 0;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int w = fonts_measure(f, rows[i].label, strlen(rows[i].label));
		if (w > labelw)
			labelw = w;
	}
	int vx = COVER_MARGIN_X + labelw + 40;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (!rows[i].value || !*rows[i].value)
			continue;
		fonts_select(f, FONT_BOLD, 12, RENDER_XRES, yres);
		fonts_draw(f, b, COVER_MARGIN_X, y + fonts_ascent(f), rows[i].label, strlen(rows[i].label));
		fonts_select(f, FONT_SANS, 12, RENDER_XRES, yres);
		int end = cover_wrap(f, b, vx, right, y + fonts_ascent(f), h - yres, rows[i].value);
		y = end - fonts_ascent(f) + lh / 3;
	}
	if (o->cover_text && *o->cover_text) {
		y += lh;
		bitmap_fill(b, COVER_MARGIN_X, y, right - COVER_MARGIN_X, 1, 1);
		y += lh;
		fonts_select(f, FONT_SANS, 12, RENDER_XRES, yres);
		cover_wrap(f, b, COVER_MARGIN_X, right, y + fonts_ascent(f), h - yres / 2, o->cover_text);
	}
	return b;
}
