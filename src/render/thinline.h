/* Thin strokes at fax resolution: a stroke no wider than a device pixel,
 * drawn as a one-pixel line (dashes included) straight into the grey page
 * buffer, instead of being turned into an outline of polygons and scan
 * converted (what MuPDF does for any width, and where dashed drawings spent
 * most of their time). One pixel also means a hairline never drops out,
 * as it can when a 0.8-pixel outline misses the pixel centres.
 * Pure (no MuPDF, no I/O): raster.c walks MuPDF's paths into it. */
#ifndef FV_RENDER_THINLINE_H
#define FV_RENDER_THINLINE_H

#include <stddef.h>
#include <stdint.h>

/* Widest stroke, in device pixels, drawn as a one-pixel line. */
#define THIN_WIDTH_MAX 1.0
/* Dash patterns repeating in fewer device pixels than this are left to
 * MuPDF (they look solid, and walking them would cost a step per pixel). */
#define THIN_DASH_CYCLE_MIN 1.5
#define THIN_DASHES_MAX 32

/* A grey page buffer, one byte per pixel, borrowed. */
struct thin_canvas {
	uint8_t *p;
	int w, h;
	ptrdiff_t stride;
};

struct thin_stroke {
	struct thin_canvas cv;
	uint8_t value;          /* grey painted */
	double m[6];            /* user to device: x' = m0 x + m2 y + m4, y' = m1 x + m3 y + m5 */
	double dash[THIN_DASHES_MAX * 2];
	int ndash;              /* elements of one cycle (odd patterns doubled); 0: solid */
	double cycle;           /* user length of one cycle */
	double phase;
	double sx, sy, cx, cy;  /* subpath start and current point (user) */
	int have;               /* a current point exists */
	int di;                 /* dash element */
	double dleft;           /* user length left in it */
};

/* Prepares s to draw into cv with grey `value` through matrix m, dashed by
 * dash[0..ndash) from phase (ndash 0: solid). -1 when the pattern is not
 * one to draw here (negative or non-finite lengths, a cycle shorter than
 * THIN_DASH_CYCLE_MIN device pixels in any direction, too many elements, a
 * degenerate matrix): the caller draws the stroke another way. */
int thin_stroke_init(struct thin_stroke *s, const struct thin_canvas *cv, uint8_t value,
	const double m[6], const float *dash, int ndash, float phase);
/* Path construction in user space, as PDF defines it: the dash pattern
 * restarts at each subpath; closepath draws back to its start. */
void thin_moveto(struct thin_stroke *s, double x, double y);
void thin_lineto(struct thin_stroke *s, double x, double y);
void thin_curveto(struct thin_stroke *s, double x1, double y1, double x2, double y2, double x3,
	double y3);
void thin_closepath(struct thin_stroke *s);

/* A one-pixel line between two device points, clipped to the canvas: one
 * pixel per column (or per row when steeper) whose centre the line spans,
 * the pixel holding the line there; a piece shorter than a pixel paints
 * the pixel of its middle. */
void thin_line(const struct thin_canvas *cv, uint8_t value, double x0, double y0, double x1,
	double y1);

#endif
