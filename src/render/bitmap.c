/* Bilevel page bitmaps, ordered dithering and the page stream. */
#include "bitmap.h"
#include "fdio.h"
#include "render.h"
#include "xalloc.h"

#include <errno.h>
#include <stdlib.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <string.h>
#include <unistd.h>

struct bitmap *bitmap_new(int w, int h)
{
	struct bitmap *b = xcalloc(1, sizeof(*b));
	b->w = w;
	b->h = h;
	b->stride = (w + 7) / 8;
	b->bits = xcalloc((size_t)h, (size_t)b->stride);
	return b;
}

void bitmap_free(struct bitmap *b)
{
	if (!b)
		return;
	free(b->bits);
	free(b);
}

void bitmap_fill(struct bitmap *b, int x, int y, int w, int h, int black)
{
	int x1 = x + w, y1 = y + h;
	if (x < 0) x = 0;
	if (y < 0) y = 0;
	if (x1 > b->w) x1 = b->w;
	if (y1 > b->h) y1 = b->h;
	if (x >= x1)
		return;
	/* Whole bytes at once, the bits of the first and last byte masked. */
	int bx0 = x >> 3, bx1 = (x1 - 1) >> 3;
	uint8_t m0 = (uint8_t)(0xff >> (x & 7)), m1 = (uint8_t)(0xff00 >> (((x1 - 1) & 7) + 1));
	if (bx0 == bx1)
		m0 &= m1;
	for (int yy = y; yy < y1; yy++) {
		uint8_t *row = b->bits + (size_t)yy * b->stride;
		if (black)
			row[bx0] |= m0;
		else
			row[bx0] &= (uint8_t)~m0;
		if (bx1 > bx0) {
			if (bx1 > bx0 + 1)
				memset(row + bx0 + 1, black ? 0xff : 0, (size_t)(bx1 - bx0 - 1));
			if (black)
				row[bx1] |= m1;
			else
				row[bx1] &= (uint8_t)~m1;
		}
	}
}

/* Clustered-dot screen: an 8 x 8 cell whose threshold grows from the
 * centre outwards, so greys become round dots. A dispersed (Bayer) screen
 * looks finer but turns a grey area into a checkerboard with a change at
 * every pixel: four times the coded size, so four times the transmission
 * time, and a pattern fax machines print badly. Built once; the order is
 * by distance from the centre, ties by position. */
static uint8_t screen[8][8];
/* Bits of a byte in reverse order: SSE2's movemask puts the first pixel
 * in the lowest bit, a fax row wants it in the highest. */
static uint8_t bitrev[256];

static void screen_init(void)
{
	if (screen[0][0])
		return;
	for (int i = 0; i < 256; i++) {
		uint8_t r = 0;
		for (int k = 0; k < 8; k++)
			r |= (uint8_t)(((i >> k) & 1) << (7 - k));
		bitrev[i] = r;
	}
	int rank[64];
	for (int i = 0; i < 64; i++)
		rank[i] = i;
	/* Insertion sort of the 64 cells by squared distance from (3.5, 3.5). */
	for (int i = 1; i < 64; i++) {
		int v = rank[i], j = i;
		int dv = (2 * (v / 8) - 7) * (2 * (v / 8) - 7) + (2 * (v % 8) - 7) * (2 * (v % 8) - 7);
		while (j > 0) {
			int u = rank[j - 1];
			int du = (2 * (u / 8) - 7) * (2 * (u / 8) - 7) + (2 * (u % 8) - 7) * (2 * (u % 8) - 7);
			if (du <= dv)
				break;
			rank[j] = u;
			j--;
		}
		rank[j] = v;
	}
	/* Thresholds 2..254: 0 always black, 255 always white. */
	for (int k = 0; k < 64; k++)
		screen[rank[k] / 8][rank[k] % 8] = (uint8_t)(k * 4 + 2);
}

/* wipe: every pixel of gray that was not white is set to white (255). */
static void dither(struct bitmap *b, int x0, int y0, uint8_t *gray, int gw, int gh,
	ptrdiff_t gstride, int wipe)
{
	screen_init();
	const uint8_t(*thr)[8] = screen;
	for (int y = 0; y < gh; y++) {
		int by = y0 + y;
		uint8_t *g = gray + (ptrdiff_t)y * gstride;
		if (by < 0 || by >= b->h) {
			if (wipe)
				memset(g, 255, (size_t)gw);
			continue;
		}
		const uint8_t *t = thr[by & 7];
		uint8_t *row = b->bits + (size_t)by * b->stride;
		int x = 0;
		if (x0 == 0 && gw <= b->w) {
			/* The common case, whole aligned bytes: white bytes skipped,
			 * eight pixels packed at a time (sixteen with SSE2, where a
			 * pixel is black when max(g, t) != g, i.e. g < t unsigned). */
#ifdef __SSE2__
			__m128i t16 = _mm_loadl_epi64((const __m128i *)t);
			t16 = _mm_unpacklo_epi64(t16, t16);
			const __m128i white = _mm_set1_epi8(-1);
			for (; x + 16 <= gw; x += 16) {
				__m128i g16 = _mm_loadu_si128((const __m128i *)(g + x));
				if (_mm_movemask_epi8(_mm_cmpeq_epi8(g16, white)) == 0xffff)
					continue;
				__m128i ge = _mm_cmpeq_epi8(_mm_max_epu8(g16, t16), g16);
				unsigned m = ~(unsigned)_mm_movemask_epi8(ge) & 0xffffu;
				row[x >> 3] |= bitrev[m & 0xff];
				row[(x >> 3) + 1] |= bitrev[m >> 8];
				if (wipe)
					_mm_storeu_si128((__m128i *)(g + x), white);
			}
#endif
			for (; x + 8 <= gw; x += 8) {
				uint64_t w8;
				memcpy(&w8, g + x, 8);
				if (w8 == UINT64_MAX)
					continue;
				if (w8 == 0) {
					row[x >> 3] = 0xff;
				} else {
					uint8_t out = 0;
					for (int k = 0; k < 8; k++)
						out |= (uint8_t)((g[x + k] < t[k]) << (7 - k));
					row[x >> 3] |= out;
				}
				if (wipe)
					memset(g + x, 255, 8);
			}
		}
		int tail = x;
		for (; x < gw; x++) {
			int bx = x0 + x;
			if (g[x] == 255 || bx < 0 || bx >= b->w)
				continue;
			if (g[x] < t[bx & 7])
				row[bx >> 3] |= (uint8_t)(0x80 >> (bx & 7));
		}
		if (wipe && tail < gw)
			memset(g + tail, 255, (size_t)(gw - tail));
	}
}

void bitmap_dither_gray(struct bitmap *b, int x0, int y0, const uint8_t *gray, int gw, int gh,
	ptrdiff_t gstride)
{
	dither(b, x0, y0, (uint8_t *)(uintptr_t)gray, gw, gh, gstride, 0);
}

void bitmap_dither_gray_wipe(struct bitmap *b, uint8_t *gray, int gw, int gh, ptrdiff_t gstride)
{
	dither(b, 0, 0, gray, gw, gh, gstride, 1);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* 1 read fully, 0 nothing at all (EOF), -1 error or short. */
static int read_all(int fd, void *p, size_t n)
{
	uint8_t *c = p;
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, c + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			return got == 0 ? 0 : -1;
		got += (size_t)r;
	}
	return 1;
}

int bitmap_write_fd(int fd, const struct bitmap *b)
{
	uint8_t hdr[16];
	memcpy(hdr, "FVPG", 4);
	put32(hdr + 4, (uint32_t)b->w);
	put32(hdr + 8, (uint32_t)b->h);
	put32(hdr + 12, 0);
	if (fd_write_all(fd, hdr, sizeof(hdr)) < 0)
		return -1;
	return fd_write_all(fd, b->bits, (size_t)b->h * b->stride);
}

int bitmap_parse_header(const uint8_t hdr[16], int width, int rows_max, int *w, int *h)
{
	if (memcmp(hdr, "FVPG", 4) != 0 || get32(hdr + 12) != 0)
		return -1;
	uint32_t hw = get32(hdr + 4), hh = get32(hdr + 8);
	if (hw != (uint32_t)width || hh == 0 || hh > (uint32_t)rows_max)
		return -1;
	*w = (int)hw;
	*h = (int)hh;
	return 0;
}

int bitmap_stream_next(uint8_t *mem, size_t len, size_t *off, int width, int rows_max,
	struct bitmap *view)
{
	if (*off == len)
		return 0;
	if (*off > len || len - *off < 16)
		return -1;
	int w, h;
	if (bitmap_parse_header(mem + *off, width, rows_max, &w, &h) < 0)
		return -1;
	size_t stride = (size_t)(w + 7) / 8, n = stride * (size_t)h;
	if (len - *off - 16 < n)
		return -1;
	view->w = w;
	view->h = h;
	view->stride = (int)stride;
	view->bits = mem + *off + 16;
	*off += 16 + n;
	return 1;
}

int bitmap_read_fd_reuse(int fd, int width, int rows_max, struct bitmap **b)
{
	uint8_t hdr[16];
	int w, h;
	int rc = read_all(fd, hdr, sizeof(hdr));
	if (rc <= 0)
		return rc;
	if (bitmap_parse_header(hdr, width, rows_max, &w, &h) < 0)
		return -1;
	if (!*b || (*b)->w != w || (size_t)(*b)->h * (*b)->stride < (size_t)h * (size_t)((w + 7) / 8)) {
		bitmap_free(*b);
		*b = bitmap_new(w, h);
	}
	(*b)->h = h;
	return read_all(fd, (*b)->bits, (size_t)h * (*b)->stride) == 1 ? 1 : -1;
}

int bitmap_read_fd(int fd, int width, int rows_max, struct bitmap **out)
{
	uint8_t hdr[16];
	int w, h;
	*out = NULL;
	int rc = read_all(fd, hdr, sizeof(hdr));
	if (rc <= 0)
		return rc;
	if (bitmap_parse_header(hdr, width, rows_max, &w, &h) < 0)
		return -1;
	struct bitmap *b = bitmap_new(w, h);
	if (read_all(fd, b->bits, (size_t)h * b->stride) != 1) {
		bitmap_free(b);
		return -1;
	}
	*out = b;
	return 1;
}
