/* The PDF writer: objects appended as they come, offsets kept for the
 * cross-reference table, the page tree written last. */
#include "pdfw.h"
#include "xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PDFW_OBJ_CATALOG 1
#define PDFW_OBJ_PAGES 2
#define PDFW_STRIPS_MAX 4096

struct pdfw {
	buf_t *out;
	size_t *off;     /* off[obj] = byte offset; index 0 unused */
	int nobj, capobj;
	int *kids;
	int nkids, capkids;
	int err;
};

static int pdfw_new_obj(struct pdfw *w)
{
	if (w->nobj + 1 >= w->capobj) {
		w->capobj = w->capobj ? w->capobj * 2 : 64;
		w->off = xrealloc(w->off, (size_t)w->capobj * sizeof(*w->off));
	}
	w->nobj++;
	w->off[w->nobj] = 0;
	return w->nobj;
}

static void pdfw_start_obj(struct pdfw *w, int obj)
{
	w->off[obj] = w->out->len;
	if (buf_printf(w->out, "%d 0 obj\n", obj) < 0)
		w->err = 1;
}

static void pdfw_printf(struct pdfw *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void pdfw_printf(struct pdfw *w, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (buf_vprintf(w->out, fmt, ap) < 0)
		w->err = 1;
	va_end(ap);
}

struct pdfw *pdfw_begin(buf_t *out)
{
	struct pdfw *w = xcalloc(1, sizeof(*w));
	w->out = out;
	pdfw_new_obj(w); /* 1: catalog */
	pdfw_new_obj(w); /* 2: page tree */
	/* A binary comment marks the file as binary for transfer programs. */
	pdfw_printf(w, "%%PDF-1.4\n%%\xe2\xe3\xcf\xd3\n");
	return w;
}

int pdfw_page(struct pdfw *w, int width, double xres, double yres, const struct pdfw_strip *s,
	int nstrips)
{
	if (!w || w->err || width < 1 || width > 100000 || nstrips < 1 || nstrips > PDFW_STRIPS_MAX ||
		!(xres >= 1 && xres <= 10000) || !(yres >= 1 && yres <= 10000))
		return -1;
	long rows = 0;
	for (int i = 0; i < nstrips; i++) {
		if (s[i].rows < 1 || s[i].rows > 1000000 || (!s[i].data && s[i].len))
			return -1;
		rows += s[i].rows;
	}
	double wpt = width * 72.0 / xres, hpt = (double)rows * 72.0 / yres;
	int page = pdfw_new_obj(w), contents = pdfw_new_obj(w);
	int first_img = w->nobj + 1;
	for (int i = 0; i < nstrips; i++)
		pdfw_new_obj(w);
	if (w->nkids == w->capkids) {
		w->capkids = w->capkids ? w->capkids * 2 : 16;
		w->kids = xrealloc(w->kids, (size_t)w->capkids * sizeof(*w->kids));
	}
	w->kids[w->nkids++] = page;

	pdfw_start_obj(w, page);
	pdfw_printf(w, "<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %.2f %.2f]\n"
		"/Resources << /XObject <<", PDFW_OBJ_PAGES, wpt, hpt);
	for (int i = 0; i < nstrips; i++)
		pdfw_printf(w, " /Im%d %d 0 R", i, first_img + i);
	pdfw_printf(w, " >> >>\n/Contents %d 0 R >>\nendobj\n", contents);

	/* Strips from the top: PDF's origin is the bottom left. */
	buf_t cs;
	buf_init(&cs, (size_t)nstrips * 96 + 64);
	long above = 0;
	for (int i = 0; i < nstrips; i++) {
		double h = s[i].rows * 72.0 / yres;
		double y = hpt - (double)above * 72.0 / yres - h;
		if (buf_printf(&cs, "q %.4f 0 0 %.4f 0 %.4f cm /Im%d Do Q\n", wpt, h, y, i) < 0)
			w->err = 1;
		above += s[i].rows;
	}
	pdfw_start_obj(w, contents);
	pdfw_printf(w, "<< /Length %zu >>\nstream\n", cs.len);
	if (buf_append(w->out, cs.data ? cs.data : "", cs.len) < 0)
		w->err = 1;
	pdfw_printf(w, "\nendstream\nendobj\n");
	buf_free(&cs);

	for (int i = 0; i < nstrips; i++) {
		pdfw_start_obj(w, first_img + i);
		pdfw_printf(w, "<< /Type /XObject /Subtype /Image /Width %d /Height %d "
			"/ColorSpace /DeviceGray /BitsPerComponent 1 /Length %zu\n",
			width, s[i].rows, s[i].len);
		if (s[i].filter == PDFW_CCITT) {
			pdfw_printf(w, "/Filter /CCITTFaxDecode /DecodeParms << /K %d /Columns %d /Rows %d%s >>\n",
				s[i].k < 0 ? -1 : s[i].k, width, s[i].rows,
				s[i].byte_align ? " /EncodedByteAlign true" : "");
		} else {
			pdfw_printf(w, "/Filter /FlateDecode\n");
		}
		/* CCITT data decodes 0 = black (BlackIs1 false); Flate data is ours,
		 * 1 = black, so it is inverted. */
		int invert = s[i].filter == PDFW_FLATE ? !s[i].invert : s[i].invert;
		if (invert)
			pdfw_printf(w, "/Decode [1 0]\n");
		pdfw_printf(w, ">>\nstream\n");
		if (s[i].len && buf_append(w->out, s[i].data, s[i].len) < 0)
			w->err = 1;
		pdfw_printf(w, "\nendstream\nendobj\n");
	}
	return w->err ? -1 : 0;
}

void pdfw_abort(struct pdfw *w)
{
	if (!w)
		return;
	free(w->off);
	free(w->kids);
	free(w);
}

int pdfw_end(struct pdfw *w)
{
	if (!w)
		return -1;
	if (w->nkids == 0)
		w->err = 1;
	pdfw_start_obj(w, PDFW_OBJ_CATALOG);
	pdfw_printf(w, "<< /Type /Catalog /Pages %d 0 R >>\nendobj\n", PDFW_OBJ_PAGES);
	pdfw_start_obj(w, PDFW_OBJ_PAGES);
	pdfw_printf(w, "<< /Type /Pages /Count %d /Kids [", w->nkids);
	for (int i = 0; i < w->nkids; i++)
		pdfw_printf(w, "%s%d 0 R", i ? " " : "", w->kids[i]);
	pdfw_printf(w, "] >>\nendobj\n");
	size_t xref = w->out->len;
	pdfw_printf(w, "xref\n0 %d\n0000000000 65535 f \n", w->nobj + 1);
	for (int i = 1; i <= w->nobj; i++)
		pdfw_printf(w, "%010zu 00000 n \n", w->off[i]);
	pdfw_printf(w, "trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%zu\n%%%%EOF\n", w->nobj + 1,
		PDFW_OBJ_CATALOG, xref);
	int rc = w->err ? -1 : 0;
	pdfw_abort(w);
	return rc;
}
