/* The renderer child's work: one hostile document (PDF, TIFF, PNG, JPEG
 * through MuPDF; text through FreeType) to bilevel 1728-wide pages written
 * as a page stream (bitmap.h) to an open descriptor. Runs inside the
 * sandbox; every allocation of MuPDF goes through an allocator that refuses
 * to pass the memory cap, so the cap holds even where RLIMIT_AS cannot. */
#ifndef FV_RENDER_RASTER_H
#define FV_RENDER_RASTER_H

#include <stddef.h>
#include <stdint.h>

#include "bitmap.h"
#include "render.h"
#include "sandbox.h"
#include "textdraw.h"

/* Height of a portrait A4 page in rows, and the page margins in pixels. */
#define RASTER_A4_ROWS(yres) ((int)(297.0 / 25.4 * (yres) + 0.5))

struct raster_job {
	const uint8_t *data;   /* the document, borrowed */
	size_t len;
	enum render_type type;
	int yres;
	int max_pages;
	size_t mem_bytes;
	const struct font_data *fonts; /* for text documents */
	int out_fd;            /* page stream goes here */
	int part, nparts;      /* this child renders part `part` of `nparts` equal
	                        * shares of the pages (0 of 1: all of them) */
	/* When set, each finished page goes to page_out (done: its number in
	 * the document, 1-based; the page is the callee's to draw on until it
	 * returns) instead of out_fd, before its progress is reported; < 0
	 * fails the job as a failed write does. */
	int (*page_out)(void *arg, struct bitmap *page, int done);
	void *page_arg;
};

/* The share [*lo, *hi) of part `part` of `nparts` for a document of pages
 * pages (pure). */
void raster_share(int pages, int part, int nparts, int *lo, int *hi);

/* A sandbox_fn: renders job (a struct raster_job *) into job->out_fd. It
 * announces the pages of its share (sandbox_report_pages) and the
 * document's page count as info[0]. */
int raster_child(struct sandbox_child *c, void *job);

/* Page geometry (pure): for a page of w_pt x h_pt points, whether to turn it
 * (landscape), the scale in x and y, the x offset, and the rows. -1 for a
 * degenerate page. */
struct raster_geom {
	int rotate;
	double sx, sy;
	double xoff;
	int rows;
};
int raster_geometry(double w_pt, double h_pt, int yres, struct raster_geom *g);

#endif
