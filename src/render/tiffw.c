/* TIFF-F writing through libtiff. */
#include "tiffw.h"
#include "g4enc.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>
#include <unistd.h>

struct tiffw {
	TIFF *tif;
	enum render_coding coding;
	int yres;
};

/* libtiff reports through global handlers; keep them quiet (the caller
 * reports a failed call itself). */
static void tiffw_quiet(const char *mod, const char *fmt, va_list ap)
{
	(void)mod;
	(void)fmt;
	(void)ap;
}

struct tiffw *tiffw_open(const char *path, enum render_coding coding, int yres, char *err,
	size_t errlen)
{
	TIFFSetWarningHandler(tiffw_quiet);
	TIFFSetErrorHandler(tiffw_quiet);
	TIFF *tif = TIFFOpen(path, "w");
	if (!tif) {
		snprintf(err, errlen, "cannot create %s", path);
		return NULL;
	}
	struct tiffw *t = xcalloc(1, sizeof(*t));
	t->tif = tif;
	t->coding = coding;
	t->yres = yres;
	return t;
}

struct tiffw *tiffw_open_fd(int fd, const char *name, enum render_coding coding, int yres,
	char *err, size_t errlen)
{
	TIFFSetWarningHandler(tiffw_quiet);
	TIFFSetErrorHandler(tiffw_quiet);
	TIFF *tif = TIFFFdOpen(fd, name, "w");
	if (!tif) {
		close(fd);
		snprintf(err, errlen, "cannot write %s", name);
		return NULL;
	}
	struct tiffw *t = xcalloc(1, sizeof(*t));
	t->tif = tif;
	t->coding = coding;
	t->yres = yres;
	return t;
}

/* The tags of a page of w x h pixels. */
static void tiffw_tags(struct tiffw *t, int w, int h, int pageno, int total)
{
	TIFF *tif = t->tif;
	TIFFSetField(tif, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
	TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, (uint32_t)w);
	TIFFSetField(tif, TIFFTAG_IMAGELENGTH, (uint32_t)h);
	TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, 1);
	TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, 1);
	TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
	TIFFSetField(tif, TIFFTAG_FILLORDER, FILLORDER_MSB2LSB);
	TIFFSetField(tif, TIFFTAG_ORIENTATION, ORIENTATION_TOPLEFT);
	TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
	switch (t->coding) {
	case RENDER_CODING_MH:
		TIFFSetField(tif, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX3);
		TIFFSetField(tif, TIFFTAG_GROUP3OPTIONS, GROUP3OPT_FILLBITS);
		break;
	case RENDER_CODING_MR:
		TIFFSetField(tif, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX3);
		TIFFSetField(tif, TIFFTAG_GROUP3OPTIONS, GROUP3OPT_2DENCODING | GROUP3OPT_FILLBITS);
		break;
	case RENDER_CODING_MMR:
	default:
		TIFFSetField(tif, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX4);
		break;
	}
	TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, (uint32_t)h);
	TIFFSetField(tif, TIFFTAG_XRESOLUTION, (float)RENDER_XRES);
	TIFFSetField(tif, TIFFTAG_YRESOLUTION, (float)t->yres);
	TIFFSetField(tif, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
	TIFFSetField(tif, TIFFTAG_PAGENUMBER, (uint16_t)pageno, (uint16_t)total);
	TIFFSetField(tif, TIFFTAG_CLEANFAXDATA, CLEANFAXDATA_CLEAN);
	TIFFSetField(tif, TIFFTAG_SOFTWARE, "faxvault " FV_VERSION);
}

int tiffw_page(struct tiffw *t, const struct bitmap *b, int pageno, int total)
{
	TIFF *tif = t->tif;
	tiffw_tags(t, b->w, b->h, pageno, total);
	if (t->coding == RENDER_CODING_MMR) {
		/* Our own T.6 encoder; libtiff stores the strip as it is. */
		size_t len;
		uint8_t *g4 = g4_encode(b->bits, b->w, b->h, (size_t)b->stride, &len);
		tmsize_t w = TIFFWriteRawStrip(tif, 0, g4, (tmsize_t)len);
		free(g4);
		if (w != (tmsize_t)len)
			return -1;
	} else {
		tmsize_t n = (tmsize_t)b->h * b->stride;
		if (TIFFWriteEncodedStrip(tif, 0, b->bits, n) != n)
			return -1;
	}
	return TIFFWriteDirectory(tif) ? 0 : -1;
}

int tiffw_page_coded(struct tiffw *t, int w, int h, const uint8_t *g4, size_t len, int pageno,
	int total)
{
	if (t->coding != RENDER_CODING_MMR)
		return -1;
	tiffw_tags(t, w, h, pageno, total);
	if (TIFFWriteRawStrip(t->tif, 0, (void *)(uintptr_t)g4, (tmsize_t)len) != (tmsize_t)len)
		return -1;
	return TIFFWriteDirectory(t->tif) ? 0 : -1;
}

int tiffw_close(struct tiffw *t)
{
	if (!t)
		return 0;
	int rc = TIFFFlush(t->tif) ? 0 : -1;
	TIFFClose(t->tif);
	free(t);
	return rc;
}
