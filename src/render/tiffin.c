/* Received TIFF to PDF (CCITT data embedded without re-encoding) and to a
 * PNG preview. The TIFF is parsed by libtiff from memory inside a sandboxed
 * child; the child writes the result into a descriptor the parent opened. */
#include "fdio.h"
#include "helper.h"
#include "log.h"
#include "pdfw.h"
#include "render.h"
#include "render_io.h"
#include "sandbox.h"
#include "tiffin.h"
#include "g4enc.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>
#include <unistd.h>

#define TIFFIN_PDF_MAX ((size_t)512 << 20)
#define TIFFIN_ROWS_MAX 100000
#define TIFFIN_WIDTH_MAX 10000

/* ---- libtiff over memory ---- */

struct memtiff {
	const uint8_t *p;
	size_t n;
	size_t pos;
};

static tmsize_t mt_read(thandle_t h, void *buf, tmsize_t size)
{
	struct memtiff *m = h;
	if (size < 0)
		return -1;
	size_t left = m->pos < m->n ? m->n - m->pos : 0;
	size_t k = (size_t)size < left ? (size_t)size : left;
	memcpy(buf, m->p + m->pos, k);
	m->pos += k;
	return (tmsize_t)k;
}

static tmsize_t mt_write(thandle_t h, void *buf, tmsize_t size)
{
	(void)h;
	(void)buf;
	(void)size;
	return -1;
}

static toff_t mt_seek(thandle_t h, toff_t off, int whence)
{
	struct memtiff *m = h;
	uint64_t base = whence == SEEK_CUR ? m->pos : whence == SEEK_END ? m->n : 0;
	if (off > UINT64_MAX - base)
		return (toff_t)-1;
	m->pos = (size_t)(base + off);
	return m->pos;
}

static int mt_close(thandle_t h)
{
	(void)h;
	return 0;
}

static toff_t mt_size(thandle_t h)
{
	return ((struct memtiff *)h)->n;
}

static void tiffin_quiet(const char *mod, const char *fmt, va_list ap)
{
	(void)mod;
	(void)fmt;
	(void)ap;
}

static TIFF *tiffin_open(struct memtiff *m)
{
	TIFFSetWarningHandler(tiffin_quiet);
	TIFFSetErrorHandler(tiffin_quiet);
	/* "m": no memory mapping; "r": read. */
	return TIFFClientOpen("input", "rm", m, mt_read, mt_write, mt_seek, mt_close, mt_size, NULL,
		NULL);
}

struct tiffin_page {
	uint32_t w, h;
	uint16_t comp, photo, fill, bps, spp;
	uint32_t g3opt;
	float xres, yres;
	uint16_t unit;
};

/* Reads and checks the current directory's page facts. -1 when the page is
 * not a bilevel image we can handle. */
static int tiffin_page_info(TIFF *t, struct tiffin_page *p)
{
	memset(p, 0, sizeof(*p));
	if (!TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &p->w) || !TIFFGetField(t, TIFFTAG_IMAGELENGTH, &p->h))
		return -1;
	TIFFGetFieldDefaulted(t, TIFFTAG_COMPRESSION, &p->comp);
	TIFFGetFieldDefaulted(t, TIFFTAG_PHOTOMETRIC, &p->photo);
	TIFFGetFieldDefaulted(t, TIFFTAG_FILLORDER, &p->fill);
	TIFFGetFieldDefaulted(t, TIFFTAG_BITSPERSAMPLE, &p->bps);
	TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLESPERPIXEL, &p->spp);
	if (!TIFFGetField(t, TIFFTAG_PHOTOMETRIC, &p->photo))
		p->photo = PHOTOMETRIC_MINISWHITE;
	if (!TIFFGetField(t, TIFFTAG_GROUP3OPTIONS, &p->g3opt))
		p->g3opt = 0;
	if (!TIFFGetField(t, TIFFTAG_XRESOLUTION, &p->xres) || !(p->xres > 0))
		p->xres = 204;
	if (!TIFFGetField(t, TIFFTAG_YRESOLUTION, &p->yres) || !(p->yres > 0))
		p->yres = 196;
	TIFFGetFieldDefaulted(t, TIFFTAG_RESOLUTIONUNIT, &p->unit);
	if (p->unit == RESUNIT_CENTIMETER) {
		p->xres *= 2.54f;
		p->yres *= 2.54f;
	}
	if (p->xres > 2000 || p->yres > 2000 || p->xres < 10 || p->yres < 10)
		p->xres = 204, p->yres = 196;
	if (p->w < 1 || p->w > TIFFIN_WIDTH_MAX || p->h < 1 || p->h > TIFFIN_ROWS_MAX ||
		p->bps != 1 || p->spp != 1)
		return -1;
	if (p->photo != PHOTOMETRIC_MINISWHITE && p->photo != PHOTOMETRIC_MINISBLACK)
		return -1;
	return 0;
}

static uint8_t rev8(uint8_t b)
{
	b = (uint8_t)((b & 0xf0) >> 4 | (b & 0x0f) << 4);
	b = (uint8_t)((b & 0xcc) >> 2 | (b & 0x33) << 2);
	return (uint8_t)((b & 0xaa) >> 1 | (b & 0x55) << 1);
}

/* Whole page decoded to 1 = black rows (stride (w+7)/8). Caller frees. */
static uint8_t *tiffin_decode(TIFF *t, const struct tiffin_page *p)
{
	size_t stride = (p->w + 7) / 8;
	if ((size_t)TIFFScanlineSize(t) != stride)
		return NULL;
	uint8_t *bits = xmalloc(stride * p->h);
	for (uint32_t y = 0; y < p->h; y++) {
		if (TIFFReadScanline(t, bits + stride * y, y, 0) < 0) {
			free(bits);
			return NULL;
		}
	}
	if (p->photo == PHOTOMETRIC_MINISBLACK)
		for (size_t i = 0; i < stride * p->h; i++)
			bits[i] = (uint8_t)~bits[i];
	return bits;
}

/* ---- topdf ---- */

int tiffin_topdf_mem(struct sandbox_child *c, const uint8_t *data, size_t len, int max_pages,
	buf_t *out)
{
	struct memtiff m = {data, len, 0};
	TIFF *t = tiffin_open(&m);
	if (!t) {
		sandbox_report_fail(c, RENDER_E_CORRUPT, "not a readable TIFF");
		return -1;
	}
	int pages = TIFFNumberOfDirectories(t);
	if (pages < 1) {
		TIFFClose(t);
		sandbox_report_fail(c, RENDER_E_EMPTY, "no pages");
		return -1;
	}
	if (pages > max_pages) {
		TIFFClose(t);
		sandbox_report_fail(c, RENDER_E_TOO_MANY_PAGES, "too many pages");
		return -1;
	}
	sandbox_report_pages(c, pages);
	struct pdfw *w = pdfw_begin(out);
	int rc = -1;
	for (int i = 0; i < pages; i++) {
		struct tiffin_page p;
		if (!TIFFSetDirectory(t, (tdir_t)i) || tiffin_page_info(t, &p) < 0) {
			sandbox_report_fail(c, RENDER_E_UNSUPPORTED, "page is not a bilevel fax image");
			goto out;
		}
		if (i == 0)
			sandbox_report_info(c, (int)p.w, (int)(p.xres + 0.5f), (int)(p.yres + 0.5f));
		int ccitt = p.comp == COMPRESSION_CCITTFAX4 || p.comp == COMPRESSION_CCITTFAX3 ||
			p.comp == COMPRESSION_CCITTRLE;
		uint32_t nstrips = TIFFNumberOfStrips(t);
		uint32_t rps = 0;
		TIFFGetFieldDefaulted(t, TIFFTAG_ROWSPERSTRIP, &rps);
		/* One image per page, so no viewer draws a seam between strips.
		 * CCITT data goes in as it is: one strip, or several G3/RLE
		 * strips joined (their rows are self-contained and every strip
		 * starts on a byte). Several G4 strips (each restarts from a
		 * white reference row) and other codings are decoded and coded
		 * again with our T.6 encoder: lossless, one stream. */
		int passthrough = ccitt && nstrips >= 1 && nstrips <= 4096 && rps >= 1 &&
			(nstrips == 1 || p.comp != COMPRESSION_CCITTFAX4);
		struct pdfw_strip s = {NULL, 0, (int)p.h, PDFW_CCITT, -1, 0, 0};
		uint8_t *coded = NULL;
		if (passthrough) {
			size_t total = 0, cap = 0;
			for (uint32_t k = 0; k < nstrips; k++) {
				uint64_t bc = TIFFGetStrileByteCount(t, k);
				if (bc == 0 || bc > len || total + bc > len) {
					free(coded);
					sandbox_report_fail(c, RENDER_E_CORRUPT, "bad strip");
					goto out;
				}
				if (total + bc > cap) {
					cap = total + bc;
					coded = xrealloc(coded, cap);
				}
				tmsize_t got = TIFFReadRawStrip(t, k, coded + total, (tmsize_t)bc);
				if (got <= 0) {
					free(coded);
					sandbox_report_fail(c, RENDER_E_CORRUPT, "bad strip");
					goto out;
				}
				total += (size_t)got;
			}
			/* LSB-first data put in PDF's bit order: not a re-encoding. */
			if (p.fill == FILLORDER_LSB2MSB)
				for (size_t j = 0; j < total; j++)
					coded[j] = rev8(coded[j]);
			s.data = coded;
			s.len = total;
			s.invert = p.photo == PHOTOMETRIC_MINISBLACK;
			if (p.comp == COMPRESSION_CCITTFAX4) {
				s.k = -1;
			} else if (p.comp == COMPRESSION_CCITTRLE) {
				s.k = 0;
				s.byte_align = 1;
			} else {
				s.k = (p.g3opt & GROUP3OPT_2DENCODING) ? 4 : 0;
			}
		} else {
			uint8_t *bits = tiffin_decode(t, &p);
			if (!bits) {
				sandbox_report_fail(c, RENDER_E_CORRUPT, "cannot decode page");
				goto out;
			}
			coded = g4_encode(bits, (int)p.w, (int)p.h, (p.w + 7) / 8, &s.len);
			free(bits);
			s.data = coded;
		}
		int prc = pdfw_page(w, (int)p.w, p.xres, p.yres, &s, 1);
		free(coded);
		if (prc < 0) {
			sandbox_report_fail(c, RENDER_E_TOO_LARGE, "PDF too large");
			goto out;
		}
		sandbox_report_progress(c, i + 1);
	}
	int erc = pdfw_end(w);
	w = NULL;
	if (erc < 0) {
		sandbox_report_fail(c, RENDER_E_TOO_LARGE, "PDF too large");
		goto out;
	}
	rc = 0;
out:
	pdfw_abort(w);
	TIFFClose(t);
	return rc;
}

int tiffin_topdf_child(struct sandbox_child *c, void *arg)
{
	struct tiffin_job *job = arg;
	buf_t out;
	buf_init(&out, TIFFIN_PDF_MAX);
	int rc = tiffin_topdf_mem(c, job->data, job->len, job->max_pages, &out);
	if (rc == 0 && fd_write_all(job->out_fd, out.data, out.len) < 0) {
		sandbox_report_fail(c, RENDER_E_IO, "cannot write the PDF");
		rc = -1;
	}
	buf_free(&out);
	return rc == 0 ? 0 : 1;
}

/* ---- preview ---- */

struct pngsink {
	int fd;
	int err;
};

static void png_sink_write(png_structp png, png_bytep data, size_t n)
{
	struct pngsink *s = png_get_io_ptr(png);
	if (fd_write_all(s->fd, data, n) < 0)
		s->err = 1;
}

static void png_sink_flush(png_structp png)
{
	(void)png;
}

static void png_quiet(png_structp png, png_const_charp msg)
{
	(void)msg;
	png_longjmp(png, 1);
}

static void png_quiet_warn(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

static int preview_write_png(int fd, const uint8_t *bits, uint32_t w, uint32_t h, uint32_t outh)
{
	size_t stride = (w + 7) / 8;
	struct pngsink sink = {fd, 0};
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, png_quiet, png_quiet_warn);
	if (!png)
		return -1;
	png_infop info = png_create_info_struct(png);
	uint8_t *row = xmalloc(stride);
	if (!info || setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		free(row);
		return -1;
	}
	png_set_write_fn(png, &sink, png_sink_write, png_sink_flush);
	png_set_IHDR(png, info, w, outh, 1, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
		PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (uint32_t y = 0; y < outh; y++) {
		uint32_t sy = (uint32_t)((uint64_t)y * h / outh);
		const uint8_t *src = bits + stride * sy;
		for (size_t i = 0; i < stride; i++)
			row[i] = (uint8_t)~src[i]; /* PNG gray: 1 = white */
		png_write_row(png, row);
	}
	png_write_end(png, info);
	png_destroy_write_struct(&png, &info);
	free(row);
	return sink.err ? -1 : 0;
}

/* A grey PNG of outw x outh: each output pixel the share of white in its
 * box of source pixels. */
static int preview_write_png_grey(int fd, const uint8_t *bits, uint32_t w, uint32_t h,
	uint32_t outw, uint32_t outh)
{
	size_t stride = (w + 7) / 8;
	struct pngsink sink = {fd, 0};
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, png_quiet, png_quiet_warn);
	if (!png)
		return -1;
	png_infop info = png_create_info_struct(png);
	uint8_t *row = xmalloc(outw);
	uint32_t *acc = xcalloc(outw, sizeof(*acc));
	uint32_t *col = xmalloc((size_t)w * sizeof(*col));
	uint32_t *area = xcalloc(outw, sizeof(*area));
	for (uint32_t x = 0; x < w; x++) {
		col[x] = (uint32_t)((uint64_t)x * outw / w);
		area[col[x]]++;
	}
	if (!info || setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		free(row);
		free(acc);
		free(col);
		free(area);
		return -1;
	}
	png_set_write_fn(png, &sink, png_sink_write, png_sink_flush);
	png_set_IHDR(png, info, outw, outh, 8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
		PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (uint32_t oy = 0; oy < outh; oy++) {
		uint32_t y0 = (uint32_t)((uint64_t)oy * h / outh);
		uint32_t y1 = (uint32_t)((uint64_t)(oy + 1) * h / outh);
		if (y1 <= y0)
			y1 = y0 + 1;
		memset(acc, 0, outw * sizeof(*acc));
		for (uint32_t y = y0; y < y1 && y < h; y++) {
			const uint8_t *src = bits + stride * y;
			for (uint32_t x = 0; x < w; x++)
				if (src[x >> 3] & (0x80 >> (x & 7)))
					acc[col[x]]++;
		}
		for (uint32_t ox = 0; ox < outw; ox++) {
			uint64_t n = (uint64_t)area[ox] * (y1 - y0);
			row[ox] = n ? (uint8_t)(255 - acc[ox] * 255 / n) : 255;
		}
		png_write_row(png, row);
	}
	png_write_end(png, info);
	png_destroy_write_struct(&png, &info);
	free(row);
	free(acc);
	free(col);
	free(area);
	return sink.err ? -1 : 0;
}

int tiffin_preview_mem(struct sandbox_child *c, const uint8_t *data, size_t len, int page,
	int width, int out_fd)
{
	struct memtiff m = {data, len, 0};
	TIFF *t = tiffin_open(&m);
	if (!t) {
		sandbox_report_fail(c, RENDER_E_CORRUPT, "not a readable TIFF");
		return -1;
	}
	int pages = TIFFNumberOfDirectories(t);
	struct tiffin_page p;
	int rc = -1;
	if (page < 1 || page > pages) {
		sandbox_report_fail(c, RENDER_E_PAGE_RANGE, "no such page");
		goto out;
	}
	sandbox_report_pages(c, 1);
	if (!TIFFSetDirectory(t, (tdir_t)(page - 1)) || tiffin_page_info(t, &p) < 0) {
		sandbox_report_fail(c, RENDER_E_UNSUPPORTED, "page is not a bilevel fax image");
		goto out;
	}
	uint8_t *bits = tiffin_decode(t, &p);
	if (!bits) {
		sandbox_report_fail(c, RENDER_E_CORRUPT, "cannot decode page");
		goto out;
	}
	double outh = (double)p.h * p.xres / p.yres + 0.5;
	if (outh < 1)
		outh = 1;
	if (outh > TIFFIN_ROWS_MAX * 2)
		outh = TIFFIN_ROWS_MAX * 2;
	uint32_t outw = p.w;
	if (width > 0 && (uint32_t)width < p.w) {
		/* Smaller and grey: the height keeps the page's aspect. */
		outw = (uint32_t)width;
		outh = outh * outw / p.w + 0.5;
		if (outh < 1)
			outh = 1;
	}
	sandbox_report_info(c, (int)outw, (int)(p.xres + 0.5f), (int)outh);
	int wrc = outw == p.w ? preview_write_png(out_fd, bits, p.w, p.h, (uint32_t)outh)
		: preview_write_png_grey(out_fd, bits, p.w, p.h, outw, (uint32_t)outh);
	free(bits);
	if (wrc < 0) {
		sandbox_report_fail(c, RENDER_E_IO, "cannot write the PNG");
		goto out;
	}
	sandbox_report_progress(c, 1);
	rc = 0;
out:
	TIFFClose(t);
	return rc;
}

int tiffin_preview_child(struct sandbox_child *c, void *arg)
{
	struct tiffin_job *job = arg;
	return tiffin_preview_mem(c, job->data, job->len, job->page, job->width, job->out_fd) == 0
		? 0 : 1;
}

/* ---- Parent side ---- */

static int tiffin_run(enum helper_op op, const char *in, const char *out, int page, int width,
	const struct render_opts *ro, struct sandbox_out *so, struct render_result *r)
{
	render_result_init(r);
	if (!in || !out) {
		render_set_fail(r, RENDER_E_USAGE, "input and output needed");
		return -1;
	}
	uint8_t *data;
	size_t len;
	if (render_read_file(in, &data, &len, r) < 0)
		return -1;
	if (render_sniff(data, len) != RENDER_TYPE_TIFF) {
		free(data);
		render_set_fail(r, RENDER_E_UNSUPPORTED, "%s is not a TIFF", in);
		return -1;
	}
	char *part;
	int fd = render_create_part(out, &part);
	if (fd < 0) {
		render_set_fail(r, RENDER_E_IO, "cannot create %s: %s", out, strerror(errno));
		free(part);
		free(data);
		return -1;
	}
	struct render_opts o;
	if (ro)
		o = *ro;
	else
		render_opts_init(&o);
	o.max_pages = RENDER_PAGES_MAX;
	struct sandbox_limits lim;
	render_limits(&o, &lim);
	render_warn_fork(&o);
	int rc;
	if (o.helper_path) {
		struct helper_job h;
		memset(&h, 0, sizeof(h));
		h.op = op;
		h.page = page;
		h.width = width;
		rc = helper_run(o.helper_path, &h, &data, len, NULL, 1, &fd, &lim, so, r);
	} else {
		struct tiffin_job job = {data, len, fd, page, width, RENDER_PAGES_MAX};
		rc = sandbox_run(op == HELPER_OP_TOPDF ? tiffin_topdf_child : tiffin_preview_child, &job,
			&fd, 1, &lim, so, r);
	}
	free(data);
	if (close(fd) != 0 && rc == 0) {
		render_set_fail(r, RENDER_E_IO, "cannot write %s", out);
		rc = -1;
	}
	if (rc == 0 && rename(part, out) != 0) {
		render_set_fail(r, RENDER_E_IO, "cannot write %s: %s", out, strerror(errno));
		rc = -1;
	}
	if (rc < 0)
		unlink(part);
	free(part);
	return rc;
}

int render_tiff_to_pdf(const char *in_tif, const char *out_pdf, struct render_result *r)
{
	return render_tiff_to_pdf_opts(in_tif, out_pdf, NULL, r);
}

int render_tiff_to_pdf_opts(const char *in_tif, const char *out_pdf, const struct render_opts *o,
	struct render_result *r)
{
	struct sandbox_out so;
	if (tiffin_run(HELPER_OP_TOPDF, in_tif, out_pdf, 0, 0, o, &so, r) < 0)
		return -1;
	r->pages = so.pages;
	r->width = so.info[0];
	r->xres = so.info[1];
	r->yres = so.info[2];
	return 0;
}

int render_tiff_preview(const char *in_tif, int page, const char *out_png, struct render_result *r)
{
	return render_tiff_preview_scaled(in_tif, page, 0, out_png, r);
}

int render_tiff_preview_scaled(const char *in_tif, int page, int width, const char *out_png,
	struct render_result *r)
{
	return render_tiff_preview_opts(in_tif, page, width, out_png, NULL, r);
}

int render_tiff_preview_opts(const char *in_tif, int page, int width, const char *out_png,
	const struct render_opts *o, struct render_result *r)
{
	struct sandbox_out so;
	if (width != 0 && (width < RENDER_PREVIEW_WIDTH_MIN || width > RENDER_WIDTH)) {
		render_result_init(r);
		render_set_fail(r, RENDER_E_USAGE, "preview width %d..%d", RENDER_PREVIEW_WIDTH_MIN,
			RENDER_WIDTH);
		return -1;
	}
	if (tiffin_run(HELPER_OP_PREVIEW, in_tif, out_png, page, width, o, &so, r) < 0)
		return -1;
	r->pages = 1;
	r->width = so.info[0];
	r->xres = so.info[1];
	r->yres = so.info[1]; /* the PNG is square-pixelled at xres */
	r->height = so.info[2];
	return 0;
}
