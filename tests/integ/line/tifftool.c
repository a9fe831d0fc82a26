/* Test helper for the line engine's loopback tests (not installed):
 *   line_tifftool mk OUT.tif PAGES [fine]   writes a TIFF-F test document
 *   line_tifftool cmp SENT.tif RECEIVED.tif [exact|tolerant]
 * mk draws a different pattern per page (boxes, lines, a page-number bar
 * code) so that a lost, repeated or reordered page changes the pixels.
 * cmp checks page count and dimensions, and the pixels: every one when
 * exact (ECM), else at most 2% of rows may differ (non-ECM lets a few bad
 * rows through, as fax machines do). Exit 0 equal, 1 different, 2 error. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>

#define W 1728

static void set_px(uint8_t *row, int x)
{
	row[x >> 3] |= (uint8_t)(0x80 >> (x & 7));
}

static int mk(const char *path, int pages, int fine)
{
	TIFF *t = TIFFOpen(path, "w");
	if (!t)
		return 2;
	int rows = fine ? 2200 : 1100;
	uint8_t row[W / 8];
	for (int p = 0; p < pages; p++) {
		TIFFSetField(t, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
		TIFFSetField(t, TIFFTAG_IMAGEWIDTH, W);
		TIFFSetField(t, TIFFTAG_IMAGELENGTH, rows);
		TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 1);
		TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
		TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX3);
		TIFFSetField(t, TIFFTAG_GROUP3OPTIONS, GROUP3OPT_FILLBITS);
		TIFFSetField(t, TIFFTAG_FILLORDER, FILLORDER_LSB2MSB);
		TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
		TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
		TIFFSetField(t, TIFFTAG_XRESOLUTION, 204.0f);
		TIFFSetField(t, TIFFTAG_YRESOLUTION, fine ? 196.0f : 98.0f);
		TIFFSetField(t, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
		TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, rows);
		TIFFSetField(t, TIFFTAG_PAGENUMBER, p, pages);
		TIFFSetField(t, TIFFTAG_SOFTWARE, "faxvault line test");
		for (int y = 0; y < rows; y++) {
			memset(row, 0, sizeof row);
			int yy = fine ? y / 2 : y;
			/* frame */
			if (yy < 4 || yy > 1095)
				memset(row, 0xff, sizeof row);
			set_px(row, 0);
			set_px(row, W - 1);
			/* "text" blocks whose layout depends on the page */
			int line = yy / 24, in = yy % 24;
			if (yy > 40 && yy < 900 && in > 4 && in < 16) {
				for (int w = 0; w < 14; w++) {
					int x0 = 80 + w * 110 + ((line * 37 + w * 11 + p * 53) % 40);
					int len = 30 + ((line * 13 + w * 7 + p * 29) % 60);
					for (int x = x0; x < x0 + len && x < W - 80; x++)
						set_px(row, x);
				}
			}
			/* page number bar code: p+1 thick bars */
			if (yy > 950 && yy < 1050)
				for (int b = 0; b <= p; b++)
					for (int x = 200 + b * 60; x < 230 + b * 60; x++)
						set_px(row, x);
			/* diagonal */
			if (yy < 1100) {
				int x = (yy * 3 + p * 100) % W;
				set_px(row, x);
			}
			if (TIFFWriteScanline(t, row, (uint32_t)y, 0) < 0) {
				TIFFClose(t);
				return 2;
			}
		}
		TIFFWriteDirectory(t);
	}
	TIFFClose(t);
	return 0;
}

static int npages(TIFF *t)
{
	return TIFFNumberOfDirectories(t);
}

static int cmp(const char *a, const char *b, int exact)
{
	TIFF *ta = TIFFOpen(a, "r"), *tb = TIFFOpen(b, "r");
	if (!ta || !tb) {
		fprintf(stderr, "cannot open %s\n", !ta ? a : b);
		return 2;
	}
	int na = npages(ta), nb = npages(tb);
	if (na != nb) {
		fprintf(stderr, "page count differs: %d vs %d\n", na, nb);
		return 1;
	}
	int rc = 0;
	for (int p = 0; p < na && rc == 0; p++) {
		TIFFSetDirectory(ta, (uint16_t)p);
		TIFFSetDirectory(tb, (uint16_t)p);
		uint32_t wa, wb, ha, hb;
		float ya = 0, yb = 0;
		TIFFGetField(ta, TIFFTAG_IMAGEWIDTH, &wa);
		TIFFGetField(tb, TIFFTAG_IMAGEWIDTH, &wb);
		TIFFGetField(ta, TIFFTAG_IMAGELENGTH, &ha);
		TIFFGetField(tb, TIFFTAG_IMAGELENGTH, &hb);
		TIFFGetField(ta, TIFFTAG_YRESOLUTION, &ya);
		TIFFGetField(tb, TIFFTAG_YRESOLUTION, &yb);
		if (wa != wb || ha != hb) {
			fprintf(stderr, "page %d: %ux%u vs %ux%u\n", p + 1, wa, ha, wb, hb);
			rc = 1;
			break;
		}
		if ((int)(ya + 0.5f) != (int)(yb + 0.5f) && (int)(ya * 2.54f / 100 + 0.5f) != (int)(yb + 0.5f) &&
		    (int)(ya + 0.5f) != (int)(yb * 2.54f / 100 + 0.5f))
			fprintf(stderr, "page %d: y resolution %.1f vs %.1f (units may differ)\n", p + 1, ya, yb);
		tmsize_t sa = TIFFScanlineSize(ta), sb = TIFFScanlineSize(tb);
		uint8_t *ra = malloc((size_t)sa), *rb = malloc((size_t)sb);
		uint32_t bad = 0;
		for (uint32_t y = 0; y < ha; y++) {
			if (TIFFReadScanline(ta, ra, y, 0) < 0 || TIFFReadScanline(tb, rb, y, 0) < 0) {
				bad++;
				continue;
			}
			uint16_t pa = 0, pb = 0;
			TIFFGetFieldDefaulted(ta, TIFFTAG_PHOTOMETRIC, &pa);
			TIFFGetFieldDefaulted(tb, TIFFTAG_PHOTOMETRIC, &pb);
			if (pa != pb)
				for (tmsize_t i = 0; i < sb; i++)
					rb[i] = (uint8_t)~rb[i];
			if (sa != sb || memcmp(ra, rb, (size_t)sa) != 0)
				bad++;
		}
		free(ra);
		free(rb);
		if (bad && (exact || bad * 50 > ha)) {
			fprintf(stderr, "page %d: %u of %u rows differ\n", p + 1, bad, ha);
			rc = 1;
		} else if (bad) {
			fprintf(stderr, "page %d: %u of %u rows differ (tolerated without ECM)\n", p + 1, bad, ha);
		}
	}
	TIFFClose(ta);
	TIFFClose(tb);
	if (rc == 0)
		printf("same: %d pages\n", na);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "mk") == 0)
		return mk(argv[2], atoi(argv[3]), argc > 4 && strcmp(argv[4], "fine") == 0);
	if (argc >= 4 && strcmp(argv[1], "cmp") == 0)
		return cmp(argv[2], argv[3], !(argc > 4 && strcmp(argv[4], "tolerant") == 0));
	fprintf(stderr, "usage: line_tifftool mk OUT PAGES [fine] | cmp A B [exact|tolerant]\n");
	return 2;
}
