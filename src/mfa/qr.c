/* QR codes drawn as PNG images (see qr.h). */
#include "qr.h"

#include <errno.h>
#include <png.h>
#include <qrencode.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "xalloc.h"

/* Largest image: version 40 (177 modules) at QR_SCALE_MAX, 1 bit a pixel,
 * uncompressed, plus headers; the PNG cannot be larger than this. */
#define QR_PNG_MAX ((size_t)(177 + 2 * QR_QUIET) * QR_SCALE_MAX * \
	((((177 + 2 * QR_QUIET) * QR_SCALE_MAX + 7) / 8) + 1) * 2 + 65536)

static QRcode *encode(const char *text)
{
	if (!text || !text[0] || strnlen(text, QR_TEXT_MAX + 1) > QR_TEXT_MAX)
		return NULL;
	/* Version 0: the smallest that holds the text; case-sensitive 8-bit. */
	return QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
}

int qr_modules(const char *text)
{
	QRcode *q = encode(text);
	if (!q)
		return -1;
	int w = q->width;
	QRcode_free(q);
	return w;
}

struct sink {
	buf_t b;
	int failed;
};

static void sink_write(png_structp png, png_bytep data, png_size_t n)
{
	struct sink *s = png_get_io_ptr(png);
	if (buf_append(&s->b, data, n) != 0) {
		s->failed = 1;
		png_error(png, "qr: image too large");
	}
}

static void sink_flush(png_structp png)
{
	(void)png;
}

/* libpng reports errors by longjmp; ours only stop the image, quietly. */
static void on_error(png_structp png, png_const_charp msg)
{
	(void)msg;
	png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

/* Writes q as PNG into s; 0 / -1. Everything that must survive a longjmp is
 * allocated by the caller. */
static int write_png(const QRcode *q, int scale, uint8_t *row, struct sink *s)
{
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, on_error,
		on_warning);
	if (!png)
		return -1;
	png_infop info = png_create_info_struct(png);
	if (!info) {
		png_destroy_write_struct(&png, NULL);
		return -1;
	}
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		return -1;
	}
	int modules = q->width + 2 * QR_QUIET;
	png_uint_32 side = (png_uint_32)(modules * scale);
	size_t rowbytes = (side + 7) / 8;
	png_set_write_fn(png, s, sink_write, sink_flush);
	png_set_IHDR(png, info, side, side, 1, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
		PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (int my = 0; my < modules; my++) {
		/* Gray 1-bit: 1 is white. Start white, clear the dark modules. */
		memset(row, 0xff, rowbytes);
		int qy = my - QR_QUIET;
		for (int mx = 0; qy >= 0 && qy < q->width && mx < q->width; mx++) {
			if (!(q->data[qy * q->width + mx] & 1))
				continue;
			for (int k = 0; k < scale; k++) {
				size_t x = (size_t)(mx + QR_QUIET) * (size_t)scale + (size_t)k;
				row[x / 8] &= (uint8_t)~(0x80u >> (x % 8));
			}
		}
		for (int k = 0; k < scale; k++)
			png_write_row(png, row);
	}
	png_write_end(png, info);
	png_destroy_write_struct(&png, &info);
	return 0;
}

int qr_png(const char *text, int scale, uint8_t **png, size_t *len)
{
	if (!png || !len)
		return -1;
	*png = NULL;
	*len = 0;
	if (scale < 1 || scale > QR_SCALE_MAX)
		return -1;
	QRcode *q = encode(text);
	if (!q)
		return -1;
	size_t side = (size_t)(q->width + 2 * QR_QUIET) * (size_t)scale;
	uint8_t *row = xmalloc((side + 7) / 8);
	struct sink s = { .failed = 0 };
	buf_init(&s.b, QR_PNG_MAX);
	int rc = write_png(q, scale, row, &s);
	free(row);
	QRcode_free(q);
	if (rc != 0 || s.failed || s.b.len == 0) {
		buf_free(&s.b);
		return -1;
	}
	*len = s.b.len;
	*png = (uint8_t *)buf_steal(&s.b);
	return 0;
}
