/* Unit tests of the renderer's pure parts and writers: sniffing, UTF-8 and
 * text layout, page geometry, the page stream, dithering, the TIFF-F and PDF
 * writers, the cover page and header line, failure codes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <tiffio.h>
#include <unistd.h>

#include "bitmap.h"
#include "cover.h"
#include "g4enc.h"
#include "pdfw.h"
#include "raster.h"
#include "sandbox.h"
#include "render.h"
#include "textdraw.h"
#include "thinline.h"
#include "tiffw.h"

/* Text that is not UTF-8: clearly Windows-1252 (converted), another
 * character set (refused with its own reason), or not text at all. */
static void test_text_kind(void **state)
{
	(void)state;
	static const struct {
		const char *bytes;
		size_t n;
		enum render_text_kind want;
	} cases[] = {
#define T(s, k) {s, sizeof(s) - 1, k}
		T("Re\xe7u le d\xe9p\xf4t de 120 \x80, \x93merci\x94.\n", RENDER_TEXT_CP1252),
		T("Gr\xfc\xdf" "e aus K\xf6ln\r\n\tStra\xdf" "e 5\f", RENDER_TEXT_CP1252),
		T("\xff\xfeH\0i\0", RENDER_TEXT_OTHER),              /* UTF-16LE, BOM */
		T("\xfe\xff\0H\0i", RENDER_TEXT_OTHER),              /* UTF-16BE, BOM */
		T("H\0e\0l\0l\0o\0 \0w\0o\0r\0l\0d\0\n\0", RENDER_TEXT_OTHER), /* no BOM */
		T("\0H\0e\0l\0l\0o\0 \0w\0o\0r\0l\0d\0\n", RENDER_TEXT_OTHER),
		T("\xf0\xd2\xc9\xd7\xc5\xd4, \xcd\xc9\xd2!\n", RENDER_TEXT_OTHER), /* KOI8-R */
		T("caf\xc3\xa9 et \xe9t\xe9\n", RENDER_TEXT_OTHER),  /* UTF-8 with a stray byte */
		T("abc\x81" "def\n", RENDER_TEXT_OTHER),             /* undefined in 1252 */
		T("\x80\n", RENDER_TEXT_OTHER),                      /* no letter to tell */
		T("\x01\x02\x03" "abc\xe9", RENDER_TEXT_NONE),       /* control bytes: binary */
		T("PK\003\004\024\0\0\0zip", RENDER_TEXT_NONE),
		T("plain UTF-8, d\xc3\xa9j\xc3\xa0 lisible\n", RENDER_TEXT_NONE), /* sniffed as text */
		T("%PDF-1.4 \xe9", RENDER_TEXT_NONE),
		T("", RENDER_TEXT_NONE),
#undef T
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum render_text_kind k = render_text_kind((const uint8_t *)cases[i].bytes, cases[i].n);
		if (k != cases[i].want)
			fail_msg("case %zu: kind %d, want %d", i, (int)k, (int)cases[i].want);
		uint8_t *u = NULL;
		size_t ulen = 0;
		int rc = render_text_cp1252((const uint8_t *)cases[i].bytes, cases[i].n, &u, &ulen);
		assert_int_equal(rc == 0, k == RENDER_TEXT_CP1252);
		if (rc == 0)
			assert_int_equal(render_sniff(u, ulen), RENDER_TYPE_TEXT);
		else
			assert_null(u);
		free(u);
	}
	uint8_t *u;
	size_t ulen;
	const char *in = "Re\xe7u 120 \x80 \x93ok\x94";
	assert_int_equal(render_text_cp1252((const uint8_t *)in, strlen(in), &u, &ulen), 0);
	const char *want = "Re\xc3\xa7u 120 \xe2\x82\xac \xe2\x80\x9cok\xe2\x80\x9d";
	assert_int_equal(ulen, strlen(want));
	assert_memory_equal(u, want, ulen);
	free(u);
}

static void test_sniff(void **state)
{
	(void)state;
	static const struct {
		const char *data;
		size_t len;
		enum render_type want;
	} cases[] = {
		{"%PDF-1.7\n", 9, RENDER_TYPE_PDF},
		{"junk\n%PDF-1.4", 13, RENDER_TYPE_PDF},
		{"II*\0\x08\0\0\0", 8, RENDER_TYPE_TIFF},
		{"MM\0*\0\0\0\x08", 8, RENDER_TYPE_TIFF},
		{"II*\0", 4, RENDER_TYPE_UNKNOWN},            /* too short for a TIFF */
		{"\x89PNG\r\n\x1a\n", 8, RENDER_TYPE_PNG},
		{"\xff\xd8\xff\xe0", 4, RENDER_TYPE_JPEG},
		{"Hello\tworld\r\n", 13, RENDER_TYPE_TEXT},
		{"\xef\xbb\xbf" "caf\xc3\xa9", 8, RENDER_TYPE_TEXT},
		{"\xef\xbb\xbf", 3, RENDER_TYPE_UNKNOWN},         /* BOM alone: nothing */
		{"\n\n\n", 3, RENDER_TYPE_UNKNOWN},              /* no printable char */
		{"caf\xe9", 4, RENDER_TYPE_UNKNOWN},             /* Latin-1, not UTF-8 */
		{"\xc0\xaf", 2, RENDER_TYPE_UNKNOWN},            /* overlong */
		{"\xed\xa0\x80", 3, RENDER_TYPE_UNKNOWN},        /* surrogate */
		{"\xf4\x90\x80\x80", 4, RENDER_TYPE_UNKNOWN},    /* > U+10FFFF */
		{"\xe2\x82", 2, RENDER_TYPE_UNKNOWN},            /* truncated */
		{"a\0b", 3, RENDER_TYPE_UNKNOWN},                /* NUL */
		{"\x7f" "ELF", 4, RENDER_TYPE_UNKNOWN},
		{"PK\x03\x04", 4, RENDER_TYPE_UNKNOWN},
		{"", 0, RENDER_TYPE_UNKNOWN},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum render_type got = render_sniff((const uint8_t *)cases[i].data, cases[i].len);
		if (got != cases[i].want)
			fail_msg("case %zu: got %s want %s", i, render_type_name(got),
				render_type_name(cases[i].want));
	}
	/* A PDF header beyond the first 1024 bytes is not a PDF. */
	char big[1100];
	memset(big, 'a', sizeof(big));
	memcpy(big + 1050, "%PDF-", 5);
	assert_int_equal(render_sniff((const uint8_t *)big, sizeof(big)), RENDER_TYPE_TEXT);
	assert_int_equal(render_sniff(NULL, 5), RENDER_TYPE_UNKNOWN);
	assert_string_equal(render_type_name(RENDER_TYPE_JPEG), "jpeg");
}

static void test_fail_codes(void **state)
{
	(void)state;
	for (int i = 0; i < RENDER_E_COUNT_; i++) {
		const char *c = render_fail_code((enum render_fail)i);
		assert_non_null(c);
		assert_true(strlen(render_fail_message((enum render_fail)i, RENDER_LANG_EN)) > 5);
		assert_true(strlen(render_fail_message((enum render_fail)i, RENDER_LANG_FR)) > 5);
		assert_string_not_equal(render_fail_message((enum render_fail)i, RENDER_LANG_EN),
			render_fail_message((enum render_fail)i, RENDER_LANG_FR));
		for (int j = 0; j < i; j++)
			assert_string_not_equal(c, render_fail_code((enum render_fail)j));
	}
	assert_string_equal(render_fail_code(RENDER_E_TOO_MANY_PAGES), "too_many_pages");
	assert_string_equal(render_fail_code((enum render_fail)999), "internal");
	enum render_lang l;
	assert_int_equal(render_lang_parse("fr", &l), 0);
	assert_int_equal(l, RENDER_LANG_FR);
	assert_int_equal(render_lang_parse("de", &l), -1);
	assert_int_equal(render_lang_parse(NULL, &l), -1);
	struct render_opts o;
	render_opts_init(&o);
	assert_int_equal(o.coding, RENDER_CODING_MMR);
	assert_int_equal(o.max_pages, RENDER_PAGES_DEFAULT);
}

static void test_utf8(void **state)
{
	(void)state;
	size_t adv;
	assert_int_equal(utf8_next((const uint8_t *)"A", 1, &adv), 'A');
	assert_int_equal(adv, 1);
	assert_int_equal(utf8_next((const uint8_t *)"\xc3\xa9", 2, &adv), 0xe9);
	assert_int_equal(adv, 2);
	assert_int_equal(utf8_next((const uint8_t *)"\xf0\x9f\x98\x80", 4, &adv), 0x1f600);
	assert_int_equal(adv, 4);
	assert_int_equal(utf8_next((const uint8_t *)"\xc3", 1, &adv), 0xfffd);
	assert_int_equal(adv, 1);
	assert_int_equal(utf8_next((const uint8_t *)"\xe0\x80\x80", 3, &adv), 0xfffd);
	assert_int_equal(adv, 1);
	assert_int_equal(utf8_next((const uint8_t *)"\xff", 1, &adv), 0xfffd);
}

struct runs {
	int n;
	int page[32], row[32], col[32];
	char text[32][16];
};

static void record(void *ctx, int page, int row, int col, const uint8_t *s, size_t n)
{
	struct runs *r = ctx;
	if (r->n >= 32)
		return;
	r->page[r->n] = page;
	r->row[r->n] = row;
	r->col[r->n] = col;
	snprintf(r->text[r->n], sizeof(r->text[0]), "%.*s", (int)n, (const char *)s);
	r->n++;
}

static int layout(const char *s, int cols, int rows, int cap, struct runs *r)
{
	memset(r, 0, sizeof(*r));
	return textdoc_layout((const uint8_t *)s, strlen(s), cols, rows, cap, record, r);
}

static void test_textdoc(void **state)
{
	(void)state;
	struct runs r;
	assert_int_equal(layout("", 10, 5, 100, &r), 0);
	assert_int_equal(layout("abc", 10, 5, 100, &r), 1);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.text[0], "abc");
	/* Wrapping at 4 columns. */
	assert_int_equal(layout("abcdefghij", 4, 5, 100, &r), 1);
	assert_int_equal(r.n, 3);
	assert_string_equal(r.text[1], "efgh");
	assert_int_equal(r.row[2], 2);
	/* Tabs go to the next multiple of 8; runs restart after them. */
	assert_int_equal(layout("a\tb", 20, 5, 100, &r), 1);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.col[1], 8);
	/* Rows per page, then a new page; a form feed starts a page. */
	assert_int_equal(layout("1\n2\n3\n4", 10, 2, 100, &r), 2);
	assert_int_equal(r.page[2], 1);
	assert_int_equal(r.row[2], 0);
	assert_int_equal(layout("a\fb", 10, 5, 100, &r), 2);
	assert_int_equal(layout("a\f", 10, 5, 100, &r), 1);   /* trailing FF: no blank page */
	assert_int_equal(layout("a\f\fb", 10, 5, 100, &r), 3); /* blank page kept in between */
	/* Multibyte characters count once; CR and ESC draw nothing. */
	assert_int_equal(layout("\xc3\xa9t\xc3\xa9\r\x1b", 3, 5, 100, &r), 1);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.text[0], "\xc3\xa9t\xc3\xa9");
	/* The cap: at most cap + 1 pages are laid out. */
	assert_int_equal(layout("\f\f\f\f\f\f\f\fx", 10, 5, 3, &r), 4);
	assert_int_equal(textdoc_layout((const uint8_t *)"x", 1, 0, 5, 10, NULL, NULL), 0);
	/* At most cap + 1 pages are laid out: a wrap onto a further page on the
	 * last character hands nothing of it out (found by fuzz_render_sniff). */
	assert_int_equal(layout("abcde", 2, 1, 1, &r), 2);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.page[1], 1);
}

static void test_geometry(void **state)
{
	(void)state;
	struct raster_geom g;
	/* A4 portrait fills the width; about 11.69 in of rows. */
	assert_int_equal(raster_geometry(595, 842, 98, &g), 0);
	assert_int_equal(g.rotate, 0);
	assert_true(g.rows >= 1140 && g.rows <= 1200);
	assert_true(g.xoff < 1);
	assert_int_equal(raster_geometry(595, 842, 196, &g), 0);
	assert_true(g.rows >= 2280 && g.rows <= 2400);
	/* Landscape is turned. */
	assert_int_equal(raster_geometry(842, 595, 98, &g), 0);
	assert_int_equal(g.rotate, 1);
	/* A 200 in page is shrunk to the longest page and centred. */
	assert_int_equal(raster_geometry(612, 14400, 196, &g), 0);
	assert_int_equal(g.rows, 196 * BITMAP_PAGE_INCHES_MAX);
	assert_true(g.xoff > 100);
	assert_int_equal(raster_geometry(0, 842, 98, &g), -1);
	assert_int_equal(raster_geometry(595, -1, 98, &g), -1);
	assert_int_equal(raster_geometry(1.0 / 0.0, 842, 98, &g), -1);
	assert_int_equal(raster_geometry(0.0 / 0.0, 842, 98, &g), -1);
}

static void test_page_stream(void **state)
{
	(void)state;
	FILE *f = tmpfile();
	assert_non_null(f);
	int fd = fileno(f);
	struct bitmap *b = bitmap_new(RENDER_WIDTH, 10);
	bitmap_fill(b, 3, 2, 100, 3, 1);
	assert_int_equal(bitmap_write_fd(fd, b), 0);
	assert_int_equal(bitmap_write_fd(fd, b), 0);
	lseek(fd, 0, SEEK_SET);
	struct bitmap *r;
	assert_int_equal(bitmap_read_fd(fd, RENDER_WIDTH, 100, &r), 1);
	assert_int_equal(r->h, 10);
	assert_memory_equal(r->bits, b->bits, (size_t)b->h * b->stride);
	bitmap_free(r);
	/* Rows above the cap: malformed. */
	assert_int_equal(bitmap_read_fd(fd, RENDER_WIDTH, 5, &r), -1);
	assert_null(r);
	/* A clean end. */
	lseek(fd, 0, SEEK_END);
	assert_int_equal(bitmap_read_fd(fd, RENDER_WIDTH, 100, &r), 0);
	/* A cut page. */
	assert_int_equal(ftruncate(fd, 16 + 100), 0);
	lseek(fd, 0, SEEK_SET);
	assert_int_equal(bitmap_read_fd(fd, RENDER_WIDTH, 100, &r), -1);
	fclose(f);
	bitmap_free(b);

	uint8_t h[16] = {'F', 'V', 'P', 'G', 0xc0, 0x06, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0};
	int w, hh;
	assert_int_equal(bitmap_parse_header(h, 1728, 100, &w, &hh), 0);
	assert_int_equal(hh, 5);
	assert_int_equal(bitmap_parse_header(h, 1700, 100, &w, &hh), -1);
	h[8] = 0;
	assert_int_equal(bitmap_parse_header(h, 1728, 100, &w, &hh), -1);
	h[8] = 1;
	h[0] = 'X';
	assert_int_equal(bitmap_parse_header(h, 1728, 100, &w, &hh), -1);
}

static int count_black(const struct bitmap *b, int y0, int y1)
{
	int n = 0;
	for (int y = y0; y < y1 && y < b->h; y++)
		for (int x = 0; x < b->w; x++)
			n += bitmap_get(b, x, y);
	return n;
}

static void test_dither(void **state)
{
	(void)state;
	uint8_t g[64 * 16];
	memset(g, 0, 64 * 8);
	memset(g + 64 * 8, 255, 64 * 8);
	struct bitmap *b = bitmap_new(64, 16);
	bitmap_dither_gray(b, 0, 0, g, 64, 16, 64);
	assert_int_equal(count_black(b, 0, 8), 64 * 8);
	assert_int_equal(count_black(b, 8, 16), 0);
	memset(b->bits, 0, (size_t)b->h * b->stride);
	memset(g, 128, sizeof(g));
	bitmap_dither_gray(b, 0, 0, g, 64, 16, 64);
	int n = count_black(b, 0, 16);
	assert_true(n > 64 * 16 * 4 / 10 && n < 64 * 16 * 6 / 10);
	/* Offsets outside the bitmap are clipped. */
	bitmap_dither_gray(b, 60, 14, g, 64, 16, 64);
	bitmap_free(b);
	/* Dithering that leaves the grey image white: the same bits, and
	 * every sample 255 after, on a page of random greys, white runs and
	 * a width that is not a multiple of 16 or 8. */
	enum { W = RENDER_WIDTH - 3, H = 24 };
	uint8_t *grey = malloc((size_t)W * H), *white = malloc((size_t)W * H);
	assert_non_null(grey);
	assert_non_null(white);
	uint32_t seed = 5;
	for (size_t i = 0; i < (size_t)W * H; i++) {
		seed = seed * 1103515245u + 12345u;
		uint8_t r = (uint8_t)(seed >> 16);
		grey[i] = (i / 40) % 3 == 0 ? r : (i / 40) % 3 == 1 ? 255 : (r & 1) * 255;
	}
	memset(white, 255, (size_t)W * H);
	struct bitmap *d1 = bitmap_new(W, H), *d2 = bitmap_new(W, H);
	bitmap_dither_gray(d1, 0, 0, grey, W, H, W);
	bitmap_dither_gray_wipe(d2, grey, W, H, W);
	assert_memory_equal(d1->bits, d2->bits, (size_t)H * d1->stride);
	assert_memory_equal(grey, white, (size_t)W * H);
	bitmap_free(d1);
	bitmap_free(d2);
	free(grey);
	free(white);
}

/* Painted pixels of a W x H grey canvas (value 0 on 255). */
#define TW 64
#define TH 32
static int thin_count(const uint8_t *p, int x0, int y0, int x1, int y1)
{
	int n = 0;
	for (int y = y0; y < y1; y++)
		for (int x = x0; x < x1; x++)
			n += p[y * TW + x] == 0;
	return n;
}

static void test_thinline(void **state)
{
	(void)state;
	static uint8_t p[TH * TW];
	struct thin_canvas cv = {p, TW, TH, TW};
	const double id[6] = {1, 0, 0, 1, 0, 0};
	struct thin_stroke s;

	/* One pixel per column, on the row holding the line. */
	memset(p, 255, sizeof(p));
	thin_line(&cv, 0, 2.2, 5.5, 40.7, 5.5);
	assert_int_equal(thin_count(p, 0, 0, TW, TH), 39);
	assert_int_equal(thin_count(p, 0, 5, TW, 6), 39);
	/* Steep: one pixel per row, 8-connected. */
	memset(p, 255, sizeof(p));
	thin_line(&cv, 0, 10.5, 0.5, 20.5, 30.5);
	assert_int_equal(thin_count(p, 0, 0, TW, TH), 31);
	for (int y = 0; y <= 30; y++)
		assert_int_equal(thin_count(p, 0, y, TW, y + 1), 1);
	/* Clipped to the canvas; far away or not finite: nothing, quickly. */
	memset(p, 255, sizeof(p));
	thin_line(&cv, 0, -1e30, 3.5, 1e30, 3.5);
	assert_int_equal(thin_count(p, 0, 0, TW, TH), TW);
	thin_line(&cv, 0, -100, -100, -50, -1);
	thin_line(&cv, 0, NAN, 1, 5, 5);
	thin_line(&cv, 0, 1, 1, INFINITY, 5);
	assert_int_equal(thin_count(p, 0, 0, TW, TH), TW);

	/* Dashes [4 4] along y = 10.5: ink on x in [0,4), [8,12), ... */
	memset(p, 255, sizeof(p));
	const float d44[] = {4, 4};
	assert_int_equal(thin_stroke_init(&s, &cv, 0, id, d44, 2, 0), 0);
	thin_moveto(&s, 0, 10.5);
	thin_lineto(&s, 32, 10.5);
	int on = thin_count(p, 0, 10, 32, 11);
	assert_true(on >= 16 && on <= 20);
	assert_int_equal(thin_count(p, 1, 10, 3, 11), 2);
	assert_int_equal(thin_count(p, 5, 10, 7, 11), 0);
	assert_int_equal(thin_count(p, 9, 10, 11, 11), 2);
	/* Phase 4 starts in the gap; the pattern restarts at each subpath. */
	memset(p, 255, sizeof(p));
	assert_int_equal(thin_stroke_init(&s, &cv, 0, id, d44, 2, 4), 0);
	for (int k = 1; k <= 2; k++) {
		thin_moveto(&s, 0, k * 10 + 0.5);
		thin_lineto(&s, 8, k * 10 + 0.5);
	}
	assert_int_equal(thin_count(p, 1, 10, 3, 11), 0);
	assert_int_equal(thin_count(p, 5, 10, 7, 11), 2);
	assert_int_equal(thin_count(p, 1, 20, 3, 21), 0);
	/* An odd pattern [3] is 3 on, 3 off. */
	memset(p, 255, sizeof(p));
	const float d3[] = {3};
	assert_int_equal(thin_stroke_init(&s, &cv, 0, id, d3, 1, 0), 0);
	thin_moveto(&s, 0, 1.5);
	thin_lineto(&s, 12, 1.5);
	assert_int_equal(thin_count(p, 1, 1, 2, 2), 1);
	assert_int_equal(thin_count(p, 4, 1, 5, 2), 0);
	assert_int_equal(thin_count(p, 7, 1, 8, 2), 1);
	/* A dashed line across a huge off-page distance is not walked dash
	 * by dash (this would take 10^12 steps). */
	assert_int_equal(thin_stroke_init(&s, &cv, 0, id, d44, 2, 0), 0);
	thin_moveto(&s, -1e13, 30.5);
	thin_lineto(&s, 1e13, 30.5);
	on = thin_count(p, 0, 30, TW, 31);
	assert_true(on >= TW / 2 - 4 && on <= TW / 2 + 4);

	/* Left to MuPDF: negative or non-finite dashes, a cycle under
	 * THIN_DASH_CYCLE_MIN pixels in any direction, a flat matrix. */
	const float neg[] = {2, -1}, tiny[] = {0.5, 0.5}, nanv[] = {NAN, 1};
	assert_int_equal(thin_stroke_init(&s, &cv, 0, id, neg, 2, 0), -1);
	assert_int_equal(thin_stroke_init(&s, &cv, 0, id, tiny, 2, 0), -1);
	assert_int_equal(thin_stroke_init(&s, &cv, 0, id, nanv, 2, 0), -1);
	const double squash[6] = {4, 0, 0, 0.1, 0, 0}, flat[6] = {1, 0, 2, 0, 0, 0};
	assert_int_equal(thin_stroke_init(&s, &cv, 0, squash, d44, 2, 0), -1);
	assert_int_equal(thin_stroke_init(&s, &cv, 0, flat, NULL, 0, 0), -1);
	assert_int_equal(thin_stroke_init(&s, &cv, 0, squash, NULL, 0, 0), 0);

	/* A closed square: its four sides; a curve: connected from end to
	 * end, within a pixel of the true quarter circle. */
	memset(p, 255, sizeof(p));
	assert_int_equal(thin_stroke_init(&s, &cv, 0, id, NULL, 0, 0), 0);
	const double sq[][2] = {{12.5, 2.5}, {12.5, 12.5}, {2.5, 12.5}};
	thin_moveto(&s, 2.5, 2.5);
	for (int k = 0; k < 3; k++)
		thin_lineto(&s, sq[k][0], sq[k][1]);
	thin_closepath(&s);
	assert_int_equal(thin_count(p, 0, 0, TW, TH), 40);
	memset(p, 255, sizeof(p));
	const double k = 0.5523 * 20;
	thin_moveto(&s, 40.5, 5.5);
	thin_curveto(&s, 40.5 + k, 5.5, 60.5, 25.5 - k, 60.5, 25.5);
	assert_int_equal(p[5 * TW + 40], 0);
	assert_int_equal(p[25 * TW + 60], 0);
	for (int y = 0; y < TH; y++)
		for (int x = 0; x < TW; x++)
			if (p[y * TW + x] == 0) {
				double r = hypot(x + 0.5 - 40.5, y + 0.5 - 25.5);
				assert_true(fabs(r - 20) < 1.5);
			}
	for (int y = 6; y <= 24; y++)
		assert_true(thin_count(p, 0, y, TW, y + 1) >= 1);
}

static void test_tiffw(void **state)
{
	(void)state;
	const enum render_coding codings[] = {RENDER_CODING_MH, RENDER_CODING_MR, RENDER_CODING_MMR};
	const uint16_t comp[] = {COMPRESSION_CCITTFAX3, COMPRESSION_CCITTFAX3, COMPRESSION_CCITTFAX4};
	for (size_t c = 0; c < 3; c++) {
		char path[] = "/tmp/fv-test-tiffw-XXXXXX";
		int fd = mkstemp(path);
		assert_true(fd >= 0);
		close(fd);
		char err[128];
		struct tiffw *t = tiffw_open(path, codings[c], 196, err, sizeof(err));
		assert_non_null(t);
		struct bitmap *b[2] = {bitmap_new(RENDER_WIDTH, 300), bitmap_new(RENDER_WIDTH, 200)};
		bitmap_fill(b[0], 10, 10, 500, 40, 1);
		bitmap_fill(b[1], 1000, 50, 7, 7, 1);
		for (int i = 0; i < 37; i++)
			bitmap_set(b[1], i * 41, 100 + i);
		/* Noise, long runs of both colours, and edges near the row ends:
		 * every mode and make-up code of the encoders. */
		uint32_t seed = 12345;
		for (int y = 120; y < 200; y++) {
			for (int x = 0; x < RENDER_WIDTH; x++) {
				seed = seed * 1103515245u + 12345u;
				int on = y < 140 ? (seed >> 16) & 1 : y < 160 ? ((seed >> 16) % 97) == 0
					: y < 180 ? x > 3 && x < RENDER_WIDTH - 2 : ((x / (y - 150)) & 1);
				if (on)
					bitmap_set(b[1], x, y);
			}
		}
		bitmap_fill(b[0], 0, 200, RENDER_WIDTH, 3, 1);
		bitmap_fill(b[0], RENDER_WIDTH - 1, 210, 1, 3, 1);
		bitmap_fill(b[0], 0, 220, 1, 1, 1);
		assert_int_equal(tiffw_page(t, b[0], 0, 2), 0);
		assert_int_equal(tiffw_page(t, b[1], 1, 2), 0);
		assert_int_equal(tiffw_close(t), 0);

		TIFF *tif = TIFFOpen(path, "r");
		assert_non_null(tif);
		assert_int_equal(TIFFNumberOfDirectories(tif), 2);
		for (int p = 0; p < 2; p++) {
			assert_true(TIFFSetDirectory(tif, (tdir_t)p));
			uint32_t w, h;
			uint16_t cc, photo, pn, pt;
			float xr, yr;
			TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &w);
			TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &h);
			TIFFGetField(tif, TIFFTAG_COMPRESSION, &cc);
			TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &photo);
			TIFFGetField(tif, TIFFTAG_XRESOLUTION, &xr);
			TIFFGetField(tif, TIFFTAG_YRESOLUTION, &yr);
			TIFFGetField(tif, TIFFTAG_PAGENUMBER, &pn, &pt);
			assert_int_equal(w, RENDER_WIDTH);
			assert_int_equal(h, (uint32_t)b[p]->h);
			assert_int_equal(cc, comp[c]);
			assert_int_equal(photo, PHOTOMETRIC_MINISWHITE);
			assert_int_equal((int)xr, 204);
			assert_int_equal((int)yr, 196);
			assert_int_equal(pn, p);
			assert_int_equal(pt, 2);
			uint8_t row[RENDER_WIDTH / 8];
			for (uint32_t y = 0; y < h; y++) {
				assert_int_equal(TIFFReadScanline(tif, row, y, 0), 1);
				assert_memory_equal(row, b[p]->bits + (size_t)y * b[p]->stride, sizeof(row));
			}
		}
		TIFFClose(tif);
		unlink(path);
		bitmap_free(b[0]);
		bitmap_free(b[1]);
	}
	char err[128];
	assert_null(tiffw_open("/nonexistent/dir/x.tif", RENDER_CODING_MMR, 98, err, sizeof(err)));
}

static const char *find(const buf_t *b, const char *needle)
{
	return memmem(b->data, b->len, needle, strlen(needle));
}

/* Offset named after "startxref", and every xref entry, point at what they
 * should. */
static void check_pdf_xref(const buf_t *b)
{
	const char *s = b->data;
	assert_memory_equal(s, "%PDF-1.4\n", 9);
	assert_memory_equal(s + b->len - 6, "%%EOF\n", 6);
	const char *sx = NULL;
	for (const char *p = s; (p = memmem(p, b->len - (size_t)(p - s), "startxref", 9)) != NULL; p++)
		sx = p;
	assert_non_null(sx);
	long xref = strtol(sx + 10, NULL, 10);
	assert_true(xref > 0 && (size_t)xref < b->len);
	assert_memory_equal(s + xref, "xref\n0 ", 7);
	char *end;
	long n = strtol(s + xref + 7, &end, 10);
	const char *e = strchr(end, '\n') + 1 + 20; /* skip the free entry */
	for (long i = 1; i < n; i++, e += 20) {
		long off = strtol(e, NULL, 10);
		char want[32];
		snprintf(want, sizeof(want), "%ld 0 obj", i);
		assert_memory_equal(s + off, want, strlen(want));
	}
}

static void test_pdfw(void **state)
{
	(void)state;
	buf_t b;
	buf_init(&b, 1 << 20);
	struct pdfw *w = pdfw_begin(&b);
	const uint8_t fake[] = {0x00, 0x10, 0x01, 0xff};
	struct pdfw_strip s[2] = {
		{fake, sizeof(fake), 100, PDFW_CCITT, -1, 0, 0},
		{fake, sizeof(fake), 50, PDFW_CCITT, 4, 1, 1},
	};
	assert_int_equal(pdfw_page(w, 1728, 204, 196, s, 2), 0);
	assert_int_equal(pdfw_page(w, 1728, 204, 98, s, 1), 0);
	assert_int_equal(pdfw_page(w, 0, 204, 98, s, 1), -1);
	assert_int_equal(pdfw_page(w, 1728, 0, 98, s, 1), -1);
	assert_int_equal(pdfw_page(w, 1728, 204, 98, s, 0), -1);
	assert_int_equal(pdfw_end(w), 0);
	check_pdf_xref(&b);
	assert_non_null(find(&b, "/Count 2"));
	assert_non_null(find(&b, "/K -1 /Columns 1728 /Rows 100"));
	assert_non_null(find(&b, "/K 4 /Columns 1728 /Rows 50 /EncodedByteAlign true"));
	assert_non_null(find(&b, "/Decode [1 0]"));
	/* 1728 px at 204 dpi = 609.88 pt; 150 rows at 196 dpi = 55.10 pt. */
	assert_non_null(find(&b, "/MediaBox [0 0 609.88 55.10]"));
	buf_free(&b);

	/* The ceiling fails the document instead of growing past it. */
	buf_init(&b, 600);
	w = pdfw_begin(&b);
	uint8_t big[1000] = {0};
	struct pdfw_strip bs = {big, sizeof(big), 10, PDFW_FLATE, 0, 0, 0};
	assert_int_equal(pdfw_page(w, 1728, 204, 98, &bs, 1), -1);
	assert_int_equal(pdfw_end(w), -1);
	buf_free(&b);
	/* No page: no document. */
	buf_init(&b, 1 << 16);
	assert_int_equal(pdfw_end(pdfw_begin(&b)), -1);
	buf_free(&b);
	assert_int_equal(pdfw_end(NULL), -1);
}

static struct font_data fdata;

static int fonts_setup(void **state)
{
	(void)state;
	char err[256];
	return font_data_load(&fdata, NULL, err, sizeof(err));
}

static int fonts_teardown(void **state)
{
	(void)state;
	font_data_free(&fdata);
	return 0;
}

/* The cut the header line makes, measured the slow way: the whole prefix
 * measured again after each character taken off the end. */
static size_t fit_slow(struct fonts *f, const char *s, size_t len, int width)
{
	while (len > 0 && fonts_measure(f, s, len) > width) {
		do
			len--;
		while (len > 0 && ((uint8_t)s[len] & 0xc0) == 0x80);
	}
	return len;
}

/* cover_fit (one pass) cuts where the slow way cuts: ASCII, accented and
 * CJK text, invalid and truncated UTF-8, a cut inside a character, every
 * width from nothing to more than the string. */
static void test_cover_fit(void **state)
{
	(void)state;
	struct fonts *f = fonts_new(&fdata);
	assert_non_null(f);
	assert_int_equal(fonts_select(f, FONT_SANS, 8.0, RENDER_XRES, 98), 0);
	static const char *const cases[] = {
		"ACME Clinique Saint-Luc, service de radiologie",
		"\xc3\xa9l\xc3\xa9ment \xc3\xa0 \xc3\xa9t\xc3\xa9 d\xc3\xa9j\xc3\xa0",
		"\xe6\x9d\xb1\xe4\xba\xac\xe9\x83\xbd WWW \xf0\x9f\x93\xa0 fax",
		"bad \xff\xfe bytes \x80\x80 and a cut \xe2\x82",
		"\xe2\x82\xac\xe2\x82\xac\xe2\x82",
		"",
	};
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		size_t n = strlen(cases[k]);
		for (size_t len = 0; len <= n; len++)
			for (int width = -1; width < 400; width += 3)
				if (cover_fit(f, cases[k], len, width) != fit_slow(f, cases[k], len, width))
					fail_msg("case %zu len %zu width %d: %zu, want %zu", k, len, width,
						cover_fit(f, cases[k], len, width),
						fit_slow(f, cases[k], len, width));
	}
	fonts_free(f);
}

static void test_header(void **state)
{
	(void)state;
	struct fonts *f = fonts_new(&fdata);
	assert_non_null(f);
	struct bitmap *b = bitmap_new(RENDER_WIDTH, 1143);
	bitmap_fill(b, 0, 0, RENDER_WIDTH, 1143, 1); /* a page all black */
	int band = cover_header_rows(98);
	assert_true(band > 8);
	cover_draw_header(f, b, 98, RENDER_LANG_EN, 1790000000000LL, "ACME", "+33 1 23 45 67 89", 2, 7);
	int black = count_black(b, 0, band);
	/* The band was cleared and text drawn on it; the rest of the page kept. */
	assert_true(black > 200 && black < RENDER_WIDTH * band / 3);
	assert_int_equal(count_black(b, band, 1143), RENDER_WIDTH * (1143 - band));
	/* The page number sits at the right: ink in the last 300 columns. */
	int right = 0;
	for (int y = 0; y < band; y++)
		for (int x = RENDER_WIDTH - 300; x < RENDER_WIDTH; x++)
			right += bitmap_get(b, x, y);
	assert_true(right > 20);
	/* An identity far too long is cut before the page number. */
	char longid[400];
	memset(longid, 'W', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = 0;
	struct bitmap *c = bitmap_new(RENDER_WIDTH, 200);
	cover_draw_header(f, c, 98, RENDER_LANG_FR, 1790000000000LL, longid, NULL, 1, 1);
	int gap = 0;
	for (int x = RENDER_WIDTH - 300; x < RENDER_WIDTH - 40; x++) {
		int col = 0;
		for (int y = 0; y < band; y++)
			col += bitmap_get(c, x, y);
		gap += col == 0;
	}
	assert_true(gap > 20);
	/* With the number, the identity is cut earlier and the number is
	 * drawn whole before the page number: the two lines differ only in
	 * the columns just left of that gap. */
	struct bitmap *cn = bitmap_new(RENDER_WIDTH, 200);
	cover_draw_header(f, cn, 98, RENDER_LANG_FR, 1790000000000LL, longid, "+15555550101", 1, 1);
	int gapn = 0, diff_left = 0, diff_near = 0;
	for (int x = 0; x < RENDER_WIDTH; x++) {
		int col = 0, d = 0;
		for (int y = 0; y < band; y++) {
			col += bitmap_get(cn, x, y);
			d += bitmap_get(cn, x, y) != bitmap_get(c, x, y);
		}
		if (x >= RENDER_WIDTH - 300 && x < RENDER_WIDTH - 40)
			gapn += col == 0;
		if (x < RENDER_WIDTH / 2)
			diff_left += d;
		else if (x < RENDER_WIDTH - 300)
			diff_near += d;
	}
	assert_true(gapn > 20);
	assert_int_equal(diff_left, 0);
	assert_true(diff_near > 50);
	bitmap_free(cn);
	bitmap_free(c);
	/* English and French lines differ ("From:" and "De :", the date);
	 * without identity or number there is no label at all. */
	struct bitmap *en = bitmap_new(RENDER_WIDTH, band), *fr = bitmap_new(RENDER_WIDTH, band),
		      *bare = bitmap_new(RENDER_WIDTH, band);
	cover_draw_header(f, en, 98, RENDER_LANG_EN, 1790000000000LL, "ACME", "+15555550101", 1, 2);
	cover_draw_header(f, fr, 98, RENDER_LANG_FR, 1790000000000LL, "ACME", "+15555550101", 1, 2);
	cover_draw_header(f, bare, 98, RENDER_LANG_EN, 1790000000000LL, "", NULL, 1, 2);
	assert_memory_not_equal(en->bits, fr->bits, (size_t)band * en->stride);
	assert_true(count_black(bare, 0, band) > 100);
	assert_true(count_black(en, 0, band) > count_black(bare, 0, band) + 200);
	bitmap_free(en);
	bitmap_free(fr);
	bitmap_free(bare);
	bitmap_free(b);
	fonts_free(f);

	char d[64];
	cover_format_date(1790000000000LL, RENDER_LANG_EN, d, sizeof(d));
	assert_string_equal(d, "2026-09-21 14:13 UTC");
	cover_format_date(1790000000000LL, RENDER_LANG_FR, d, sizeof(d));
	assert_string_equal(d, "21/09/2026 14:13 UTC");
}

/* bitmap_fill against a pixel-by-pixel fill: every start and end bit of
 * a byte, both colours, clipping. */
static void test_fill(void **state)
{
	(void)state;
	struct bitmap *a = bitmap_new(53, 4), *b = bitmap_new(53, 4);
	uint32_t seed = 99;
	for (int x = -3; x < 56; x++) {
		for (int w = -1; w < 60; w++) {
			for (int black = 0; black < 2; black++) {
				for (size_t i = 0; i < (size_t)a->h * a->stride; i++) {
					seed = seed * 1103515245u + 12345u;
					a->bits[i] = b->bits[i] = (uint8_t)(seed >> 16);
				}
				bitmap_fill(a, x, 1, w, 2, black);
				for (int yy = 1; yy < 3; yy++)
					for (int xx = x; xx < x + w; xx++) {
						if (xx < 0 || xx >= b->w)
							continue;
						uint8_t m = (uint8_t)(0x80 >> (xx & 7));
						uint8_t *p = &b->bits[(size_t)yy * b->stride + (xx >> 3)];
						*p = black ? (uint8_t)(*p | m) : (uint8_t)(*p & ~m);
					}
				assert_memory_equal(a->bits, b->bits, (size_t)a->h * a->stride);
			}
		}
	}
	bitmap_free(a);
	bitmap_free(b);
}

/* The T.6 coder's changing elements, found a word at a time, against a
 * pixel-by-pixel reference: random rows, long runs, edges, every width
 * from 1 to 200 and the fax width. */
static int changes_ref(const uint8_t *line, int w, int *c)
{
	int n = 0, prev = 0;
	for (int x = 0; x < w; x++) {
		int v = (line[x >> 3] >> (7 - (x & 7))) & 1;
		if (v != prev)
			c[n++] = x;
		prev = v;
	}
	return n;
}

static void test_g4_changes(void **state)
{
	(void)state;
	enum { WMAX = RENDER_WIDTH };
	uint8_t line[WMAX / 8 + 8];
	int got[WMAX + 11], want[WMAX + 11];
	uint32_t seed = 7;
	for (int round = 0; round < 3000; round++) {
		int w = round < 2000 ? 1 + round % 200 : WMAX;
		int kind = (round / 7) % 5;
		for (size_t i = 0; i < sizeof(line); i++) {
			seed = seed * 1103515245u + 12345u;
			uint8_t r = (uint8_t)(seed >> 16);
			line[i] = kind == 0 ? r : kind == 1 ? 0 : kind == 2 ? 0xff
				: kind == 3 ? (r & 1 ? 0xff : 0) : (r < 16 ? r : 0);
		}
		/* Bits past the width are whatever the row holds. */
		int n = g4_row_changes(line, w, got);
		int m = changes_ref(line, w, want);
		assert_int_equal(n, m);
		assert_memory_equal(got, want, (size_t)n * sizeof(int));
		assert_int_equal(got[n], w);
		assert_int_equal(got[n + 1], w);
		assert_int_equal(got[n + 2], w);
	}
}

/* The T.6 coder byte for byte as libtiff's (which follows the mode
 * choices of T.4 4.2.1.3.4 to the letter), on pages of every kind: noise,
 * sparse dots, blocks like text, rows repeated, runs past 2560, pixels
 * alternating, all white, all black, stripes whose edges move by 0 to 12
 * pixels a row (every vertical mode, passes and horizontal modes next to
 * each other), and widths that are not the fax width. */
static void test_g4_libtiff(void **state)
{
	(void)state;
	const int widths[] = {RENDER_WIDTH, 1, 7, 64, 100, 2600, 5200};
	uint32_t seed = 31;
	char path[] = "/tmp/fv-test-g4-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	for (size_t wi = 0; wi < sizeof(widths) / sizeof(widths[0]); wi++) {
		for (int kind = 0; kind < 9; kind++) {
			int w = widths[wi], h = 60;
			size_t stride = (size_t)(w + 7) / 8;
			uint8_t *bits = calloc((size_t)h, stride);
			assert_non_null(bits);
			int off = 1000;
			for (int y = 0; y < h; y++) {
				uint8_t *row = bits + (size_t)y * stride;
				/* kind 8: the stripes move by -4 .. +4 pixels a row, once,
				 * twice or three times that depending on x. */
				off += (int)((uint32_t)(y * 7 + 3) % 9) - 4;
				if (kind == 3 && y % 3 != 0 && y > 0) {
					memcpy(row, row - stride, stride);
					continue;
				}
				for (int x = 0; x < w; x++) {
					seed = seed * 1103515245u + 12345u;
					uint32_t r = seed >> 16;
					int on = kind == 0 ? (int)(r & 1) : kind == 1 ? r % 211 == 0
						: kind == 2 ? ((x / 9 + y / 5) % 3 == 0 && r % 5 != 0)
						: kind == 3 ? (x % 37 < 5 + y % 7)
						: kind == 4 ? (x > w / 3 && x < w - 2) || x == 0
						: kind == 5 ? (x + y / 2) % 2 == 0
						: kind == 6 ? 0
						: kind == 7 ? 1
						: (x + off * (1 + x / 97 % 3)) % (33 + x / 300 % 3 * 7) < 7 + x / 97 % 20;
					if (on)
						row[x >> 3] |= (uint8_t)(0x80 >> (x & 7));
				}
			}
			TIFF *o = TIFFOpen(path, "w");
			assert_non_null(o);
			TIFFSetField(o, TIFFTAG_IMAGEWIDTH, (uint32_t)w);
			TIFFSetField(o, TIFFTAG_IMAGELENGTH, (uint32_t)h);
			TIFFSetField(o, TIFFTAG_BITSPERSAMPLE, 1);
			TIFFSetField(o, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX4);
			TIFFSetField(o, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
			TIFFSetField(o, TIFFTAG_FILLORDER, FILLORDER_MSB2LSB);
			TIFFSetField(o, TIFFTAG_ROWSPERSTRIP, (uint32_t)h);
			for (int y = 0; y < h; y++)
				assert_int_equal(TIFFWriteScanline(o, bits + (size_t)y * stride, (uint32_t)y, 0), 1);
			TIFFClose(o);
			o = TIFFOpen(path, "r");
			assert_non_null(o);
			uint64_t *bc;
			assert_true(TIFFGetField(o, TIFFTAG_STRIPBYTECOUNTS, &bc));
			uint8_t *raw = malloc((size_t)bc[0]);
			assert_non_null(raw);
			tmsize_t n = TIFFReadRawStrip(o, 0, raw, (tmsize_t)bc[0]);
			TIFFClose(o);
			size_t len;
			uint8_t *g4 = g4_encode(bits, w, h, stride, &len);
			if ((size_t)n != len || memcmp(raw, g4, len) != 0)
				fail_msg("width %d, page kind %d: %zu bytes, libtiff's %ld", w, kind, len, (long)n);
			free(g4);
			free(raw);
			free(bits);
		}
	}
	unlink(path);
}

/* Header lines from the glyph cache: the same pixels as FreeType drawing
 * each glyph afresh (cache off), every page number of a long fax, both
 * languages and resolutions, a name cut to fit; and from the second page
 * on, no glyph asked of FreeType at all. */
static void test_header_cache(void **state)
{
	(void)state;
	struct fonts *cached = fonts_new(&fdata), *plain = fonts_new(&fdata);
	assert_non_null(cached);
	assert_non_null(plain);
	fonts_set_cache(plain, 0);
	char longid[300];
	memset(longid, 'W', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = 0;
	const char *ids[] = {"ACME Société Générale", longid, ""};
	for (int yres = 98; yres <= 196; yres += 98) {
		for (int lang = 0; lang < 2; lang++) {
			enum render_lang l = lang ? RENDER_LANG_FR : RENDER_LANG_EN;
			for (size_t k = 0; k < 3; k++) {
				int band = cover_header_rows(yres);
				struct bitmap *a = bitmap_new(RENDER_WIDTH, band + 3),
					      *b = bitmap_new(RENDER_WIDTH, band + 3);
				/* (the long name costs a measure per character cut: a
				 * few pages of it) */
				for (int n = 1; n <= 120; n += k == 1 ? 59 : n < 12 ? 1 : 9) {
					memset(a->bits, 0, (size_t)a->h * a->stride);
					memset(b->bits, 0, (size_t)b->h * b->stride);
					unsigned long before = fonts_ft_loads(cached);
					cover_draw_header(cached, a, yres, l, 1790000000000LL, ids[k],
						"+33 1 23 45 67 89", n, 120);
					cover_draw_header(plain, b, yres, l, 1790000000000LL, ids[k],
						"+33 1 23 45 67 89", n, 120);
					assert_memory_equal(a->bits, b->bits, (size_t)a->h * a->stride);
					if (n > 1 && k == 0)
						assert_int_equal(fonts_ft_loads(cached), before);
				}
				bitmap_free(a);
				bitmap_free(b);
			}
		}
	}
	/* A cover page (several faces and sizes in turn) the same, cached. */
	struct render_opts o;
	render_opts_init(&o);
	o.cover_subject = "Quarterly report";
	o.from = "ACME";
	o.to = "+33 1 23 45 67 89";
	o.cover_text = "A note with accents: été, garçon, naïve, and an arrow →.";
	for (int i = 0; i < 2; i++) {
		struct bitmap *a = cover_page(cached, 98, &o, 1790000000000LL, 3);
		struct bitmap *b = cover_page(plain, 98, &o, 1790000000000LL, 3);
		assert_memory_equal(a->bits, b->bits, (size_t)a->h * a->stride);
		bitmap_free(a);
		bitmap_free(b);
	}
	fonts_free(plain);
	/* Kept between jobs: taken back with its glyphs. */
	const struct font_data *shared = &fdata;
	struct fonts *t = fonts_take(shared);
	fonts_give(t);
	struct fonts *t2 = fonts_take(shared);
	assert_ptr_equal(t, t2);
	fonts_free(t2);
	fonts_free(cached);
}

static void test_cover(void **state)
{
	(void)state;
	struct fonts *f = fonts_new(&fdata);
	struct render_opts o;
	render_opts_init(&o);
	o.cover_subject = "Quarterly report";
	o.from = "ACME";
	o.to = "+33 1 23 45 67 89";
	o.cover_text = "A rather long note that has to wrap over more than one line of the cover "
		"page, with accents: été, garçon, naïve, and a very long word "
		"Pneumonoultramicroscopicsilicovolcanoconiosis-Pneumonoultramicroscopicsilicovolcanoconiosis.";
	struct bitmap *en = cover_page(f, 98, &o, 1790000000000LL, 3);
	o.lang = RENDER_LANG_FR;
	struct bitmap *fr = cover_page(f, 98, &o, 1790000000000LL, 3);
	assert_int_equal(en->w, RENDER_WIDTH);
	assert_int_equal(en->h, RASTER_A4_ROWS(98));
	assert_true(count_black(en, 0, en->h) > 2000);
	assert_memory_not_equal(en->bits, fr->bits, (size_t)en->h * en->stride);
	/* Nothing drawn in the side margins. */
	int margin = 0;
	for (int y = 0; y < en->h; y++)
		for (int x = 0; x < 100; x++)
			margin += bitmap_get(en, x, y) + bitmap_get(en, RENDER_WIDTH - 1 - x, y);
	assert_int_equal(margin, 0);
	struct bitmap *fine = cover_page(f, 196, &o, 1790000000000LL, 3);
	assert_int_equal(fine->h, RASTER_A4_ROWS(196));
	bitmap_free(fine);
	bitmap_free(en);
	bitmap_free(fr);
	fonts_free(f);
	char err[64];
	struct font_data bad;
	assert_int_equal(font_data_load(&bad, "/nonexistent", err, sizeof(err)), -1);
	/* The shared copy: read once per directory, the same bytes as a load,
	 * and a directory without the fonts refused each time (not kept). */
	const struct font_data *sh = font_data_shared(NULL, err, sizeof(err));
	assert_non_null(sh);
	assert_ptr_equal(font_data_shared(NULL, err, sizeof(err)), sh);
	for (int i = 0; i < FONT_COUNT_; i++) {
		assert_int_equal(sh->len[i], fdata.len[i]);
		assert_memory_equal(sh->bytes[i], fdata.bytes[i], fdata.len[i]);
	}
	assert_null(font_data_shared("/nonexistent", err, sizeof(err)));
	assert_null(font_data_shared("/nonexistent", err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent"));
}

/* In the sandbox: files cannot be opened, sockets not created, processes
 * not started; what the child was given still works. */
static int probe_child(struct sandbox_child *c, void *arg)
{
	int fd = *(int *)arg;
	int open_denied = open("/etc/hostname", O_RDONLY) < 0 && errno == EACCES;
	int sock_denied = socket(AF_INET, SOCK_STREAM, 0) < 0;
	pid_t p = fork();
	if (p == 0)
		_exit(0);
	int fork_denied = p < 0;
	int write_ok = write(fd, "ok", 2) == 2;
	sandbox_report_info(c, open_denied && sock_denied, fork_denied, write_ok);
	return 0;
}

static int crash_child(struct sandbox_child *c, void *arg)
{
	(void)c;
	(void)arg;
	raise(SIGSEGV);
	return 0;
}

static int liar_child(struct sandbox_child *c, void *arg)
{
	(void)arg;
	sandbox_report_pages(c, 2);
	for (int i = 0; i < 5; i++)
		sandbox_report_progress(c, i + 1);
	return 0;
}

static int ok_child(struct sandbox_child *c, void *arg)
{
	(void)arg;
	sandbox_report_pages(c, 1);
	sandbox_report_progress(c, 1);
	return 0;
}

static int sleeper_child(struct sandbox_child *c, void *arg)
{
	(void)c;
	(void)arg;
	for (;;)
		pause();
	return 0;
}

static int failing_child(struct sandbox_child *c, void *arg)
{
	(void)arg;
	sandbox_report_fail(c, RENDER_E_ENCRYPTED, "detail");
	return 1;
}

static void test_proc_field(void **state)
{
	(void)state;
	char path[] = "/tmp/fv-render-proc-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *stat = "42 (a b) c) S 7  8 x\n";
	assert_int_equal(write(fd, stat, strlen(stat)), (ssize_t)strlen(stat));
	close(fd);
	assert_int_equal(sandbox_proc_field(path, 1), 42);
	assert_int_equal(sandbox_proc_field(path, 3), -1); /* "S" */
	assert_int_equal(sandbox_proc_field(path, 4), 7);
	assert_int_equal(sandbox_proc_field(path, 5), 8);
	assert_int_equal(sandbox_proc_field(path, 6), -1);
	assert_int_equal(sandbox_proc_field(path, 9), -1);
	unlink(path);
	assert_int_equal(sandbox_proc_field(path, 1), -1);
	assert_true(sandbox_proc_field("/proc/self/stat", 20) >= 1); /* threads */
	assert_true(sandbox_proc_field("/proc/self/statm", 1) > 0);
}

static void test_sandbox(void **state)
{
	(void)state;
	struct sandbox_limits lim = {5000, 5, (size_t)256 << 20, 3, NULL, NULL};
	struct sandbox_out so;
	struct render_result r;
	FILE *f = tmpfile();
	int fd = fileno(f);
	assert_int_equal(sandbox_run(probe_child, &fd, &fd, 1, &lim, &so, &r), 0);
	assert_int_equal(so.info[0], 1);
	assert_int_equal(so.info[1], 1);
	assert_int_equal(so.info[2], 1);
	fclose(f);

	assert_int_equal(sandbox_run(crash_child, NULL, NULL, 0, &lim, &so, &r), -1);
	assert_int_equal(r.fail, RENDER_E_CRASH);
	assert_int_equal(sandbox_run(liar_child, NULL, NULL, 0, &lim, &so, &r), -1);
	assert_int_equal(r.fail, RENDER_E_TOO_MANY_PAGES);
	assert_int_equal(sandbox_run(failing_child, NULL, NULL, 0, &lim, &so, &r), -1);
	assert_int_equal(r.fail, RENDER_E_ENCRYPTED);
	assert_string_equal(r.detail, "detail");
	lim.timeout_ms = 100;
	assert_int_equal(sandbox_run(sleeper_child, NULL, NULL, 0, &lim, &so, &r), -1);
	assert_int_equal(r.fail, RENDER_E_TIMEOUT);
	/* Every child was reaped. */
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	/* A caller that lets the kernel reap its children loses the status:
	 * nothing is trusted then. */
	lim.timeout_ms = 5000;
	signal(SIGCHLD, SIG_IGN);
	int rc = sandbox_run(ok_child, NULL, NULL, 0, &lim, &so, &r);
	signal(SIGCHLD, SIG_DFL);
	assert_int_equal(rc, -1);
	assert_int_equal(r.fail, RENDER_E_INTERNAL);
	/* And the same child is fine otherwise. */
	assert_int_equal(sandbox_run(ok_child, NULL, NULL, 0, &lim, &so, &r), 0);
	assert_int_equal(so.pages, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sniff),
		cmocka_unit_test(test_text_kind),
		cmocka_unit_test(test_fail_codes),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_textdoc),
		cmocka_unit_test(test_geometry),
		cmocka_unit_test(test_page_stream),
		cmocka_unit_test(test_dither),
		cmocka_unit_test(test_fill),
		cmocka_unit_test(test_g4_changes),
		cmocka_unit_test(test_g4_libtiff),
		cmocka_unit_test(test_thinline),
		cmocka_unit_test(test_tiffw),
		cmocka_unit_test(test_pdfw),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_cover_fit),
		cmocka_unit_test(test_header_cache),
		cmocka_unit_test(test_cover),
		cmocka_unit_test(test_proc_field),
		cmocka_unit_test(test_sandbox),
	};
	return cmocka_run_group_tests(tests, fonts_setup, fonts_teardown);
}
