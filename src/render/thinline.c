/* One-pixel strokes with dashes; see thinline.h. */
#include "thinline.h"

#include <math.h>
#include <string.h>

/* Liang-Barsky: the part [*t0, *t1] of p0 + t (p1 - p0) inside
 * [xmin, xmax] x [ymin, ymax]. 0 when some of it is, -1 when none. */
static int thin_clip(double x0, double y0, double x1, double y1, double xmin, double ymin,
	double xmax, double ymax, double *t0, double *t1)
{
	double dx = x1 - x0, dy = y1 - y0;
	double p[4] = {-dx, dx, -dy, dy};
	double q[4] = {x0 - xmin, xmax - x0, y0 - ymin, ymax - y0};
	double a = 0, b = 1;
	for (int i = 0; i < 4; i++) {
		if (p[i] == 0) {
			if (q[i] < 0)
				return -1;
			continue;
		}
		double r = q[i] / p[i];
		if (p[i] < 0) {
			if (r > b)
				return -1;
			if (r > a)
				a = r;
		} else {
			if (r < a)
				return -1;
			if (r < b)
				b = r;
		}
	}
	*t0 = a;
	*t1 = b;
	return 0;
}

/* The columns [*from, *to] of 0..n-1 whose centres lie in [a, b] (a line
 * from 8 to 12 paints 8..11, so dashes keep their length); a piece too
 * short to hold a centre paints the column of its middle. a <= b, and
 * [a, b] meets [0, n]. */
static void thin_span(double a, double b, int n, int *from, int *to)
{
	double f = ceil(a - 0.5), t = floor(b - 0.5);
	if (f > t)
		f = t = floor((a + b) / 2);
	*from = f < 0 ? 0 : f >= n ? n : (int)f;
	*to = t >= n ? n - 1 : t < 0 ? -1 : (int)t;
}

/* Along the major axis (a, na cells, sa bytes apart): for each cell whose
 * centre [a0, a1] spans, the minor coordinate (b, nb cells, sb bytes
 * apart) of the line there. */
static void thin_walk(const struct thin_canvas *cv, uint8_t value, double a0, double b0,
	double a1, double b1, int na, int nb, ptrdiff_t sa, ptrdiff_t sb)
{
	double lo = a0 < a1 ? a0 : a1, hi = a0 < a1 ? a1 : a0;
	double slope = a1 != a0 ? (b1 - b0) / (a1 - a0) : 0;
	int from, to;
	thin_span(lo, hi, na, &from, &to);
	for (int i = from; i <= to; i++) {
		double c = i + 0.5;
		if (c < lo)
			c = lo;
		if (c > hi)
			c = hi;
		double m = floor(b0 + (c - a0) * slope);
		if (m >= 0 && m < nb)
			cv->p[i * sa + (ptrdiff_t)m * sb] = value;
	}
}

void thin_line(const struct thin_canvas *cv, uint8_t value, double x0, double y0, double x1,
	double y1)
{
	if (cv->w <= 0 || cv->h <= 0 || !isfinite(x0) || !isfinite(y0) || !isfinite(x1) ||
		!isfinite(y1))
		return;
	double t0, t1;
	if (thin_clip(x0, y0, x1, y1, 0, 0, cv->w, cv->h, &t0, &t1) < 0)
		return;
	/* Pixels are found from the original end points (clipped ones lose
	 * precision when a point lies far away), over the columns (or rows)
	 * of the canvas only. */
	if (fabs(x1 - x0) >= fabs(y1 - y0))
		thin_walk(cv, value, x0, y0, x1, y1, cv->w, cv->h, 1, cv->stride);
	else
		thin_walk(cv, value, y0, x0, y1, x1, cv->h, cv->w, cv->stride, 1);
}

int thin_stroke_init(struct thin_stroke *s, const struct thin_canvas *cv, uint8_t value,
	const double m[6], const float *dash, int ndash, float phase)
{
	memset(s, 0, sizeof(*s));
	s->cv = *cv;
	s->value = value;
	memcpy(s->m, m, sizeof(s->m));
	for (int i = 0; i < 6; i++)
		if (!isfinite(m[i]))
			return -1;
	double det = m[0] * m[3] - m[1] * m[2];
	if (!(fabs(det) > 1e-12))
		return -1;
	if (ndash <= 0 || !dash)
		return 0;
	if (ndash > THIN_DASHES_MAX || !isfinite(phase))
		return -1;
	double total = 0;
	for (int i = 0; i < ndash; i++) {
		if (!(dash[i] >= 0) || !isfinite(dash[i]))
			return -1;
		total += dash[i];
	}
	/* An odd pattern alternates ink and gap over two repetitions. */
	int n = ndash % 2 ? ndash * 2 : ndash;
	for (int i = 0; i < n; i++)
		s->dash[i] = dash[i % ndash];
	s->ndash = n;
	s->cycle = ndash % 2 ? total * 2 : total;
	/* The smallest scale of m (its smaller singular value) bounds how
	 * short a cycle can get on the page. */
	double a = m[0], b = m[1], c = m[2], d = m[3];
	double e2 = a * a + b * b + c * c + d * d;
	double disc = sqrt(fmax(0, e2 * e2 - 4 * det * det));
	double smin = sqrt(fmax(0, (e2 - disc) / 2));
	if (!(s->cycle * smin >= THIN_DASH_CYCLE_MIN))
		return -1;
	s->phase = fmod(phase, s->cycle);
	if (s->phase < 0)
		s->phase += s->cycle;
	return 0;
}

/* Dash state at the start of a subpath. */
static void thin_dash_reset(struct thin_stroke *s)
{
	if (!s->ndash)
		return;
	s->di = 0;
	s->dleft = s->dash[0];
	double p = s->phase;
	for (int k = 0; k <= s->ndash + 1 && p >= s->dleft && p > 0; k++) {
		p -= s->dleft;
		s->di = (s->di + 1) % s->ndash;
		s->dleft = s->dash[s->di];
	}
	s->dleft -= p;
}

/* Moves along the pattern by len user units without drawing. */
static void thin_dash_skip(struct thin_stroke *s, double len)
{
	if (len <= 0)
		return;
	len = fmod(len, s->cycle);
	for (int k = 0; k <= s->ndash + 1 && len > 0; k++) {
		if (len < s->dleft) {
			s->dleft -= len;
			return;
		}
		len -= s->dleft;
		s->di = (s->di + 1) % s->ndash;
		s->dleft = s->dash[s->di];
	}
}

static void thin_dev(const struct thin_stroke *s, double x, double y, double *dx, double *dy)
{
	*dx = s->m[0] * x + s->m[2] * y + s->m[4];
	*dy = s->m[1] * x + s->m[3] * y + s->m[5];
}

/* One straight piece of the path, user space. */
static void thin_segment(struct thin_stroke *s, double x0, double y0, double x1, double y1)
{
	double ax, ay, bx, by;
	thin_dev(s, x0, y0, &ax, &ay);
	thin_dev(s, x1, y1, &bx, &by);
	if (!s->ndash) {
		thin_line(&s->cv, s->value, ax, ay, bx, by);
		return;
	}
	double len = hypot(x1 - x0, y1 - y0);
	if (!isfinite(len) || !isfinite(ax) || !isfinite(ay) || !isfinite(bx) || !isfinite(by))
		return;
	/* Only the part on the page is walked dash by dash; the pattern
	 * moves over the rest in one step. */
	double t0, t1;
	if (len <= 0 ||
		thin_clip(ax, ay, bx, by, -2, -2, s->cv.w + 2, s->cv.h + 2, &t0, &t1) < 0) {
		thin_dash_skip(s, len);
		return;
	}
	thin_dash_skip(s, t0 * len);
	double pos = t0 * len, end = t1 * len;
	while (pos < end) {
		double step = s->dleft < end - pos ? s->dleft : end - pos;
		if (s->di % 2 == 0 && step >= 0) {
			double u = pos / len, v = (pos + step) / len;
			thin_line(&s->cv, s->value, ax + u * (bx - ax), ay + u * (by - ay), ax + v * (bx - ax),
				ay + v * (by - ay));
		}
		pos += step;
		s->dleft -= step;
		if (s->dleft <= 0) {
			s->di = (s->di + 1) % s->ndash;
			s->dleft = s->dash[s->di];
		}
	}
	thin_dash_skip(s, (1 - t1) * len);
}

void thin_moveto(struct thin_stroke *s, double x, double y)
{
	s->sx = s->cx = x;
	s->sy = s->cy = y;
	s->have = 1;
	thin_dash_reset(s);
}

void thin_lineto(struct thin_stroke *s, double x, double y)
{
	if (!s->have)
		thin_moveto(s, x, y);
	thin_segment(s, s->cx, s->cy, x, y);
	s->cx = x;
	s->cy = y;
}

void thin_curveto(struct thin_stroke *s, double x1, double y1, double x2, double y2, double x3,
	double y3)
{
	if (!s->have)
		thin_moveto(s, x1, y1);
	double x0 = s->cx, y0 = s->cy;
	/* Pieces so the chords stay within a quarter pixel of the curve:
	 * the error of n chords is at most 3/4 d / n^2, d the largest second
	 * difference of the control points on the page. */
	double p[8];
	thin_dev(s, x0, y0, &p[0], &p[1]);
	thin_dev(s, x1, y1, &p[2], &p[3]);
	thin_dev(s, x2, y2, &p[4], &p[5]);
	thin_dev(s, x3, y3, &p[6], &p[7]);
	double d1 = hypot(p[0] - 2 * p[2] + p[4], p[1] - 2 * p[3] + p[5]);
	double d2 = hypot(p[2] - 2 * p[4] + p[6], p[3] - 2 * p[5] + p[7]);
	double d = d1 > d2 ? d1 : d2;
	int n = isfinite(d) ? (int)ceil(sqrt(3 * d)) : 1;
	if (n < 1)
		n = 1;
	if (n > 256)
		n = 256;
	double px = x0, py = y0;
	for (int i = 1; i <= n; i++) {
		double t = (double)i / n, u = 1 - t;
		double b0 = u * u * u, b1 = 3 * u * u * t, b2 = 3 * u * t * t, b3 = t * t * t;
		double qx = b0 * x0 + b1 * x1 + b2 * x2 + b3 * x3;
		double qy = b0 * y0 + b1 * y1 + b2 * y2 + b3 * y3;
		thin_segment(s, px, py, qx, qy);
		px = qx;
		py = qy;
	}
	s->cx = x3;
	s->cy = y3;
}

void thin_closepath(struct thin_stroke *s)
{
	if (!s->have)
		return;
	thin_segment(s, s->cx, s->cy, s->sx, s->sy);
	s->cx = s->sx;
	s->cy = s->sy;
}
