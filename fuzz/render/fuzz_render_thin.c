/* Thin strokes (thinline.c) with hostile numbers: any matrix, dash pattern
 * and path (coordinates from a PDF are the document's) must stay within
 * the canvas (ASan watches its exact size) and end promptly. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "thinline.h"

struct rd {
	const uint8_t *p;
	size_t n;
};

/* A number: 16 bits scaled by 1/scale, with two values kept for the
 * extremes (1e30 and NaN); 0 once the input is used up. */
static double num(struct rd *r, double scale)
{
	if (r->n < 2)
		return 0;
	int16_t v = (int16_t)(r->p[0] << 8 | r->p[1]);
	r->p += 2;
	r->n -= 2;
	if (v == INT16_MAX)
		return 1e30;
	if (v == INT16_MIN)
		return NAN;
	return v / scale;
}

static int byte(struct rd *r)
{
	if (r->n < 1)
		return -1;
	r->n--;
	return *r->p++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rd r = {data, size};
	int w = 1 + (byte(&r) & 0xff) % 200, h = 1 + (byte(&r) & 0xff) % 200;
	uint8_t *p = malloc((size_t)w * (size_t)h);
	if (!p)
		abort();
	memset(p, 255, (size_t)w * (size_t)h);
	struct thin_canvas cv = {p, w, h, w};
	double m[6];
	for (int i = 0; i < 6; i++)
		m[i] = num(&r, i < 4 ? 256 : 8);
	int nd = byte(&r);
	nd = nd < 0 ? 0 : nd % 8;
	float dash[8];
	for (int i = 0; i < nd; i++)
		dash[i] = (float)num(&r, 16);
	float phase = (float)num(&r, 16);
	struct thin_stroke s;
	if (thin_stroke_init(&s, &cv, 0, m, nd ? dash : NULL, nd, phase) == 0) {
		int op;
		while ((op = byte(&r)) >= 0) {
			double a = num(&r, 8), b = num(&r, 8);
			switch (op % 5) {
			case 0: thin_moveto(&s, a, b); break;
			case 1: thin_lineto(&s, a, b); break;
			case 2: {
				double c = num(&r, 8), d = num(&r, 8), e = num(&r, 8), f = num(&r, 8);
				thin_curveto(&s, a, b, c, d, e, f);
				break;
			}
			case 3: thin_closepath(&s); break;
			default: thin_line(&cv, 0, a, b, num(&r, 8), num(&r, 8)); break;
			}
		}
	}
	free(p);
	return 0;
}
