/* Unit tests of our glyph path for black text (textdev.h): each page is
 * drawn twice by MuPDF's draw device at the fax's scale, once as MuPDF
 * draws it and once with our fill_text and clip_path on it, and the two
 * must be the same bytes; the counts of glyphs painted by us and handed to
 * MuPDF show which path drew them (text on the page and inside
 * axis-aligned rectangle clips by us, a glyph across a clip's edge and
 * text under any other clip, mask or group by MuPDF). Then the bilevel
 * page: glyphs set straight into it while nothing else draws, and the
 * page dithered as the renderer does, the same bits as MuPDF's page
 * dithered. Last, glyphs at whole pixels (as the renderer asks): one mask
 * a glyph whatever its subpixel position, each glyph within one pixel of
 * where MuPDF draws it, and the same bytes where it is at a whole pixel. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mupdf/fitz.h>

#include "bitmap.h"
#include "textdev.h"

#define PAGE_W 1728
#define XSCALE (1728.0f / 612.0f)
#define YSCALE (XSCALE * 98.0f / 204.0f)

/* A one-page PDF (612 x 792 pt) around content, with fonts F1 (Helvetica),
 * F2 (Times-Roman), F3 (a Type 3 font whose "a" is a filled square),
 * and when content sets one, graphics states GA (alpha 0.5) and GM (blend
 * mode Multiply). The caller frees it. */
static unsigned char *make_pdf(const char *content, size_t *len)
{
	static const char t3proc[] = "1000 0 0 0 1000 1000 d1 100 0 800 1000 re f";
	char obj[9][600];
	snprintf(obj[1], sizeof(obj[1]), "<< /Type /Catalog /Pages 2 0 R >>");
	snprintf(obj[2], sizeof(obj[2]), "<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
	/* Graphics states only where the content uses them: MuPDF draws a
	 * page whose resources hold transparency inside a group. */
	snprintf(obj[3], sizeof(obj[3]), "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
		"/Resources << /Font << /F1 5 0 R /F2 6 0 R /F3 7 0 R >> %s >> /Contents 4 0 R >>",
		strstr(content, " gs") ? "/ExtGState << /GA << /ca 0.5 /CA 0.5 >> /GM << /BM /Multiply >> >>" :
		"");
	obj[4][0] = 0; /* the content stream, written below */
	snprintf(obj[5], sizeof(obj[5]), "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>");
	snprintf(obj[6], sizeof(obj[6]), "<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman >>");
	snprintf(obj[7], sizeof(obj[7]), "<< /Type /Font /Subtype /Type3 /FontBBox [0 0 1000 1000] "
		"/FontMatrix [0.001 0 0 0.001 0 0] /CharProcs << /a 8 0 R >> /Encoding << /Type "
		"/Encoding /Differences [97 /a] >> /FirstChar 97 /LastChar 97 /Widths [1000] "
		"/Resources << >> >>");
	snprintf(obj[8], sizeof(obj[8]), "<< /Length %zu >> stream\n%s\nendstream", strlen(t3proc),
		t3proc);
	size_t clen = strlen(content), cap = clen + 8192, n = 0, off[9];
	unsigned char *b = malloc(cap);
	assert_non_null(b);
	n += (size_t)snprintf((char *)b, cap, "%%PDF-1.4\n");
	for (int i = 1; i <= 8; i++) {
		off[i] = n;
		if (i == 4) {
			n += (size_t)snprintf((char *)b + n, cap - n, "4 0 obj << /Length %zu >> stream\n",
				clen);
			memcpy(b + n, content, clen);
			n += clen;
			n += (size_t)snprintf((char *)b + n, cap - n, "\nendstream endobj\n");
		} else {
			n += (size_t)snprintf((char *)b + n, cap - n, "%d 0 obj %s endobj\n", i, obj[i]);
		}
	}
	size_t xref = n;
	n += (size_t)snprintf((char *)b + n, cap - n, "xref\n0 9\n0000000000 65535 f \n");
	for (int i = 1; i <= 8; i++)
		n += (size_t)snprintf((char *)b + n, cap - n, "%010zu 00000 n \n", off[i]);
	n += (size_t)snprintf((char *)b + n, cap - n,
		"trailer << /Size 9 /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n", xref);
	assert_true(n < cap);
	*len = n;
	return b;
}

struct drawn {
	unsigned char *mu, *ours; /* grey samples, PAGE_W x h */
	int h;
	struct textdev_stats st;  /* of the drawing with ours */
	/* With bilevel: the pages as the renderer makes them, MuPDF's grey
	 * page dithered, and ours: glyphs set as bits while nothing else
	 * draws, the grey page dithered over them only if it was used. */
	struct bitmap *bmu, *bours;
	int grey_used;
};

/* Whether the cache draw_pages makes puts glyphs at whole pixels. */
static int draw_whole;

/* Draws content's page at the fax's scale, white first, text
 * anti-aliasing off as in the renderer: with MuPDF alone, then with
 * textdev attached (and the bilevel pages with bilevel). */
static void draw_pages(const char *content, struct drawn *d, int bilevel)
{
	memset(d, 0, sizeof(*d));
	size_t len;
	unsigned char *pdf = make_pdf(content, &len);
	fz_context *ctx = fz_new_context(NULL, NULL, FZ_STORE_DEFAULT);
	assert_non_null(ctx);
	fz_set_text_aa_level(ctx, 0);
	fz_set_graphics_aa_level(ctx, 0);
	fz_register_document_handlers(ctx);
	fz_stream *stm = NULL;
	fz_document *doc = NULL;
	fz_page *page = NULL;
	struct textdev_cache *tc = NULL;
	int failed = 0;
	fz_var(stm);
	fz_var(doc);
	fz_var(page);
	fz_var(tc);
	fz_try(ctx)
	{
		stm = fz_open_memory(ctx, pdf, len);
		doc = fz_open_document_with_stream(ctx, "application/pdf", stm);
		page = fz_load_page(ctx, doc, 0);
		fz_matrix m = fz_scale(XSCALE, YSCALE);
		fz_irect box = fz_round_rect(fz_transform_rect(fz_bound_page(ctx, page), m));
		d->h = box.y1 - box.y0;
		tc = textdev_cache_new(ctx, draw_whole);
		for (int k = 0; k < 2; k++) {
			unsigned char *s = malloc((size_t)PAGE_W * (size_t)d->h);
			if (!s)
				fz_throw(ctx, FZ_ERROR_GENERIC, "out of memory");
			memset(s, 255, (size_t)PAGE_W * (size_t)d->h);
			*(k ? &d->ours : &d->mu) = s;
			fz_pixmap *pix = fz_new_pixmap_with_data(ctx, fz_device_gray(ctx), PAGE_W, d->h, NULL, 0,
				PAGE_W, s);
			struct bitmap *b = NULL;
			if (bilevel)
				b = *(k ? &d->bours : &d->bmu) = bitmap_new(PAGE_W, d->h);
			fz_device *dev = fz_new_draw_device(ctx, fz_identity, pix);
			if (k)
				textdev_attach(ctx, dev, pix, tc, b ? b->bits : NULL, b ? (size_t)b->stride : 0);
			fz_run_page(ctx, page, dev, m, NULL);
			fz_close_device(ctx, dev);
			/* MuPDF's own page is always grey (asking textdev about a
			 * device it is not on could match a freed device of an
			 * earlier drawing at the same address). */
			int used = k ? textdev_grey_used(dev) : 1;
			if (k)
				d->grey_used = used;
			if (b && used)
				bitmap_dither_gray(b, 0, 0, s, PAGE_W, d->h, PAGE_W);
			fz_drop_device(ctx, dev);
			fz_drop_pixmap(ctx, pix);
		}
		textdev_cache_stats(tc, &d->st);
	}
	fz_always(ctx)
	{
		textdev_cache_drop(ctx, tc);
		fz_drop_page(ctx, page);
		fz_drop_document(ctx, doc);
		fz_drop_stream(ctx, stm);
	}
	fz_catch(ctx)
	{
		failed = 1;
	}
	fz_drop_context(ctx);
	free(pdf);
	assert_false(failed);
}

static long ink(const unsigned char *s, int h, int x0, int y0, int x1, int y1)
{
	long n = 0;
	for (int y = y0 < 0 ? 0 : y0; y < y1 && y < h; y++)
		for (int x = x0 < 0 ? 0 : x0; x < x1 && x < PAGE_W; x++)
			n += s[(size_t)y * PAGE_W + (size_t)x] != 255;
	return n;
}

/* Both drawings the same bytes, with ink. */
static void assert_same(const struct drawn *d)
{
	long diff = 0;
	for (size_t i = 0; i < (size_t)PAGE_W * (size_t)d->h; i++)
		diff += d->mu[i] != d->ours[i];
	if (diff)
		fail_msg("%ld pixels differ from MuPDF's own drawing (glyphs ours %lu, MuPDF's %lu)", diff,
			d->st.ours, d->st.theirs);
	assert_true(ink(d->mu, d->h, 0, 0, PAGE_W, d->h) > 500);
}

static void drawn_free(struct drawn *d)
{
	free(d->mu);
	free(d->ours);
	bitmap_free(d->bmu);
	bitmap_free(d->bours);
}

/* Device pixel of a page point (the page's y goes up). */
static int px(float x)
{
	return (int)(x * XSCALE);
}

static int py(float y)
{
	return (int)((792 - y) * YSCALE);
}

/* Text on the page, no clip: ours, in two fonts and four sizes; a line
 * that runs off the page's left and right edges leaves its cut glyphs to
 * MuPDF. */
static void test_textdev_page(void **state)
{
	(void)state;
	struct drawn d;
	draw_pages("BT /F1 10 Tf 72 700 Td (Typeset manuals: the coder, the page buffer, 0123456789.) Tj "
		"/F2 12 Tf 0 -20 Td (The fax service keeps each page of a job in durable storage.) Tj "
		"/F1 7 Tf 0 -20 Td [(Kerned) -250 (text) 120 (with) -80 (adjustments)] TJ "
		"/F2 24 Tf 0 -40 Td (Headline, large) Tj ET "
		"BT /F1 14 Tf -30 400 Td (Edge to edge: this line is longer than the page is wide, "
		"on both of its sides, surely.) Tj ET",
		&d, 0);
	assert_same(&d);
	assert_true(d.st.ours > 150);
	assert_true(d.st.theirs >= 2);
	assert_true(d.st.theirs < 20);
	drawn_free(&d);
}

/* Text wholly inside rectangle clips (a "re" clip, a clip by four lines
 * nested in it, and a clip popped before more text): all of it ours. */
static void test_textdev_rect_clip(void **state)
{
	(void)state;
	struct drawn d;
	draw_pages("q 50 300 500 400 re W n "
		"BT /F1 12 Tf 72 650 Td (Inside a rectangle clip, as pdfTeX and groff pages are.) Tj ET "
		"q 60 310 m 540 310 l 540 600 l 60 600 l h W n "
		"BT /F2 11 Tf 72 500 Td (Inside two nested clips, one drawn with lines.) Tj ET Q "
		"BT /F1 9 Tf 72 350 Td (Back in the first clip alone.) Tj ET Q "
		"BT /F1 12 Tf 72 200 Td (And after it, on the page.) Tj ET",
		&d, 0);
	assert_same(&d);
	assert_true(d.st.ours > 100);
	assert_int_equal(d.st.theirs, 0);
	drawn_free(&d);
}

/* Text across a rectangle clip's edges: the glyphs inside are ours, those
 * across an edge MuPDF's, and nothing is drawn outside the rectangle. */
static void test_textdev_clip_edge(void **state)
{
	(void)state;
	struct drawn d;
	draw_pages("q 100 400 200 60 re W n "
		"BT /F1 14 Tf 60 440 Td (Crossing the left and the right edge of the clip, surely.) Tj "
		"0 -36 Td (A second line, across the bottom edge of the clip.) Tj ET Q",
		&d, 0);
	assert_same(&d);
	assert_true(d.st.ours > 10);
	assert_true(d.st.theirs > 4);
	/* No ink outside the clip (one pixel of rounding allowed). */
	long in = ink(d.ours, d.h, px(100) - 1, py(460) - 1, px(300) + 2, py(400) + 2);
	assert_true(in > 100);
	assert_int_equal(ink(d.ours, d.h, 0, 0, PAGE_W, d.h), in);
	drawn_free(&d);
}

/* Clips that are not axis-aligned rectangles (a triangle, a disc of
 * curves, a rectangle turned by 15 degrees): MuPDF draws every glyph. */
static void test_textdev_other_clip(void **state)
{
	(void)state;
	const char *pages[] = {
		"q 80 300 m 540 300 l 300 720 l h W n "
		"BT /F1 16 Tf 72 500 Td (Inside a triangle, through its sides as well.) Tj ET Q",
		"q 300 500 m 300 610 390 700 500 700 c 610 700 700 610 700 500 c "
		"700 390 610 300 500 300 c 390 300 300 390 300 500 c h W n "
		"BT /F1 16 Tf 280 500 Td (Inside a disc of curves.) Tj ET Q",
		"q 0.966 0.259 -0.259 0.966 0 0 cm 150 300 400 200 re W n "
		"0.966 -0.259 0.259 0.966 0 0 cm BT /F1 14 Tf 120 420 Td (A turned rectangle clip.) Tj ET Q",
	};
	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		struct drawn d;
		draw_pages(pages[i], &d, 0);
		assert_same(&d);
		assert_int_equal(d.st.ours, 0);
		assert_true(d.st.theirs > 10);
		drawn_free(&d);
	}
}

/* Turned text (30 degrees, a quarter turn, a quarter turn inside a
 * rectangle clip turned with it, as on a landscape page turned for the
 * fax) and shear: the same quantised matrices as MuPDF's, the same
 * pixels, ours. */
static void test_textdev_rotated(void **state)
{
	(void)state;
	struct drawn d;
	draw_pages("BT /F1 14 Tf 0.866 0.5 -0.5 0.866 100 200 Tm (Turned by thirty degrees, 0123.) Tj ET "
		"BT /F2 12 Tf 0 1 -1 0 500 150 Tm (A quarter turn, as a landscape page.) Tj ET "
		"q 0 1 -1 0 612 0 cm 300 100 400 200 re W n "
		"BT /F1 12 Tf 320 200 Td (Quarter turn inside a clip turned with it.) Tj ET Q "
		"BT /F1 12 Tf 1 0 0.3 1 72 700 Tm (Slanted by a shear.) Tj ET",
		&d, 0);
	assert_same(&d);
	assert_true(d.st.ours > 80);
	assert_int_equal(d.st.theirs, 0);
	drawn_free(&d);
}

/* What stays MuPDF's whatever the clip: a Type 3 font, glyphs larger than
 * MuPDF caches (it fills their outlines), text with alpha, text with a
 * blend mode (drawn in a group), text in another colour. */
static void test_textdev_fallback(void **state)
{
	(void)state;
	const char *pages[] = {
		"BT /F3 30 Tf 72 600 Td (aaaa aa a) Tj ET",
		"BT /F1 400 Tf 40 300 Td (Ag) Tj ET",
		"/GA gs BT /F1 20 Tf 72 600 Td (Half transparent text) Tj ET",
		"/GM gs BT /F1 20 Tf 72 600 Td (Multiplied text) Tj ET",
		"1 0 0 rg BT /F1 20 Tf 72 600 Td (Red text stays MuPDF's) Tj ET",
	};
	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		struct drawn d;
		draw_pages(pages[i], &d, 0);
		assert_same(&d);
		assert_int_equal(d.st.ours, 0);
		drawn_free(&d);
	}
}

static long bits_ink(const struct bitmap *b, int x0, int y0, int x1, int y1)
{
	long n = 0;
	for (int y = y0 < 0 ? 0 : y0; y < y1 && y < b->h; y++)
		for (int x = x0 < 0 ? 0 : x0; x < x1 && x < b->w; x++)
			n += (b->bits[(size_t)y * (size_t)b->stride + (size_t)(x >> 3)] >> (7 - (x & 7))) & 1;
	return n;
}

/* Pages of black text alone (on the page, in a rectangle clip) are set as
 * bits with the grey page left white; a page where something else draws
 * after the text (a white box over part of it, an image, a triangle clip
 * with text inside, a red line) moves the glyphs into the grey page first,
 * so what is drawn later covers them as in MuPDF's drawing: the bilevel
 * pages are the same bits either way. */
static void test_textdev_bits(void **state)
{
	(void)state;
	static const struct {
		const char *content;
		int grey;
	} pages[] = {
		{"BT /F1 12 Tf 72 700 Td (Black text alone, set as bits in the fax page.) Tj ET "
			"q 50 300 500 300 re W n BT /F2 14 Tf 72 500 Td (Inside a rectangle clip.) Tj ET Q "
			/* Near the right edge: a glyph's row as one word, then
			 * where the word would pass the row's end, by runs. */
			"BT /F1 12 Tf 580 100 Td (xxxx) Tj ET",
			0},
		{"BT /F1 24 Tf 72 600 Td (Text partly covered by a white box.) Tj ET "
			"1 g 150 590 200 40 re f",
			1},
		{"BT /F1 24 Tf 72 600 Td (Text under an image) Tj ET "
			"q 200 0 0 40 100 590 cm BI /W 2 /H 2 /CS /G /BPC 8 ID \x80\xff\x10\x40 EI Q",
			1},
		{"BT /F1 16 Tf 72 650 Td (Before the clip.) Tj ET "
			"q 80 300 m 540 300 l 300 720 l h W n 1 g 0 0 612 792 re f 0 g "
			"BT /F1 16 Tf 72 500 Td (Inside a triangle, through its sides.) Tj ET Q",
			1},
		{"BT /F1 20 Tf 72 600 Td (Struck through in red) Tj ET 1 0 0 RG 3 w 60 606 m 400 606 l S",
			1},
	};
	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		struct drawn d;
		draw_pages(pages[i].content, &d, 1);
		const struct bitmap *mu = d.bmu, *ours = d.bours;
		if (d.grey_used != pages[i].grey)
			fail_msg("page %zu: grey page used %d, want %d", i, d.grey_used, pages[i].grey);
		long black = bits_ink(mu, 0, 0, mu->w, mu->h);
		assert_true(black > 300);
		if (memcmp(mu->bits, ours->bits, (size_t)mu->h * (size_t)mu->stride) != 0)
			fail_msg("page %zu: the bilevel page differs from MuPDF's dithered (%ld against %ld "
				"black pixels)", i, bits_ink(ours, 0, 0, ours->w, ours->h), black);
		if (i == 1) /* the white box left no ink under it */
			assert_int_equal(bits_ink(ours, px(151), py(629), px(349), py(591)), 0);
		drawn_free(&d);
	}
}

/* Every ink pixel of a within one pixel across the row of an ink pixel
 * of b; the count of those that are not. */
static long ink_apart(const unsigned char *a, const unsigned char *b, int h)
{
	long n = 0;
	for (int y = 0; y < h; y++) {
		const unsigned char *ra = a + (size_t)y * PAGE_W, *rb = b + (size_t)y * PAGE_W;
		for (int x = 0; x < PAGE_W; x++)
			n += ra[x] != 255 && rb[x] == 255 && (x == 0 || rb[x - 1] == 255) &&
				(x == PAGE_W - 1 || rb[x + 1] == 255);
	}
	return n;
}

/* Our drawing at whole pixels against MuPDF's at subpixel positions:
 * each glyph moved by at most one pixel across, its ink the same to
 * within pct percent. */
static void assert_near(const struct drawn *d, int pct)
{
	long mu = ink(d->mu, d->h, 0, 0, PAGE_W, d->h), ours = ink(d->ours, d->h, 0, 0, PAGE_W, d->h);
	assert_true(mu > 500);
	long a = ink_apart(d->ours, d->mu, d->h), b = ink_apart(d->mu, d->ours, d->h);
	if (a || b)
		fail_msg("%ld of our ink pixels and %ld of MuPDF's more than one pixel from the other's",
			a, b);
	if (labs(ours - mu) * 100 > mu * pct)
		fail_msg("ink %ld against MuPDF's %ld", ours, mu);
}

/* Glyphs at whole pixels: one letter at forty positions a fraction of a
 * pixel apart is one mask (four at MuPDF's subpixel positions), each copy
 * within one pixel of MuPDF's; a page of text in two fonts and four sizes
 * stays within one pixel of MuPDF's drawing, from fewer masks; glyphs
 * whose origin is a whole pixel are the same bytes as MuPDF's. */
static void test_textdev_whole_pixels(void **state)
{
	(void)state;
	char content[8192];
	size_t n = 0;
	for (int k = 0; k < 40; k++)
		n += (size_t)snprintf(content + n, sizeof(content) - n,
			"BT /F1 10 Tf 1 0 0 1 %.3f %d Tm (a) Tj ET ", 100 + k * 0.027, 760 - 15 * k);
	struct drawn d;
	draw_whole = 1;
	draw_pages(content, &d, 0);
	assert_int_equal(d.st.ours, 40);
	assert_int_equal(d.st.rendered, 1);
	assert_near(&d, 2);
	drawn_free(&d);
	draw_whole = 0;
	draw_pages(content, &d, 0);
	assert_same(&d);
	assert_int_equal(d.st.rendered, 4);
	drawn_free(&d);

	static const char page[] =
		"BT /F1 10 Tf 72 700 Td (Typeset manuals: the coder, the page buffer, 0123456789.) Tj "
		"/F2 12 Tf 0 -20 Td (The fax service keeps each page of a job in durable storage.) Tj "
		"/F1 7 Tf 0 -20 Td [(Kerned) -250 (text) 120 (with) -80 (adjustments)] TJ "
		"/F2 24 Tf 0 -40 Td (Headline, large) Tj ET";
	struct drawn sub;
	draw_pages(page, &sub, 0);
	draw_whole = 1;
	draw_pages(page, &d, 0);
	assert_near(&d, 1);
	assert_int_equal(d.st.theirs, 0);
	if (!(d.st.rendered < sub.st.rendered))
		fail_msg("masks %lu, at subpixel positions %lu", d.st.rendered, sub.st.rendered);
	drawn_free(&d);
	drawn_free(&sub);

	/* Turned text (a quarter turn, as a landscape page turned for the
	 * fax, and 30 degrees): ours too, the ink within 2 % of MuPDF's. */
	draw_pages("BT /F2 12 Tf 0 1 -1 0 500 150 Tm (A quarter turn, as a landscape page.) Tj ET "
		"BT /F1 14 Tf 0.866 0.5 -0.5 0.866 100 200 Tm (Turned by thirty degrees, 0123.) Tj ET",
		&d, 0);
	if (d.st.ours < 50 || d.st.theirs != 0)
		fail_msg("turned text: %lu glyphs ours, %lu MuPDF's", d.st.ours, d.st.theirs);
	long mu = ink(d.mu, d.h, 0, 0, PAGE_W, d.h), ours = ink(d.ours, d.h, 0, 0, PAGE_W, d.h);
	if (labs(ours - mu) * 50 > mu)
		fail_msg("turned text: ink %ld against MuPDF's %ld", ours, mu);
	drawn_free(&d);

	/* Origins at whole device pixels (20 glyphs, 23 pixels apart). */
	n = 0;
	for (int k = 0; k < 20; k++)
		n += (size_t)snprintf(content + n, sizeof(content) - n,
			"BT /F2 11 Tf 1 0 0 1 %.5f %.5f Tm (%c) Tj ET ", (200 + 23 * k) / XSCALE,
			792 - (300 + 3 * k) / YSCALE, 'A' + k);
	draw_pages(content, &d, 0);
	assert_same(&d);
	assert_int_equal(d.st.ours, 20);
	drawn_free(&d);
	draw_whole = 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_textdev_page),
		cmocka_unit_test(test_textdev_rect_clip),
		cmocka_unit_test(test_textdev_clip_edge),
		cmocka_unit_test(test_textdev_other_clip),
		cmocka_unit_test(test_textdev_rotated),
		cmocka_unit_test(test_textdev_fallback),
		cmocka_unit_test(test_textdev_bits),
		cmocka_unit_test(test_textdev_whole_pixels),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
