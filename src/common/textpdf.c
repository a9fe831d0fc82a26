/* The minimal PDF writer (see textpdf.h): the content of each page is kept as
 * text operators; textpdf_finish lays out the objects (catalog, page tree,
 * fonts, pages and their content streams, info) and the cross-reference
 * table with their byte offsets. */
#include "textpdf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "xalloc.h"

#define PAGES_MAX 200

struct textpdf {
	buf_t page[PAGES_MAX];
	int npages;
	int overflow; /* a page or a text could not be added */
};

textpdf_t *textpdf_new(void)
{
	textpdf_t *w = xcalloc(1, sizeof *w);
	textpdf_page(w);
	return w;
}

void textpdf_free(textpdf_t *w)
{
	if (!w)
		return;
	for (int i = 0; i < w->npages; i++)
		buf_free(&w->page[i]);
	free(w);
}

void textpdf_page(textpdf_t *w)
{
	if (w->npages == PAGES_MAX) {
		w->overflow = 1;
		return;
	}
	buf_init(&w->page[w->npages++], TEXTPDF_MAX);
}

/* The cp1252 byte of the code points above U+00FF it has, else 0. */
static unsigned char cp1252_high(uint32_t c)
{
	static const struct { uint32_t cp; unsigned char b; } map[] = {
		{ 0x20AC, 0x80 }, { 0x201A, 0x82 }, { 0x0192, 0x83 }, { 0x201E, 0x84 },
		{ 0x2026, 0x85 }, { 0x2020, 0x86 }, { 0x2021, 0x87 }, { 0x02C6, 0x88 },
		{ 0x2030, 0x89 }, { 0x0160, 0x8A }, { 0x2039, 0x8B }, { 0x0152, 0x8C },
		{ 0x017D, 0x8E }, { 0x2018, 0x91 }, { 0x2019, 0x92 }, { 0x201C, 0x93 },
		{ 0x201D, 0x94 }, { 0x2022, 0x95 }, { 0x2013, 0x96 }, { 0x2014, 0x97 },
		{ 0x02DC, 0x98 }, { 0x2122, 0x99 }, { 0x0161, 0x9A }, { 0x203A, 0x9B },
		{ 0x0153, 0x9C }, { 0x017E, 0x9E }, { 0x0178, 0x9F },
		{ 0x202F, 0xA0 }, /* narrow no-break space: a no-break space */
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (map[i].cp == c)
			return map[i].b;
	return 0;
}

size_t textpdf_winansi(const char *utf8, char *out, size_t cap)
{
	const unsigned char *s = (const unsigned char *)utf8;
	size_t n = 0;
	if (cap == 0)
		return 0;
	while (*s && n + 1 < cap) {
		uint32_t c;
		int len;
		if (s[0] < 0x80) {
			c = s[0];
			len = 1;
		} else if ((s[0] & 0xE0) == 0xC0) {
			c = s[0] & 0x1Fu;
			len = 2;
		} else if ((s[0] & 0xF0) == 0xE0) {
			c = s[0] & 0x0Fu;
			len = 3;
		} else if ((s[0] & 0xF8) == 0xF0) {
			c = s[0] & 0x07u;
			len = 4;
		} else {
			out[n++] = '?';
			s++;
			continue;
		}
		int k = 1;
		for (; k < len && (s[k] & 0xC0) == 0x80; k++)
			c = (c << 6) | (s[k] & 0x3Fu);
		if (k < len || (len == 2 && c < 0x80) || (len == 3 && c < 0x800) ||
		    (len == 4 && c < 0x10000)) {
			out[n++] = '?';
			s += k;
			continue;
		}
		s += len;
		unsigned char b = c < 0x80 ? (unsigned char)c
			: c >= 0xA0 && c <= 0xFF ? (unsigned char)c : cp1252_high(c);
		out[n++] = b >= 0x20 || b == 0 ? (char)(b ? b : '?') : '?';
	}
	out[n] = '\0';
	return n;
}

/* A PDF string literal of WinAnsi text: ( ) and \ escaped, high bytes as
 * octal so that the file stays ASCII. */
static int put_string(buf_t *b, const char *ansi)
{
	int rc = buf_puts(b, "(");
	for (const unsigned char *p = (const unsigned char *)ansi; *p && rc == 0; p++) {
		if (*p == '(' || *p == ')' || *p == '\\')
			rc = buf_printf(b, "\\%c", *p);
		else if (*p >= 0x80)
			rc = buf_printf(b, "\\%03o", *p);
		else
			rc = buf_append(b, p, 1);
	}
	return rc | buf_puts(b, ")");
}

static const char *const font_names[] = { "F1", "F2", "F3" };

void textpdf_text(textpdf_t *w, double x, double y, textpdf_font_t font, double size, const char *text)
{
	char ansi[1024];
	textpdf_winansi(text ? text : "", ansi, sizeof ansi);
	buf_t *b = &w->page[w->npages - 1];
	size_t before = b->len;
	int rc = buf_printf(b, "BT /%s %.1f Tf %.2f %.2f Td ", font_names[font], size, x, y);
	rc |= put_string(b, ansi);
	rc |= buf_puts(b, " Tj ET\n");
	if (rc != 0) {
		b->len = before;
		if (b->data)
			b->data[before] = '\0';
		w->overflow = 1;
	}
}

void textpdf_text_right(textpdf_t *w, double x, double y, double size, const char *text)
{
	char ansi[1024];
	size_t n = textpdf_winansi(text ? text : "", ansi, sizeof ansi);
	/* Courier: every glyph is 600/1000 of the size wide. */
	textpdf_text(w, x - (double)n * size * 0.6, y, TEXTPDF_MONO, size, text);
}

unsigned char *textpdf_finish(textpdf_t *w, const char *title, size_t *len)
{
	*len = 0;
	if (w->overflow)
		return NULL;
	/* Objects: 1 catalog, 2 pages, 3-5 fonts, 6 info, then per page i its
	 * page (7 + 2i) and its content (8 + 2i). */
	int nobj = 6 + 2 * w->npages;
	long *off = xcalloc((size_t)nobj + 1, sizeof *off);
	buf_t o;
	buf_init(&o, TEXTPDF_MAX);
	int rc = buf_puts(&o, "%PDF-1.4\n%\xE2\xE3\xCF\xD3\n");
	off[1] = (long)o.len;
	rc |= buf_puts(&o, "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
	off[2] = (long)o.len;
	rc |= buf_puts(&o, "2 0 obj\n<< /Type /Pages /Kids [");
	for (int i = 0; i < w->npages; i++)
		rc |= buf_printf(&o, " %d 0 R", 7 + 2 * i);
	rc |= buf_printf(&o, " ] /Count %d >>\nendobj\n", w->npages);
	static const char *const base[] = { "Helvetica", "Helvetica-Bold", "Courier" };
	for (int f = 0; f < 3; f++) {
		off[3 + f] = (long)o.len;
		rc |= buf_printf(&o, "%d 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /%s"
			" /Encoding /WinAnsiEncoding >>\nendobj\n", 3 + f, base[f]);
	}
	off[6] = (long)o.len;
	char ansi[512];
	textpdf_winansi(title ? title : "", ansi, sizeof ansi);
	rc |= buf_puts(&o, "6 0 obj\n<< /Producer (faxvault) /Title ");
	rc |= put_string(&o, ansi);
	rc |= buf_puts(&o, " >>\nendobj\n");
	for (int i = 0; i < w->npages; i++) {
		int p = 7 + 2 * i, c = p + 1;
		off[p] = (long)o.len;
		rc |= buf_printf(&o, "%d 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d]"
			" /Resources << /Font << /F1 3 0 R /F2 4 0 R /F3 5 0 R >> >> /Contents %d 0 R >>\n"
			"endobj\n", p, TEXTPDF_WIDTH, TEXTPDF_HEIGHT, c);
		off[c] = (long)o.len;
		rc |= buf_printf(&o, "%d 0 obj\n<< /Length %zu >>\nstream\n", c, w->page[i].len);
		rc |= buf_append(&o, w->page[i].data ? w->page[i].data : "", w->page[i].len);
		rc |= buf_puts(&o, "\nendstream\nendobj\n");
	}
	long xref = (long)o.len;
	rc |= buf_printf(&o, "xref\n0 %d\n0000000000 65535 f \n", nobj + 1);
	for (int i = 1; i <= nobj; i++)
		rc |= buf_printf(&o, "%010ld 00000 n \n", off[i]);
	rc |= buf_printf(&o, "trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%ld\n%%%%EOF\n",
		nobj + 1, xref);
	free(off);
	if (rc != 0) {
		buf_free(&o);
		return NULL;
	}
	*len = o.len;
	return (unsigned char *)buf_steal(&o);
}
