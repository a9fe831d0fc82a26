/* Integration tests of the renderer: every input type rendered to TIFF-F
 * with the right page count, width and resolution; hostile documents
 * (corrupt, encrypted, wrong type, page/memory/time bombs) each refused with
 * its reason within its cap, leaving the caller's process clean; TIFF to
 * PDF and PNG; the CLI's JSON and exit codes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <pthread.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <tiffio.h>
#include <unistd.h>

#include "cover.h"
#include "helper.h"
#include "render.h"
#include "textdraw.h"

static char tmpdir[64];
/* Run with --helper: every render goes through faxvault-render-helper (the
 * daemon's way); with --helper-compose, the last document's pages are
 * finished by their helper too (compose_in_helper, as faxvaultd asks);
 * without: forked children (faxvault-fax's way). */
static const char *helper;
static int compose;

static void opts_init(struct render_opts *o)
{
	render_opts_init(o);
	o->helper_path = helper;
	o->compose_in_helper = compose;
}

static const struct render_opts *hopts(void)
{
	static struct render_opts o;
	opts_init(&o);
	return &o;
}

static const char *data(const char *name)
{
	static char path[8][512];
	static int k;
	k = (k + 1) % 8;
	snprintf(path[k], sizeof(path[k]), "%s/%s", RENDER_DATA_DIR, name);
	return path[k];
}

static const char *tmp(const char *name)
{
	static char path[8][512];
	static int k;
	k = (k + 1) % 8;
	snprintf(path[k], sizeof(path[k]), "%s/%s", tmpdir, name);
	return path[k];
}

static int count_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/fv-render-integ-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

struct tiff_facts {
	int pages;
	uint32_t width[64], rows[64];
	float yres[64];
	uint16_t comp[64];
};

static void read_tiff(const char *path, struct tiff_facts *f)
{
	memset(f, 0, sizeof(*f));
	TIFF *t = TIFFOpen(path, "r");
	assert_non_null(t);
	do {
		int i = f->pages++;
		assert_true(i < 64);
		TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &f->width[i]);
		TIFFGetField(t, TIFFTAG_IMAGELENGTH, &f->rows[i]);
		TIFFGetField(t, TIFFTAG_YRESOLUTION, &f->yres[i]);
		TIFFGetField(t, TIFFTAG_COMPRESSION, &f->comp[i]);
		/* Every row decodes. */
		uint8_t row[RENDER_WIDTH / 8];
		for (uint32_t y = 0; y < f->rows[i]; y++)
			assert_int_equal(TIFFReadScanline(t, row, y, 0), 1);
	} while (TIFFReadDirectory(t));
	TIFFClose(t);
}

static void render_one(const char *name, int fine, int want_pages)
{
	const char *in[] = {data(name)};
	const char *out = tmp("one.tif");
	struct render_opts o;
	opts_init(&o);
	o.fine = fine;
	struct render_result r;
	int rc = render_documents(in, 1, out, &o, &r);
	if (rc != 0)
		fail_msg("%s: %s (%s)", name, render_fail_code(r.fail), r.detail);
	assert_int_equal(r.pages, want_pages);
	assert_int_equal(r.width, 1728);
	assert_int_equal(r.xres, 204);
	assert_int_equal(r.yres, fine ? 196 : 98);
	struct tiff_facts f;
	read_tiff(out, &f);
	assert_int_equal(f.pages, want_pages);
	for (int i = 0; i < f.pages; i++) {
		assert_int_equal(f.width[i], 1728);
		assert_int_equal((int)f.yres[i], fine ? 196 : 98);
		assert_int_equal(f.comp[i], COMPRESSION_CCITTFAX4);
		assert_true(f.rows[i] > 100);
	}
}

static void test_types(void **state)
{
	(void)state;
	render_one("text3.pdf", 0, 3);
	render_one("text3.pdf", 1, 3);
	render_one("page.png", 0, 1);
	render_one("page.jpg", 1, 1);
	render_one("scan2.tif", 0, 2);      /* greyscale LZW */
	render_one("fax-g4.tif", 1, 3);     /* bilevel CCITT G4 */
	render_one("fax-g3.tif", 0, 2);     /* bilevel CCITT G3 */
	render_one("packbits.tif", 0, 1);   /* greyscale PackBits */
	render_one("rgb.tif", 1, 1);        /* RGB, uncompressed */
	render_one("letter.txt", 1, 2);
	/* A 200-inch page with a 1.6 GB image: scaled to the fax page, within caps. */
	render_one("bomb-dims.pdf", 0, 1);
}

/* A caller that already maps a lot (a daemon's heap, thread stacks) still
 * renders: the address-space cap comes on top of what the process maps. */
static void test_big_caller(void **state)
{
	(void)state;
	size_t big = (size_t)3 << 30;
	void *reserve = mmap(NULL, big, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	assert_true(reserve != MAP_FAILED);
	render_one("text3.pdf", 0, 3);
	munmap(reserve, big);
}

static void test_job_with_cover(void **state)
{
	(void)state;
	const char *in[] = {data("text3.pdf"), data("page.png"), data("page.jpg"), data("scan2.tif"),
		data("letter.txt")};
	struct render_opts o;
	opts_init(&o);
	o.fine = 1;
	o.coding = RENDER_CODING_MR;
	o.cover_subject = "Test";
	o.cover_text = "Five documents, ten pages.";
	o.from = "ACME";
	o.to = "+33 1 23 45 67 89";
	o.header = "ACME +33 1 99 99 99 99";
	o.lang = RENDER_LANG_FR;
	struct render_result r;
	assert_int_equal(render_documents(in, 5, tmp("job.tif"), &o, &r), 0);
	assert_int_equal(r.pages, 10);
	struct tiff_facts f;
	read_tiff(tmp("job.tif"), &f);
	assert_int_equal(f.pages, 10);
	assert_int_equal(f.comp[0], COMPRESSION_CCITTFAX3);
	/* The contract wrapper. */
	int pages = 0;
	char err[256];
	assert_int_equal(render_to_tiff(in, 2, tmp("w.tif"), 0, &pages, err, sizeof(err)), 0);
	assert_int_equal(pages, 4);
}

/* Every page, the cover included, carries the header line, and its "Page
 * n/m" counts the cover: the header band of each page of a cover + 2-page
 * letter is, bit for bit, the line drawn for page n of 3 (without the glyph
 * cache). */
static void test_header_every_page(void **state)
{
	(void)state;
	const char *in[] = {data("letter.txt")};
	struct render_opts o;
	opts_init(&o);
	o.cover_subject = "Header";
	o.header = "ACME";
	o.header_number = "+15555550101";
	o.lang = RENDER_LANG_FR;
	o.date_ms = 1790000000000LL;
	struct render_result r;
	assert_int_equal(render_documents(in, 1, tmp("hdr.tif"), &o, &r), 0);
	assert_int_equal(r.pages, 3);
	struct font_data fd;
	char err[256];
	assert_int_equal(font_data_load(&fd, NULL, err, sizeof(err)), 0);
	struct fonts *fonts = fonts_new(&fd);
	assert_non_null(fonts);
	/* FreeType drawing every glyph afresh: the renderer's cached glyphs
	 * must give the same pixels. */
	fonts_set_cache(fonts, 0);
	int band = cover_header_rows(98);
	TIFF *t = TIFFOpen(tmp("hdr.tif"), "r");
	assert_non_null(t);
	int page = 0;
	do {
		page++;
		struct bitmap *want = bitmap_new(RENDER_WIDTH, band);
		cover_draw_header(fonts, want, 98, RENDER_LANG_FR, o.date_ms, o.header, o.header_number,
			page, 3);
		uint8_t row[RENDER_WIDTH / 8];
		int differ = 0, ink = 0;
		for (int y = 0; y < band; y++) {
			assert_int_equal(TIFFReadScanline(t, row, (uint32_t)y, 0), 1);
			differ += memcmp(row, want->bits + (size_t)y * want->stride, sizeof(row)) != 0;
			for (size_t k = 0; k < sizeof(row); k++)
				ink += row[k] != 0;
		}
		if (differ)
			fail_msg("page %d: %d header rows differ from \"Page %d/3\"", page, differ, page);
		assert_true(ink > 20);
		bitmap_free(want);
	} while (TIFFReadDirectory(t));
	TIFFClose(t);
	assert_int_equal(page, 3);
	fonts_free(fonts);
	font_data_free(&fd);
}

static void expect_fail(const char *const *in, size_t n, const struct render_opts *o,
	enum render_fail want, int want_doc)
{
	const char *out = tmp("fail.tif");
	struct render_result r;
	int fds = count_fds();
	assert_int_equal(render_documents(in, n, out, o, &r), -1);
	if (r.fail != want)
		fail_msg("%s: got %s (%s), want %s", in[n - 1], render_fail_code(r.fail), r.detail,
			render_fail_code(want));
	assert_int_equal(r.doc_index, want_doc);
	/* Nothing left behind: no output, no partial file, no child, no
	 * descriptor. */
	assert_int_equal(access(out, F_OK), -1);
	DIR *d = opendir(tmpdir);
	assert_non_null(d);
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, "fail.tif.", 9) == 0)
			fail_msg("partial file left: %s", e->d_name);
	closedir(d);
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	assert_int_equal(count_fds(), fds);
}

static void test_hostile(void **state)
{
	(void)state;
	struct render_result r0;
	struct render_opts o;
	opts_init(&o);
	const char *one[1];
#define FAIL1(name, code) do { one[0] = data(name); expect_fail(one, 1, &o, code, 0); } while (0)
	FAIL1("corrupt.pdf", RENDER_E_CORRUPT);
	FAIL1("encrypted.pdf", RENDER_E_ENCRYPTED);
	FAIL1("bomb-pages.pdf", RENDER_E_TOO_MANY_PAGES);
	FAIL1("bomb-dims.png", RENDER_E_TOO_LARGE);   /* 60000 x 60000 claimed */
	FAIL1("bomb-dims.tif", RENDER_E_TOO_LARGE);
	FAIL1("bad-dims.jpg", RENDER_E_CORRUPT);
	FAIL1("wrong.bin", RENDER_E_UNSUPPORTED);
	FAIL1("wrong.zip", RENDER_E_UNSUPPORTED);
	FAIL1("does-not-exist.pdf", RENDER_E_IO);
	FILE *e = fopen(tmp("empty.pdf"), "w");
	fclose(e);
	one[0] = tmp("empty.pdf");
	expect_fail(one, 1, &o, RENDER_E_EMPTY, 0);

	/* The page cap counts over the whole job; the second document breaks it. */
	const char *two[] = {data("text3.pdf"), data("scan2.tif")};
	o.max_pages = 4;
	expect_fail(two, 2, &o, RENDER_E_TOO_MANY_PAGES, 1);
	opts_init(&o);

	/* Memory: a path of ten million points against a 64 MiB cap. */
	o.mem_bytes = (size_t)64 << 20;
	FAIL1("bomb-mem.pdf", RENDER_E_MEMORY);
	/* The same bomb as page 4, after three good pages already coded into
	 * the output (the last document's pages are coded as they come): the
	 * job fails the same way and leaves nothing. */
	char cmd[1200];
	snprintf(cmd, sizeof(cmd), "qpdf --empty --pages '%s' '%s' -- '%s' 2>/dev/null",
		data("text3.pdf"), data("bomb-mem.pdf"), tmp("late-bomb.pdf"));
	if (system(cmd) == 0) {
		const char *late[] = {data("page.png"), tmp("late-bomb.pdf")};
		o.header = "ACME";
		o.cover = 1;
		expect_fail(late, 2, &o, RENDER_E_MEMORY, 1);
		o.header = NULL;
		o.cover = 0;
	}
	opts_init(&o);

	/* Wall clock: 10^12 nested drawings, stopped by the parent. */
	o.timeout_ms = 800;
	FAIL1("bomb-time.pdf", RENDER_E_TIMEOUT);
	/* CPU time: the same, stopped by RLIMIT_CPU before the wall clock. */
	o.timeout_ms = 60000;
	o.cpu_seconds = 1;
	FAIL1("bomb-time.pdf", RENDER_E_CPU);
	opts_init(&o);

	/* Fonts are needed only to draw text: a PDF renders without them, a
	 * text document or a header line fails as an internal error. */
	o.font_dir = "/nonexistent";
	one[0] = data("text3.pdf");
	assert_int_equal(render_documents(one, 1, tmp("nofont.tif"), &o, &r0), 0);
	one[0] = data("letter.txt");
	expect_fail(one, 1, &o, RENDER_E_INTERNAL, 0);
	o.header = "ACME";
	one[0] = data("text3.pdf");
	expect_fail(one, 1, &o, RENDER_E_INTERNAL, -1);
	opts_init(&o);

	/* Bad requests. */
	o.max_pages = 0;
	one[0] = data("text3.pdf");
	expect_fail(one, 1, &o, RENDER_E_USAGE, -1);
	opts_init(&o);
	struct render_result r;
	assert_int_equal(render_documents(one, 0, tmp("x.tif"), &o, &r), -1);
	assert_int_equal(r.fail, RENDER_E_USAGE);
#undef FAIL1
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *b = malloc((size_t)n + 1);
	assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return b;
}

/* Two files with the same bytes. */
static void assert_same_file(const char *p1, const char *p2)
{
	size_t l1, l2;
	char *a = slurp(p1, &l1), *b = slurp(p2, &l2);
	assert_int_equal(l1, l2);
	assert_memory_equal(a, b, l1);
	free(a);
	free(b);
}

/* A one-page PDF (US Letter) drawing `content` (len bytes), with
 * Helvetica-Bold as /F1, written to path. */
static void write_pdf(const char *path, const char *content, size_t len)
{
	char *buf = malloc(len + 2048);
	assert_non_null(buf);
	size_t off[6], n = 0;
	n += (size_t)sprintf(buf + n, "%%PDF-1.4\n");
	off[1] = n;
	n += (size_t)sprintf(buf + n, "1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n");
	off[2] = n;
	n += (size_t)sprintf(buf + n, "2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n");
	off[3] = n;
	n += (size_t)sprintf(buf + n, "3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
		"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >> endobj\n");
	off[4] = n;
	n += (size_t)sprintf(buf + n, "4 0 obj << /Length %zu >> stream\n", len);
	memcpy(buf + n, content, len);
	n += len;
	n += (size_t)sprintf(buf + n, "\nendstream endobj\n");
	off[5] = n;
	n += (size_t)sprintf(buf + n, "5 0 obj << /Type /Font /Subtype /Type1 /BaseFont "
		"/Helvetica-Bold >> endobj\n");
	size_t xref = n;
	n += (size_t)sprintf(buf + n, "xref\n0 6\n0000000000 65535 f \n");
	for (int i = 1; i <= 5; i++)
		n += (size_t)sprintf(buf + n, "%010zu 00000 n \n", off[i]);
	n += (size_t)sprintf(buf + n, "trailer << /Size 6 /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n",
		xref);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, n, f), n);
	fclose(f);
	free(buf);
}

/* The first page of a rendered TIFF-F, 1 bit a pixel (caller frees). */
static uint8_t *render_page1(const char *pdf, uint32_t *rows)
{
	const char *in[] = {pdf};
	struct render_result r;
	if (render_documents(in, 1, tmp("crisp.tif"), hopts(), &r) != 0)
		fail_msg("%s: %s (%s)", pdf, render_fail_code(r.fail), r.detail);
	TIFF *t = TIFFOpen(tmp("crisp.tif"), "r");
	assert_non_null(t);
	TIFFGetField(t, TIFFTAG_IMAGELENGTH, rows);
	uint8_t *p = malloc((size_t)*rows * (RENDER_WIDTH / 8));
	assert_non_null(p);
	for (uint32_t y = 0; y < *rows; y++)
		assert_int_equal(TIFFReadScanline(t, p + (size_t)y * (RENDER_WIDTH / 8), y, 0), 1);
	TIFFClose(t);
	return p;
}

static long page_ink(const uint8_t *p, uint32_t rows)
{
	long n = 0;
	for (size_t i = 0; i < (size_t)rows * (RENDER_WIDTH / 8); i++)
		n += __builtin_popcount(p[i]);
	return n;
}

/* Text is thresholded, not screened: text in a dark colour (a red link)
 * comes out exactly as the same text in black, whole glyphs with no holes,
 * while lighter text and a grey image are still screened into dots. */
static void test_text_crisp(void **state)
{
	(void)state;
	const char *colours[] = {"0 g", "1 0 0 rg", "0 0 0.6 rg", "0.8 g"};
	uint8_t *page[4];
	uint32_t rows[4];
	for (int i = 0; i < 4; i++) {
		char c[200];
		int len = snprintf(c, sizeof(c), "BT /F1 40 Tf %s 60 600 Td (Crisp TEXT on a fax, 0123) Tj ET",
			colours[i]);
		write_pdf(tmp("crisp.pdf"), c, (size_t)len);
		page[i] = render_page1(tmp("crisp.pdf"), &rows[i]);
		assert_int_equal(rows[i], rows[0]);
	}
	long black = page_ink(page[0], rows[0]);
	assert_true(black > 5000);
	for (int i = 1; i <= 2; i++)
		if (memcmp(page[i], page[0], (size_t)rows[0] * (RENDER_WIDTH / 8)) != 0)
			fail_msg("text in %s is not drawn as the same text in black (%ld against %ld "
				"pixels)", colours[i], page_ink(page[i], rows[i]), black);
	/* Light grey text: screened, so neither solid nor gone. */
	long light = page_ink(page[3], rows[3]);
	assert_true(light > black / 20 && light < black * 2 / 3);
	for (int i = 0; i < 4; i++)
		free(page[i]);

	/* A mid-grey image (8 x 8 samples of 128, drawn 400 x 300 pt): dots. */
	char img[300];
	int n = snprintf(img, sizeof(img), "q 400 0 0 300 100 100 cm BI /W 8 /H 8 /CS /G /BPC 8 ID ");
	memset(img + n, 128, 64);
	n += 64;
	n += snprintf(img + n, sizeof(img) - (size_t)n, " EI Q");
	write_pdf(tmp("grey.pdf"), img, (size_t)n);
	uint32_t gr;
	uint8_t *g = render_page1(tmp("grey.pdf"), &gr);
	/* Page y 250 pt is row (792 - 250) x 1728 / 612 x 98 / 204 = 735; the
	 * image spans columns 282..1412. Eight rows, a screen cell's height. */
	assert_true(gr > 800);
	int changes = 0, ink = 0;
	for (int y = 728; y < 736; y++) {
		const uint8_t *row = g + (size_t)y * (RENDER_WIDTH / 8);
		for (int x = 300; x < 1400; x++) {
			int v = (row[x >> 3] >> (7 - (x & 7))) & 1;
			int u = (row[(x - 1) >> 3] >> (7 - ((x - 1) & 7))) & 1;
			changes += v != u;
			ink += v;
		}
	}
	assert_true(changes > 8 * 100);
	assert_true(ink > 8 * 1100 / 5 && ink < 8 * 1100 * 4 / 5);
	free(g);
}

/* A TIFF-F we made, rendered again (a forwarded or resent fax), gives the
 * very same file: pages are drawn one to one, nothing is resampled. */
static void test_idempotent(void **state)
{
	(void)state;
	for (int fine = 0; fine <= 1; fine++) {
		const char *in[] = {data("text3.pdf"), data("letter.txt"), data("page.jpg")};
		struct render_opts o;
		opts_init(&o);
		o.fine = fine;
		struct render_result r;
		assert_int_equal(render_documents(in, 3, tmp("i1.tif"), &o, &r), 0);
		const char *again[] = {tmp("i1.tif")};
		assert_int_equal(render_documents(again, 1, tmp("i2.tif"), &o, &r), 0);
		assert_same_file(tmp("i1.tif"), tmp("i2.tif"));
	}
}

/* A stored fax rewritten (a person erased, docs/vault.md): its cover
 * page left out and drawn anew, its header lines drawn anew, gives the very
 * file that rendering the originals with the new cover and header gives:
 * nothing of the old cover or header line is left, the pages in between
 * are kept bit for bit, the page count is the same. In both resolutions,
 * and with the header alone (no cover); a 1-page document has no page to
 * replace. */
static void test_replace_first_page(void **state)
{
	(void)state;
	for (int fine = 0; fine <= 1; fine++) {
		const char *in[] = {data("letter.txt"), data("page.png")};
		struct render_opts o;
		opts_init(&o);
		o.fine = fine;
		o.lang = RENDER_LANG_FR;
		o.date_ms = 1790000000000LL;
		o.cover_subject = "Notes from Marie Curie";
		o.cover_text = "Regards, Marie Curie";
		o.from = "+15555550101";
		o.to = "+15555550102";
		o.header = "Marie Curie, laboratoire";
		o.header_number = "+15555550101";
		struct render_result r;
		assert_int_equal(render_documents(in, 2, tmp("orig.tif"), &o, &r), 0);
		int pages = r.pages;
		assert_true(pages >= 3);
		/* The same with the pseudonym from the start... */
		o.cover_subject = "Notes from erased:usr_1";
		o.cover_text = "(removed)";
		o.header = "erased:usr_1, laboratoire";
		assert_int_equal(render_documents(in, 2, tmp("want.tif"), &o, &r), 0);
		/* ... is what the rewrite of the stored one gives. */
		const char *again[] = {tmp("orig.tif")};
		o.replace_first_page = 1;
		assert_int_equal(render_documents(again, 1, tmp("rewritten.tif"), &o, &r), 0);
		assert_int_equal(r.pages, pages);
		assert_same_file(tmp("want.tif"), tmp("rewritten.tif"));
	}
	/* No cover: the header lines alone are drawn anew. */
	const char *in[] = {data("letter.txt")};
	struct render_opts o;
	opts_init(&o);
	o.date_ms = 1790000000000LL;
	o.header = "Marie Curie";
	o.header_number = "+15555550101";
	struct render_result r;
	assert_int_equal(render_documents(in, 1, tmp("h1.tif"), &o, &r), 0);
	int pages = r.pages;
	o.header = "erased:usr_1";
	assert_int_equal(render_documents(in, 1, tmp("h2.tif"), &o, &r), 0);
	const char *again[] = {tmp("h1.tif")};
	assert_int_equal(render_documents(again, 1, tmp("h3.tif"), &o, &r), 0);
	assert_int_equal(r.pages, pages);
	assert_same_file(tmp("h2.tif"), tmp("h3.tif"));
	/* Nothing to replace in a 1-page document. */
	const char *one[] = {data("page.png")};
	o.replace_first_page = 1;
	assert_int_equal(render_documents(one, 1, tmp("x.tif"), &o, &r), -1);
}

/* Several renderer processes per document (a share of the pages each) give
 * the very same file as one; and a hostile document fails the same way. */
static void test_workers(void **state)
{
	(void)state;
	const char *in[] = {data("text3.pdf"), data("letter.txt"), data("page.png"), data("scan2.tif")};
	struct render_opts o;
	opts_init(&o);
	o.header = "ACME";
	o.cover_subject = "Workers";
	o.date_ms = 1790000000000LL;
	struct render_result r;
	assert_int_equal(render_documents(in, 4, tmp("w1.tif"), &o, &r), 0);
	assert_int_equal(r.pages, 9);
	size_t l1, l2;
	char *one = slurp(tmp("w1.tif"), &l1);
	for (int w = 2; w <= 4; w++) {
		o.workers = w;
		assert_int_equal(render_documents(in, 4, tmp("w2.tif"), &o, &r), 0);
		assert_int_equal(r.pages, 9);
		char *two = slurp(tmp("w2.tif"), &l2);
		assert_int_equal(l1, l2);
		assert_memory_equal(one, two, l1);
		free(two);
	}
	free(one);

	const char *bad[1];
	opts_init(&o);
	o.workers = 2;
	bad[0] = data("corrupt.pdf");
	expect_fail(bad, 1, &o, RENDER_E_CORRUPT, 0);
	bad[0] = data("bomb-pages.pdf");
	expect_fail(bad, 1, &o, RENDER_E_TOO_MANY_PAGES, 0);
	o.mem_bytes = (size_t)64 << 20;
	bad[0] = data("bomb-mem.pdf");
	expect_fail(bad, 1, &o, RENDER_E_MEMORY, 0);
	opts_init(&o);
	o.workers = 2;
	o.timeout_ms = 500;
	bad[0] = data("bomb-time.pdf");
	expect_fail(bad, 1, &o, RENDER_E_TIMEOUT, 0);
	o.workers = 9;
	bad[0] = data("text3.pdf");
	expect_fail(bad, 1, &o, RENDER_E_USAGE, -1);
}

static int run(const char *cmd, char *out, size_t outlen)
{
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t n = fread(out, 1, outlen - 1, p);
	out[n] = 0;
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void png_size(const char *path, uint32_t *w, uint32_t *h)
{
	uint8_t hdr[24];
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fread(hdr, 1, 24, f), 24);
	fclose(f);
	assert_memory_equal(hdr, "\x89PNG\r\n\x1a\n", 8);
	assert_memory_equal(hdr + 12, "IHDR", 4);
	*w = (uint32_t)hdr[16] << 24 | (uint32_t)hdr[17] << 16 | (uint32_t)hdr[18] << 8 | hdr[19];
	*h = (uint32_t)hdr[20] << 24 | (uint32_t)hdr[21] << 16 | (uint32_t)hdr[22] << 8 | hdr[23];
}

static int png_depth(const char *path)
{
	uint8_t hdr[26];
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fread(hdr, 1, 26, f), 26);
	fclose(f);
	assert_int_equal(hdr[25], 0); /* greyscale */
	return hdr[24];
}

static void test_topdf_preview(void **state)
{
	(void)state;
	const char *in[] = {data("text3.pdf"), data("letter.txt")};
	struct render_opts o;
	opts_init(&o);
	struct render_result r;
	const enum render_coding codings[] = {RENDER_CODING_MH, RENDER_CODING_MR, RENDER_CODING_MMR};
	for (int c = 0; c < 3; c++) {
		o.coding = codings[c];
		o.fine = c == 1;
		assert_int_equal(render_documents(in, 2, tmp("rx.tif"), &o, &r), 0);
		assert_int_equal(r.pages, 5);
		struct tiff_facts f;
		read_tiff(tmp("rx.tif"), &f);
		assert_int_equal(render_tiff_to_pdf_opts(tmp("rx.tif"), tmp("rx.pdf"), hopts(), &r), 0);
		assert_int_equal(r.pages, 5);
		assert_int_equal(r.width, 1728);
		assert_int_equal(r.yres, o.fine ? 196 : 98);
		/* mutool reads it: five pages, CCITT images of the TIFF's sizes. */
		char cmd[1024], out[8192];
		snprintf(cmd, sizeof(cmd), "mutool info '%s' 2>&1", tmp("rx.pdf"));
		assert_int_equal(run(cmd, out, sizeof(out)), 0);
		assert_non_null(strstr(out, "Pages: 5"));
		char img[64];
		snprintf(img, sizeof(img), "[ CCITTFax ] 1728x%u 1bpc", f.rows[0]);
		assert_non_null(strstr(out, img));
		/* qpdf, where installed, finds no syntax or stream error. */
		if (system("command -v qpdf >/dev/null 2>&1") == 0) {
			snprintf(cmd, sizeof(cmd), "qpdf --check '%s' 2>&1", tmp("rx.pdf"));
			if (run(cmd, out, sizeof(out)) != 0)
				fail_msg("qpdf --check: %s", out);
			assert_non_null(strstr(out, "No syntax or stream encoding errors"));
		}
		/* And draws every page without complaint. */
		snprintf(cmd, sizeof(cmd), "mutool draw -q -r 30 -o '%s/d%%d.png' '%s' 2>&1", tmpdir,
			tmp("rx.pdf"));
		assert_int_equal(run(cmd, out, sizeof(out)), 0);
		assert_null(strstr(out, "error"));

		assert_int_equal(render_tiff_preview_opts(tmp("rx.tif"), 2, 0, tmp("p.png"), hopts(), &r), 0);
		uint32_t w, h;
		png_size(tmp("p.png"), &w, &h);
		assert_int_equal(w, 1728);
		assert_int_equal(h, (uint32_t)((double)f.rows[1] * 204.0 / (o.fine ? 196 : 98) + 0.5));
		assert_int_equal((int)h, r.height);
		/* A grey thumbnail keeps the aspect. */
		assert_int_equal(render_tiff_preview_opts(tmp("rx.tif"), 2, 200, tmp("t.png"), hopts(), &r), 0);
		png_size(tmp("t.png"), &w, &h);
		assert_int_equal(w, 200);
		double want = (double)f.rows[1] * 204.0 / (o.fine ? 196 : 98) * 200.0 / 1728.0;
		assert_true(h >= (uint32_t)want - 1 && h <= (uint32_t)want + 1);
		assert_int_equal(png_depth(tmp("t.png")), 8);
		assert_int_equal(png_depth(tmp("p.png")), 1);
	}
	assert_int_equal(render_tiff_preview_opts(tmp("rx.tif"), 1, 5, tmp("t.png"), hopts(), &r), -1);
	assert_int_equal(r.fail, RENDER_E_USAGE);
	assert_int_equal(render_tiff_preview_opts(tmp("rx.tif"), 6, 0, tmp("p.png"), hopts(), &r), -1);
	assert_int_equal(r.fail, RENDER_E_PAGE_RANGE);
	assert_int_equal(render_tiff_preview_opts(tmp("rx.tif"), 0, 0, tmp("p.png"), hopts(), &r), -1);
	assert_int_equal(render_tiff_to_pdf_opts(data("text3.pdf"), tmp("x.pdf"), hopts(), &r), -1);
	assert_int_equal(r.fail, RENDER_E_UNSUPPORTED);
	/* topdf takes bilevel (fax) pages only, and says so of a greyscale scan. */
	assert_int_equal(render_tiff_to_pdf_opts(data("scan2.tif"), tmp("x.pdf"), hopts(), &r), -1);
	assert_int_equal(r.fail, RENDER_E_UNSUPPORTED);
	assert_int_equal(access(tmp("x.pdf"), F_OK), -1);
}

/* Reads a binary PBM (P4) written by mutool: 1 = black, rows padded to bytes. */
static uint8_t *read_pbm(const char *path, int *w, int *h)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "P4 %d %d", w, h), 2);
	fgetc(f);
	size_t n = (size_t)((*w + 7) / 8) * (size_t)*h;
	uint8_t *b = malloc(n);
	assert_int_equal(fread(b, 1, n, f), n);
	fclose(f);
	return b;
}

/* topdf keeps the coded data as it is: a third party's G3 and G4 TIFFs
 * (Ghostscript's, 60 dpi so the PDF page renders pixel for pixel at 60 dpi)
 * come out of the PDF exactly as libtiff decodes them. */
static void test_topdf_exact(void **state)
{
	(void)state;
	const char *names[] = {"fax-g3.tif", "fax-g4.tif"};
	const int pages[] = {2, 3};
	for (int k = 0; k < 2; k++) {
		struct render_result r;
		assert_int_equal(render_tiff_to_pdf_opts(data(names[k]), tmp("x.pdf"), hopts(), &r), 0);
		assert_int_equal(r.pages, pages[k]);
		char cmd[1024], out[4096];
		snprintf(cmd, sizeof(cmd), "mutool draw -q -r 60 -o '%s/x%%d.pbm' '%s' 2>&1", tmpdir,
			tmp("x.pdf"));
		assert_int_equal(run(cmd, out, sizeof(out)), 0);
		TIFF *t = TIFFOpen(data(names[k]), "r");
		assert_non_null(t);
		for (int p = 0; p < pages[k]; p++) {
			assert_true(TIFFSetDirectory(t, (tdir_t)p));
			uint32_t tw, th;
			TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &tw);
			TIFFGetField(t, TIFFTAG_IMAGELENGTH, &th);
			char pbm[64];
			snprintf(pbm, sizeof(pbm), "x%d.pbm", p + 1);
			int w, h;
			uint8_t *img = read_pbm(tmp(pbm), &w, &h);
			assert_int_equal(w, (int)tw);
			assert_int_equal(h, (int)th);
			size_t stride = (tw + 7) / 8;
			uint8_t *row = malloc(stride);
			for (uint32_t y = 0; y < th; y++) {
				assert_int_equal(TIFFReadScanline(t, row, y, 0), 1);
				if (tw & 7)
					row[stride - 1] &= (uint8_t)(0xff00 >> (tw & 7));
				assert_memory_equal(row, img + stride * y, stride);
			}
			free(row);
			free(img);
		}
		TIFFClose(t);
	}
}

/* Received TIFFs come in many shapes: several strips, G3 2-D, LSB-first
 * fill order, min-is-black. Each is written here with libtiff, turned into
 * a PDF and drawn back pixel for pixel. */
static void test_topdf_shapes(void **state)
{
	(void)state;
	const uint32_t w = 300, h = 250;
	const size_t stride = (w + 7) / 8;
	uint8_t *img = calloc(h, stride);
	uint32_t seed = 7;
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++) {
			seed = seed * 1103515245u + 12345u;
			int on = (x / 10 + y / 7) % 3 == 0 || ((seed >> 16) % 23) == 0 || (x > 200 && y < 40);
			if (on)
				img[y * stride + x / 8] |= (uint8_t)(0x80 >> (x & 7));
		}
	struct {
		uint16_t comp;
		uint32_t g3opt;
		uint32_t rps;
		uint16_t fill, photo;
	} shapes[] = {
		{COMPRESSION_CCITTFAX4, 0, 64, FILLORDER_MSB2LSB, PHOTOMETRIC_MINISWHITE},
		{COMPRESSION_CCITTFAX3, GROUP3OPT_2DENCODING, 100, FILLORDER_MSB2LSB, PHOTOMETRIC_MINISWHITE},
		{COMPRESSION_CCITTFAX3, GROUP3OPT_FILLBITS, 250, FILLORDER_LSB2MSB, PHOTOMETRIC_MINISWHITE},
		{COMPRESSION_CCITTRLE, 0, 30, FILLORDER_MSB2LSB, PHOTOMETRIC_MINISWHITE},
		{COMPRESSION_CCITTFAX4, 0, 250, FILLORDER_MSB2LSB, PHOTOMETRIC_MINISBLACK},
		{COMPRESSION_LZW, 0, 40, FILLORDER_MSB2LSB, PHOTOMETRIC_MINISWHITE},
	};
	for (size_t k = 0; k < sizeof(shapes) / sizeof(shapes[0]); k++) {
		TIFF *t = TIFFOpen(tmp("shape.tif"), "w");
		assert_non_null(t);
		TIFFSetField(t, TIFFTAG_IMAGEWIDTH, w);
		TIFFSetField(t, TIFFTAG_IMAGELENGTH, h);
		TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 1);
		TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
		TIFFSetField(t, TIFFTAG_PHOTOMETRIC, shapes[k].photo);
		TIFFSetField(t, TIFFTAG_FILLORDER, shapes[k].fill);
		TIFFSetField(t, TIFFTAG_COMPRESSION, shapes[k].comp);
		if (shapes[k].comp == COMPRESSION_CCITTFAX3)
			TIFFSetField(t, TIFFTAG_GROUP3OPTIONS, shapes[k].g3opt);
		TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, shapes[k].rps);
		TIFFSetField(t, TIFFTAG_XRESOLUTION, 60.0f);
		TIFFSetField(t, TIFFTAG_YRESOLUTION, 60.0f);
		TIFFSetField(t, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
		uint8_t *row = malloc(stride);
		for (uint32_t y = 0; y < h; y++) {
			for (size_t i = 0; i < stride; i++)
				row[i] = shapes[k].photo == PHOTOMETRIC_MINISBLACK ? (uint8_t)~img[y * stride + i]
					: img[y * stride + i];
			assert_int_equal(TIFFWriteScanline(t, row, y, 0), 1);
		}
		free(row);
		TIFFClose(t);

		struct render_result r;
		if (render_tiff_to_pdf_opts(tmp("shape.tif"), tmp("shape.pdf"), hopts(), &r) != 0)
			fail_msg("shape %zu: %s (%s)", k, render_fail_code(r.fail), r.detail);
		char cmd[1024], out[4096];
		snprintf(cmd, sizeof(cmd), "mutool draw -q -r 60 -o '%s' '%s' 1 2>&1", tmp("shape.pbm"),
			tmp("shape.pdf"));
		assert_int_equal(run(cmd, out, sizeof(out)), 0);
		int pw, ph;
		uint8_t *got = read_pbm(tmp("shape.pbm"), &pw, &ph);
		assert_int_equal(pw, (int)w);
		assert_int_equal(ph, (int)h);
		for (uint32_t y = 0; y < h; y++) {
			uint8_t last = (uint8_t)(0xff00 >> (w & 7));
			if (memcmp(got + y * stride, img + y * stride, stride - 1) != 0 ||
				((got[y * stride + stride - 1] ^ img[y * stride + stride - 1]) & last) != 0)
				fail_msg("shape %zu: row %u differs", k, y);
		}
		free(got);
	}
	free(img);
}

static void test_cli(void **state)
{
	(void)state;
	char cmd[2048], out[4096];
	snprintf(cmd, sizeof(cmd),
		"'%s' render '%s' '%s' -o '%s' --fine --cover-subject S --from F --to T "
		"--cover-text 'Hello' --header 'ACME' --lang fr --max-pages 10 2>/dev/null",
		RENDER_TOOL, data("text3.pdf"), data("page.png"), tmp("cli.tif"));
	assert_int_equal(run(cmd, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "\"pages\":5"));
	assert_non_null(strstr(out, "\"width\":1728"));
	assert_non_null(strstr(out, "\"resolution\":\"204x196\""));
	snprintf(cmd, sizeof(cmd), "'%s' render '%s' -o '%s' 2>/dev/null", RENDER_TOOL,
		data("corrupt.pdf"), tmp("cli2.tif"));
	assert_int_equal(run(cmd, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "\"error\":\"corrupt\""));
	snprintf(cmd, sizeof(cmd), "'%s' render '%s' 2>/dev/null", RENDER_TOOL, data("text3.pdf"));
	assert_int_equal(run(cmd, out, sizeof(out)), 2);
	snprintf(cmd, sizeof(cmd), "'%s' render --help 2>/dev/null", RENDER_TOOL);
	assert_int_equal(run(cmd, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "usage: faxvault-fax render"));
	snprintf(cmd, sizeof(cmd), "'%s' render '%s' -o x --lang de 2>/dev/null", RENDER_TOOL,
		data("text3.pdf"));
	assert_int_equal(run(cmd, out, sizeof(out)), 2);
	snprintf(cmd, sizeof(cmd), "'%s' topdf '%s' '%s' 2>/dev/null", RENDER_TOOL, tmp("cli.tif"),
		tmp("cli.pdf"));
	assert_int_equal(run(cmd, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "\"pages\":5"));
	snprintf(cmd, sizeof(cmd), "'%s' preview '%s' --page 1 -o '%s' 2>/dev/null", RENDER_TOOL,
		tmp("cli.tif"), tmp("cli.png"));
	assert_int_equal(run(cmd, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "\"width\":1728"));
	snprintf(cmd, sizeof(cmd), "'%s' preview '%s' --page 9 -o '%s' 2>/dev/null", RENDER_TOOL,
		tmp("cli.tif"), tmp("cli.png"));
	assert_int_equal(run(cmd, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "page_range"));
}

/* Several threads rendering at once, as the daemon's workers do: each job
 * gets its own children and the pages it asked for. */
#define THREADS 4
struct thread_job {
	int k;
	int rc;
	char out[128];
};

static void *thread_render(void *arg)
{
	struct thread_job *j = arg;
	/* Paths of our own: data() is not for threads. */
	char p[3][512];
	const char *names[] = {"text3.pdf", "letter.txt", "page.png"};
	for (int i = 0; i < 3; i++)
		snprintf(p[i], sizeof(p[i]), "%s/%s", RENDER_DATA_DIR, names[i]);
	const char *in[] = {p[0], p[1], p[2]};
	struct render_opts o;
	opts_init(&o);
	o.fine = j->k % 2;
	o.header = "ACME";
	o.date_ms = 1790000000000LL; /* the header's minute, the same for all */
	struct render_result r;
	j->rc = render_documents(in, 3, j->out, &o, &r);
	if (j->rc == 0 && r.pages != 6)
		j->rc = -2;
	if (j->rc != 0)
		fprintf(stderr, "thread %d: %s (%s)\n", j->k, render_fail_code(r.fail), r.detail);
	return NULL;
}

static void test_threads(void **state)
{
	(void)state;
	/* Only through the helper: a plain fork of a process with threads may
	 * inherit a lock another thread held (under ASan its allocator's: the
	 * child then hangs until the wall-clock cap), which is one more reason
	 * why the daemon must pass the helper. */
	if (!helper)
		skip();
	pthread_t t[THREADS];
	struct thread_job j[THREADS];
	for (int k = 0; k < THREADS; k++) {
		j[k] = (struct thread_job){k, -1, ""};
		snprintf(j[k].out, sizeof(j[k].out), "%s/thread-%d.tif", tmpdir, k);
		assert_int_equal(pthread_create(&t[k], NULL, thread_render, &j[k]), 0);
	}
	for (int k = 0; k < THREADS; k++) {
		assert_int_equal(pthread_join(t[k], NULL), 0);
		assert_int_equal(j[k].rc, 0);
	}
	/* The same job done alone gives the same file. */
	struct thread_job one = {0, -1, ""};
	snprintf(one.out, sizeof(one.out), "%s/thread-alone.tif", tmpdir);
	thread_render(&one);
	assert_int_equal(one.rc, 0);
	assert_same_file(one.out, j[0].out);
	assert_same_file(j[0].out, j[2].out);
	assert_same_file(j[1].out, j[3].out);
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
}

/* An executable file in the temporary directory; returns its path. */
static const char *fake_helper(const char *name, const char *content)
{
	const char *path = tmp(name);
	FILE *x = fopen(path, "w");
	assert_non_null(x);
	fputs(content, x);
	fclose(x);
	assert_int_equal(chmod(path, 0755), 0);
	return path;
}

/* The renderer helper: a child that starts from a fresh process image holds
 * none of the caller's memory, descriptors or environment; hostile documents
 * fail the same way through it; a missing helper is a clear internal
 * failure, never a fallback to a forked child. */
static void test_helper(void **state)
{
	(void)state;
	const char *h = render_default_helper();
	assert_non_null(h);
	/* A secret in the caller's heap, made at run time (never in the
	 * helper's image), at an address the child is told to copy out. */
	size_t n = 48;
	char *secret = malloc(n);
	assert_non_null(secret);
	snprintf(secret, n, "master-key-%08lx-%08lx", (unsigned long)getpid() * 2654435761u,
		(unsigned long)time(NULL));
	for (int mode = 0; mode <= 1; mode++) {
		FILE *f = tmpfile();
		assert_non_null(f);
		struct sandbox_out so;
		struct render_result r;
		int rc = helper_probe(mode ? h : NULL, secret, n, fileno(f), &so, &r);
		if (rc != 0)
			fail_msg("probe: %s (%s)", render_fail_code(r.fail), r.detail);
		char got[64] = {0};
		rewind(f);
		size_t k = fread(got, 1, n, f);
		fclose(f);
		int leaked = k == n && memcmp(got, secret, n) == 0;
		if (mode == 0) {
			/* A forked child has the secret: the probe can see a leak. */
			assert_int_equal(so.info[0], 1);
			assert_true(leaked);
		} else {
			/* The helper's child has not, whatever lies at that address
			 * in its own image; it holds 0-2 (/dev/null), its report pipe
			 * and its output, and no environment variable. */
			assert_false(leaked);
			assert_int_equal(so.info[1], 5);
			assert_int_equal(so.info[2], 0);
		}
	}
	free(secret);

	/* Hostile documents through the helper. */
	struct render_opts o;
	render_opts_init(&o);
	o.helper_path = h;
	const char *one[1];
	one[0] = data("corrupt.pdf");
	expect_fail(one, 1, &o, RENDER_E_CORRUPT, 0);
	one[0] = data("bomb-pages.pdf");
	expect_fail(one, 1, &o, RENDER_E_TOO_MANY_PAGES, 0);
	one[0] = data("bomb-dims.png");
	expect_fail(one, 1, &o, RENDER_E_TOO_LARGE, 0);
	one[0] = data("wrong.zip");
	expect_fail(one, 1, &o, RENDER_E_UNSUPPORTED, 0);
	o.timeout_ms = 800;
	one[0] = data("bomb-time.pdf");
	expect_fail(one, 1, &o, RENDER_E_TIMEOUT, 0);

	/* The same pages through the helper as through a fork. */
	const char *in[] = {data("text3.pdf"), data("letter.txt"), data("page.png")};
	struct render_result r;
	render_opts_init(&o);
	o.header = "ACME";
	o.date_ms = 1790000000000LL;
	assert_int_equal(render_documents(in, 3, tmp("hf.tif"), &o, &r), 0);
	o.helper_path = h;
	o.workers = 2;
	assert_int_equal(render_documents(in, 3, tmp("hh.tif"), &o, &r), 0);
	assert_int_equal(r.pages, 6);
	assert_same_file(tmp("hf.tif"), tmp("hh.tif"));
	assert_int_equal(render_tiff_to_pdf_opts(tmp("hh.tif"), tmp("hh.pdf"), &o, &r), 0);
	assert_int_equal(r.pages, 6);
	assert_int_equal(render_tiff_preview_opts(tmp("hh.tif"), 2, 0, tmp("hh.png"), &o, &r), 0);
	assert_int_equal(r.width, 1728);
	/* The wrappers without options (forked children) give the same. */
	assert_int_equal(render_tiff_to_pdf(tmp("hh.tif"), tmp("hf.pdf"), &r), 0);
	assert_int_equal(render_tiff_preview(tmp("hh.tif"), 2, tmp("hf.png"), &r), 0);
	assert_int_equal(render_tiff_preview_scaled(tmp("hh.tif"), 2, 100, tmp("hs.png"), &r), 0);
	assert_same_file(tmp("hh.png"), tmp("hf.png"));

	/* No helper where it is said to be: internal, for each operation. */
	o.helper_path = "/nonexistent/faxvault-render-helper";
	one[0] = data("text3.pdf");
	expect_fail(one, 1, &o, RENDER_E_INTERNAL, 0);
	assert_non_null(strstr(render_fail_message(RENDER_E_INTERNAL, RENDER_LANG_EN), "internal"));
	assert_int_equal(render_tiff_to_pdf_opts(tmp("hh.tif"), tmp("hx.pdf"), &o, &r), -1);
	assert_int_equal(r.fail, RENDER_E_INTERNAL);
	assert_non_null(strstr(r.detail, "/nonexistent/faxvault-render-helper"));
	assert_int_equal(render_tiff_preview_opts(tmp("hh.tif"), 1, 0, tmp("hx.png"), &o, &r), -1);
	assert_int_equal(r.fail, RENDER_E_INTERNAL);
	assert_int_equal(access(tmp("hx.pdf"), F_OK), -1);
	assert_int_equal(access(tmp("hx.png"), F_OK), -1);
	/* An executable file that is no program: the exec fails in the child;
	 * a helper of another build, refusing its job; one saying nothing. */
	o.helper_path = fake_helper("not-a-program", "\x01\x02 not a program\n");
	expect_fail(one, 1, &o, RENDER_E_INTERNAL, 0);
	o.helper_path = fake_helper("refusing-helper", "#!/bin/sh\nexit 124\n");
	assert_int_equal(SANDBOX_EXIT_HELPER, 124);
	expect_fail(one, 1, &o, RENDER_E_INTERNAL, 0);
	o.helper_path = fake_helper("silent-helper", "#!/bin/sh\nexit 0\n");
	expect_fail(one, 1, &o, RENDER_E_CRASH, 0);
	/* The helper refuses to run when not started by the renderer. */
	char cmd[600], out[256];
	snprintf(cmd, sizeof(cmd), "'%s' </dev/null 2>&1", h);
	assert_int_equal(run(cmd, out, sizeof(out)), SANDBOX_EXIT_HELPER);
	snprintf(cmd, sizeof(cmd), "'%s' --sandbox-child 0 1 </dev/null 2>&1", h);
	assert_int_equal(run(cmd, out, sizeof(out)), SANDBOX_EXIT_HELPER);
}

/* The last document's pages finished by its helper (header line, T.6) give
 * the very file the parent gives composing them: one document or several,
 * with and without cover and header, text and images, both resolutions,
 * both languages, a first page replaced, page numbers past the cover and
 * the documents before; a coding other than MMR and several renderer
 * processes ignore the option. A hostile last document fails as it does
 * without it. */
static void test_compose_in_helper(void **state)
{
	(void)state;
	if (!helper)
		skip();
	static const struct {
		const char *docs[3];
		int n, fine, cover, header, number, lang, coding, workers;
	} jobs[] = {
		{{"text3.pdf"}, 1, 0, 0, 1, 1, RENDER_LANG_EN, RENDER_CODING_MMR, 1},
		{{"text3.pdf"}, 1, 1, 0, 1, 1, RENDER_LANG_FR, RENDER_CODING_MMR, 1},
		{{"letter.txt"}, 1, 0, 1, 1, 1, RENDER_LANG_FR, RENDER_CODING_MMR, 1},
		{{"page.png"}, 1, 0, 0, 0, 1, RENDER_LANG_EN, RENDER_CODING_MMR, 1},
		{{"scan2.tif"}, 1, 1, 0, 1, 0, RENDER_LANG_EN, RENDER_CODING_MMR, 1},
		{{"page.jpg"}, 1, 0, 0, 0, 0, RENDER_LANG_EN, RENDER_CODING_MMR, 1},
		{{"text3.pdf", "letter.txt", "page.png"}, 3, 0, 1, 1, 1, RENDER_LANG_EN,
			RENDER_CODING_MMR, 1},
		{{"page.png", "text3.pdf"}, 2, 1, 0, 1, 1, RENDER_LANG_FR, RENDER_CODING_MMR, 1},
		{{"text3.pdf"}, 1, 0, 1, 1, 1, RENDER_LANG_EN, RENDER_CODING_MR, 1},
		{{"text3.pdf", "letter.txt"}, 2, 0, 1, 1, 1, RENDER_LANG_EN, RENDER_CODING_MMR, 2},
	};
	for (size_t k = 0; k < sizeof(jobs) / sizeof(jobs[0]); k++) {
		const char *in[3];
		for (int i = 0; i < jobs[k].n; i++)
			in[i] = data(jobs[k].docs[i]);
		struct render_opts o;
		render_opts_init(&o);
		o.helper_path = helper;
		o.fine = jobs[k].fine;
		o.lang = (enum render_lang)jobs[k].lang;
		o.coding = (enum render_coding)jobs[k].coding;
		o.workers = jobs[k].workers;
		o.date_ms = 1790000000000LL;
		if (jobs[k].cover) {
			o.cover_subject = "Composer";
			o.to = "+15555550102";
		}
		/* Longer than the line: cut as the parent cuts it. */
		if (jobs[k].header)
			o.header = "Clinique Saint-Luc, service de radiologie et d'imagerie m\xc3\xa9"
				   "dicale, b\xc3\xa2timent B, deuxi\xc3\xa8me \xc3\xa9tage, "
				   "couloir de gauche, porte 12, demander Mme Dupont-Lef\xc3\xa8vre";
		if (jobs[k].number)
			o.header_number = "+15555550101";
		struct render_result r1, r2;
		assert_int_equal(render_documents(in, (size_t)jobs[k].n, tmp("cp.tif"), &o, &r1), 0);
		o.compose_in_helper = 1;
		if (render_documents(in, (size_t)jobs[k].n, tmp("ch.tif"), &o, &r2) != 0)
			fail_msg("job %zu: %s (%s)", k, render_fail_code(r2.fail), r2.detail);
		assert_int_equal(r1.pages, r2.pages);
		assert_same_file(tmp("cp.tif"), tmp("ch.tif"));
		/* A stored fax re-rendered with its first page replaced. */
		if (jobs[k].cover && jobs[k].coding == RENDER_CODING_MMR && jobs[k].workers == 1) {
			const char *again[] = {tmp("cp.tif")};
			o.replace_first_page = 1;
			o.compose_in_helper = 0;
			assert_int_equal(render_documents(again, 1, tmp("rp.tif"), &o, &r1), 0);
			o.compose_in_helper = 1;
			assert_int_equal(render_documents(again, 1, tmp("rh.tif"), &o, &r2), 0);
			assert_int_equal(r1.pages, r2.pages);
			assert_same_file(tmp("rp.tif"), tmp("rh.tif"));
			assert_same_file(tmp("cp.tif"), tmp("rh.tif"));
		}
	}
	struct render_opts o;
	render_opts_init(&o);
	o.helper_path = helper;
	o.compose_in_helper = 1;
	o.header = "ACME";
	const char *one[1];
	one[0] = data("corrupt.pdf");
	expect_fail(one, 1, &o, RENDER_E_CORRUPT, 0);
	one[0] = data("bomb-pages.pdf");
	expect_fail(one, 1, &o, RENDER_E_TOO_MANY_PAGES, 0);
	const char *two[] = {data("text3.pdf"), data("wrong.zip")};
	expect_fail(two, 2, &o, RENDER_E_UNSUPPORTED, 1);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--helper-compose") == 0)
		compose = 1;
	if (argc > 1 && (strcmp(argv[1], "--helper") == 0 || compose)) {
		helper = render_default_helper();
		if (!helper) {
			fprintf(stderr, "test_render_integ: no faxvault-render-helper found\n");
			return 1;
		}
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_big_caller),
		cmocka_unit_test(test_job_with_cover),
		cmocka_unit_test(test_header_every_page),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_workers),
		cmocka_unit_test(test_idempotent),
		cmocka_unit_test(test_text_crisp),
		cmocka_unit_test(test_replace_first_page),
		cmocka_unit_test(test_topdf_preview),
		cmocka_unit_test(test_topdf_exact),
		cmocka_unit_test(test_topdf_shapes),
		cmocka_unit_test(test_cli),
		cmocka_unit_test(test_helper),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_compose_in_helper),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
