/* Document type detection from content alone (never from a file name).
 * Pure functions over bytes: no I/O, no globals, so they are fuzz targets. */
#include "render.h"

#include <stdlib.h>
#include <string.h>

/* Acrobat accepts up to 1024 bytes of junk before the header; so do we. */
#define SNIFF_PDF_WINDOW 1024

static int sniff_is_pdf(const uint8_t *p, size_t n)
{
	size_t lim = n < SNIFF_PDF_WINDOW ? n : SNIFF_PDF_WINDOW;
	for (size_t i = 0; i + 5 <= lim; i++)
		if (p[i] == '%' && memcmp(p + i, "%PDF-", 5) == 0)
			return 1;
	return 0;
}

/* Length of the valid UTF-8 sequence at p[0..n), or 0 when invalid
 * (overlong forms, surrogates and code points above U+10FFFF included). */
static size_t sniff_utf8_len(const uint8_t *p, size_t n)
{
	uint8_t c = p[0];
	if (c < 0x80)
		return 1;
	size_t len;
	uint32_t min, cp;
	if ((c & 0xe0) == 0xc0) {
		len = 2; min = 0x80; cp = c & 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3; min = 0x800; cp = c & 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		len = 4; min = 0x10000; cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* Text: valid UTF-8, no NUL, and control characters only the usual layout
 * ones (tab, LF, CR, FF, VT, ESC for the odd terminal dump). */
static int sniff_is_text(const uint8_t *p, size_t n)
{
	size_t i = 0;
	if (n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
		i = 3;
	int printable = 0;
	while (i < n) {
		uint8_t c = p[i];
		if (c < 0x20 || c == 0x7f) {
			if (c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v' && c != 0x1b)
				return 0;
			i++;
			continue;
		}
		size_t l = sniff_utf8_len(p + i, n - i);
		if (l == 0)
			return 0;
		printable = 1;
		i += l;
	}
	return printable;
}

enum render_type render_sniff(const uint8_t *p, size_t n)
{
	if (p == NULL || n == 0)
		return RENDER_TYPE_UNKNOWN;
	if (n >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0)
		return RENDER_TYPE_PNG;
	if (n >= 3 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff)
		return RENDER_TYPE_JPEG;
	if (n >= 8 && (memcmp(p, "II*\0", 4) == 0 || memcmp(p, "MM\0*", 4) == 0 ||
		memcmp(p, "II+\0", 4) == 0 || memcmp(p, "MM\0+", 4) == 0))
		return RENDER_TYPE_TIFF;
	if (sniff_is_pdf(p, n))
		return RENDER_TYPE_PDF;
	if (sniff_is_text(p, n))
		return RENDER_TYPE_TEXT;
	return RENDER_TYPE_UNKNOWN;
}

const char *render_type_name(enum render_type t)
{
	switch (t) {
	case RENDER_TYPE_PDF: return "pdf";
	case RENDER_TYPE_TIFF: return "tiff";
	case RENDER_TYPE_PNG: return "png";
	case RENDER_TYPE_JPEG: return "jpeg";
	case RENDER_TYPE_TEXT: return "text";
	case RENDER_TYPE_UNKNOWN: break;
	}
	return "unknown";
}

/* Windows-1252's 0x80-0x9F (0: undefined there). */
static const uint16_t cp1252_high[32] = {
	0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017d, 0,
	0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178,
};

/* Text in UTF-16 or UTF-32: a byte-order mark, or (without one) mostly
 * ASCII characters each followed or preceded by zero bytes, in the first
 * 512 bytes. */
static int sniff_is_utf16_32(const uint8_t *p, size_t n)
{
	if ((n >= 2 && ((p[0] == 0xff && p[1] == 0xfe) || (p[0] == 0xfe && p[1] == 0xff))) ||
	    (n >= 4 && p[0] == 0 && p[1] == 0 && p[2] == 0xfe && p[3] == 0xff))
		return 1;
	size_t lim = n < 512 ? n & ~(size_t)1 : 512, le = 0, be = 0;
	for (size_t i = 0; i + 1 < lim; i += 2) {
		le += p[i + 1] == 0 && p[i] >= 0x09 && p[i] < 0x7f;
		be += p[i] == 0 && p[i + 1] >= 0x09 && p[i + 1] < 0x7f;
	}
	return lim >= 4 && (le * 10 >= lim / 2 * 9 || be * 10 >= lim / 2 * 9);
}

enum render_text_kind render_text_kind(const uint8_t *p, size_t n)
{
	if (!p || n == 0 || n > RENDER_INPUT_MAX || render_sniff(p, n) != RENDER_TYPE_UNKNOWN)
		return RENDER_TEXT_NONE;
	if (sniff_is_utf16_32(p, n))
		return RENDER_TEXT_OTHER;
	size_t letters = 0, high = 0, utf8seq = 0;
	int undefined = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		if (c < 0x20 || c == 0x7f) {
			/* Binary, not text: NUL and control characters other than layout. */
			if (c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v' && c != 0x1b)
				return RENDER_TEXT_NONE;
		} else if (c < 0x80) {
			letters += (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
		} else {
			high++;
			undefined |= c < 0xa0 && !cp1252_high[c - 0x80];
			size_t l = sniff_utf8_len(p + i, n - i);
			if (l > 1) {
				utf8seq++;
				i += l - 1;
			}
		}
	}
	/* Clearly Windows-1252: every byte defined there, accented letters and
	 * symbols no more frequent than plain letters (as in Western European
	 * languages), and no valid UTF-8 sequence (UTF-8 with a stray byte
	 * would otherwise turn every "é" into "Ã©"). Anything else is text in
	 * an encoding we cannot tell (Cyrillic or Greek 8-bit sets, damaged
	 * UTF-8). */
	if (!undefined && !utf8seq && high <= letters && letters > 0)
		return RENDER_TEXT_CP1252;
	return RENDER_TEXT_OTHER;
}

int render_text_cp1252(const uint8_t *p, size_t n, uint8_t **out, size_t *outlen)
{
	*out = NULL;
	*outlen = 0;
	if (render_text_kind(p, n) != RENDER_TEXT_CP1252)
		return -1;
	size_t need = 0;
	for (size_t i = 0; i < n; i++)
		need += p[i] < 0x80 ? 1 : p[i] >= 0xa0 || cp1252_high[p[i] - 0x80] < 0x800 ? 2 : 3;
	uint8_t *o = malloc(need ? need : 1);
	if (!o)
		return -1;
	size_t j = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		uint32_t u = c < 0x80 ? c : c < 0xa0 ? cp1252_high[c - 0x80] : c;
		if (u < 0x80) {
			o[j++] = (uint8_t)u;
		} else if (u < 0x800) {
			o[j++] = (uint8_t)(0xc0 | (u >> 6));
			o[j++] = (uint8_t)(0x80 | (u & 0x3f));
		} else {
			o[j++] = (uint8_t)(0xe0 | (u >> 12));
			o[j++] = (uint8_t)(0x80 | ((u >> 6) & 0x3f));
			o[j++] = (uint8_t)(0x80 | (u & 0x3f));
		}
	}
	*out = o;
	*outlen = j;
	return 0;
}
