/* T.6 two-dimensional coding. Codes are the T.4 modified Huffman tables
 * (terminating codes 0..63, make-up codes 64..2560) and the T.6 mode codes
 * (pass, horizontal, vertical -3..+3), written most significant bit first. */
#include "g4enc.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

struct code {
	uint16_t bits;
	uint8_t len;
};

/* T.4 table 2: white and black terminating codes, runs 0..63. */
static const struct code term[2][64] = {
	{ /* white */
	{0x35, 8}, {0x07, 6}, {0x07, 4}, {0x08, 4}, {0x0b, 4}, {0x0c, 4}, {0x0e, 4}, {0x0f, 4},
	{0x13, 5}, {0x14, 5}, {0x07, 5}, {0x08, 5}, {0x08, 6}, {0x03, 6}, {0x34, 6}, {0x35, 6},
	{0x2a, 6}, {0x2b, 6}, {0x27, 7}, {0x0c, 7}, {0x08, 7}, {0x17, 7}, {0x03, 7}, {0x04, 7},
	{0x28, 7}, {0x2b, 7}, {0x13, 7}, {0x24, 7}, {0x18, 7}, {0x02, 8}, {0x03, 8}, {0x1a, 8},
	{0x1b, 8}, {0x12, 8}, {0x13, 8}, {0x14, 8}, {0x15, 8}, {0x16, 8}, {0x17, 8}, {0x28, 8},
	{0x29, 8}, {0x2a, 8}, {0x2b, 8}, {0x2c, 8}, {0x2d, 8}, {0x04, 8}, {0x05, 8}, {0x0a, 8},
	{0x0b, 8}, {0x52, 8}, {0x53, 8}, {0x54, 8}, {0x55, 8}, {0x24, 8}, {0x25, 8}, {0x58, 8},
	{0x59, 8}, {0x5a, 8}, {0x5b, 8}, {0x4a, 8}, {0x4b, 8}, {0x32, 8}, {0x33, 8}, {0x34, 8},
	},
	{ /* black */
	{0x37, 10}, {0x02, 3}, {0x03, 2}, {0x02, 2}, {0x03, 3}, {0x03, 4}, {0x02, 4}, {0x03, 5},
	{0x05, 6}, {0x04, 6}, {0x04, 7}, {0x05, 7}, {0x07, 7}, {0x04, 8}, {0x07, 8}, {0x18, 9},
	{0x17, 10}, {0x18, 10}, {0x08, 10}, {0x67, 11}, {0x68, 11}, {0x6c, 11}, {0x37, 11}, {0x28, 11},
	{0x17, 11}, {0x18, 11}, {0xca, 12}, {0xcb, 12}, {0xcc, 12}, {0xcd, 12}, {0x68, 12}, {0x69, 12},
	{0x6a, 12}, {0x6b, 12}, {0xd2, 12}, {0xd3, 12}, {0xd4, 12}, {0xd5, 12}, {0xd6, 12}, {0xd7, 12},
	{0x6c, 12}, {0x6d, 12}, {0xda, 12}, {0xdb, 12}, {0x54, 12}, {0x55, 12}, {0x56, 12}, {0x57, 12},
	{0x64, 12}, {0x65, 12}, {0x52, 12}, {0x53, 12}, {0x24, 12}, {0x37, 12}, {0x38, 12}, {0x27, 12},
	{0x28, 12}, {0x58, 12}, {0x59, 12}, {0x2b, 12}, {0x2c, 12}, {0x5a, 12}, {0x66, 12}, {0x67, 12},
	},
};

/* T.4 table 3: make-up codes for 64, 128, ... 1728 (index run/64 - 1),
 * then the extended ones common to both colours, 1792 ... 2560. */
static const struct code makeup[2][27] = {
	{ /* white */
	{0x1b, 5}, {0x12, 5}, {0x17, 6}, {0x37, 7}, {0x36, 8}, {0x37, 8}, {0x64, 8}, {0x65, 8},
	{0x68, 8}, {0x67, 8}, {0xcc, 9}, {0xcd, 9}, {0xd2, 9}, {0xd3, 9}, {0xd4, 9}, {0xd5, 9},
	{0xd6, 9}, {0xd7, 9}, {0xd8, 9}, {0xd9, 9}, {0xda, 9}, {0xdb, 9}, {0x98, 9}, {0x99, 9},
	{0x9a, 9}, {0x18, 6}, {0x9b, 9},
	},
	{ /* black */
	{0x0f, 10}, {0xc8, 12}, {0xc9, 12}, {0x5b, 12}, {0x33, 12}, {0x34, 12}, {0x35, 12}, {0x6c, 13},
	{0x6d, 13}, {0x4a, 13}, {0x4b, 13}, {0x4c, 13}, {0x4d, 13}, {0x72, 13}, {0x73, 13}, {0x74, 13},
	{0x75, 13}, {0x76, 13}, {0x77, 13}, {0x52, 13}, {0x53, 13}, {0x54, 13}, {0x55, 13}, {0x5a, 13},
	{0x5b, 13}, {0x64, 13}, {0x65, 13},
	},
};

static const struct code makeup_ext[13] = {
	{0x08, 11}, {0x0c, 11}, {0x0d, 11}, {0x12, 12}, {0x13, 12}, {0x14, 12}, {0x15, 12},
	{0x16, 12}, {0x17, 12}, {0x1c, 12}, {0x1d, 12}, {0x1e, 12}, {0x1f, 12},
};

/* Vertical mode codes for a1 - b1 = -3 .. +3, then the pass mode's. */
static const struct code vpcode[8] = {
	{0x02, 7}, {0x02, 6}, {0x02, 3}, {0x01, 1}, {0x03, 3}, {0x03, 6}, {0x03, 7}, {0x01, 4},
};

/* The make-up code for a run of 64 m pixels, m = 0 .. 40 (none for 0). */
static struct code makeup_any(int black, int m)
{
	if (m == 0)
		return (struct code){0, 0};
	return m <= 27 ? makeup[black][m - 1] : makeup_ext[m - 28];
}

struct bitw {
	uint8_t *out;
	size_t len, cap;
	uint64_t acc; /* pending bits, at the top: bits 63 .. 64 - n */
	int n;        /* < 8 between calls */
};

/* Appends the low len (<= 56) bits of bits. The pending bits go out as one
 * 8-byte store whatever their count (out must have 8 bytes to spare past
 * len), the whole bytes among them are kept: no branch on the count. */
static inline __attribute__((always_inline)) void put(struct bitw *w, uint64_t bits, int len)
{
	w->acc |= bits << (64 - w->n - len);
	w->n += len;
	uint64_t v = __builtin_bswap64(w->acc);
	memcpy(w->out + w->len, &v, 8);
	w->len += (size_t)(w->n >> 3);
	w->acc <<= w->n & ~7;
	w->n &= 7;
}

/* k vertical-mode-0 codes (one bit each). */
static void put_v0s(struct bitw *w, int k)
{
	for (; k > 56; k -= 56)
		put(w, (UINT64_C(1) << 56) - 1, 56);
	if (k > 0)
		put(w, (UINT64_C(1) << k) - 1, k);
}

/* A run's codes appended to the low *len bits of *v: runs past 2560 + 63
 * first write what is pending and their 2560 make-up codes through w, the
 * rest (at most 13 + 12 bits) is appended. */
static inline __attribute__((always_inline)) void add_run(struct bitw *w, uint64_t *v, int *len,
                                                          int run, int black)
{
	if (__builtin_expect(run >= 2560 + 64, 0)) {
		put(w, *v, *len);
		*v = 0;
		*len = 0;
		while (run >= 2560 + 64) {
			put(w, makeup_ext[12].bits, makeup_ext[12].len);
			run -= 2560;
		}
	}
	struct code m = makeup_any(black, run >> 6), t = term[black][run & 63];
	*v = ((*v << m.len | m.bits) << t.len) | t.bits;
	*len += m.len + t.len;
}

/* The changing elements of a row (positions whose colour differs from the
 * pixel before, an imaginary white pixel before the first), then three
 * sentinels at w. c must hold w + 11 entries. Returns the count. The row
 * is read 64 pixels at a time as a big-endian word x: the pixels that
 * differ from their left neighbour are the bits of x ^ (x >> 1, the last
 * pixel of the word before shifted in), taken highest first; a word
 * holding no change costs one compare. */
int g4_row_changes(const uint8_t *line, int w, int *c)
{
	int n = 0, wbytes = (w + 7) >> 3;
	uint64_t last = 0; /* colour of the pixel before the current word */
	int i = 0;
	for (; i + 8 <= wbytes; i += 8) {
		uint64_t x;
		memcpy(&x, line + i, 8);
		x = __builtin_bswap64(x);
		uint64_t t = x ^ ((x >> 1) | (last << 63));
		last = x & 1;
		while (t) {
			int k = __builtin_clzll(t);
			c[n++] = i * 8 + k;
			t &= ~(UINT64_C(0x8000000000000000) >> k);
		}
	}
	if (i < wbytes) {
		/* The last bytes, as the high bytes of a word (zero below them:
		 * a change they may add lies past w and is dropped below). */
		uint64_t x = 0;
		for (int k = 0; i + k < wbytes; k++)
			x |= (uint64_t)line[i + k] << (56 - 8 * k);
		uint64_t t = x ^ ((x >> 1) | (last << 63));
		while (t) {
			int k = __builtin_clzll(t);
			c[n++] = i * 8 + k;
			t &= ~(UINT64_C(0x8000000000000000) >> k);
		}
	}
	while (n > 0 && c[n - 1] >= w) /* bits past the width */
		n--;
	c[n] = c[n + 1] = c[n + 2] = w;
	return n;
}

/* One row in T.6, from its changes ca and the reference row's changes rb.
 * A change at an even index turns the line black, at an odd one white. */
static void encode_row(struct bitw *wrp, const int *ca, const int *rb, int w)
{
	/* The writer's state in locals for the row: stores through its
	 * output bytes could otherwise alias it, and be reloaded each code. */
	struct bitw wrl = *wrp, *wr = &wrl;
	int a0 = -1, color = 0, ia = 0, jr = 0;
	for (;;) {
		/* a0 only grows (and stays below w here, where the sentinels
		 * are): a1 is the first change of the row past a0, ca[ia]; jr
		 * the first change of the reference row past a0 (at most the
		 * first sentinel); b1 the first there that turns it to the other
		 * colour than a0's, which, changes alternating, is jr or the one
		 * after it (an even index turns the line black). */
		int jb = jr + ((jr ^ color) & 1);
		int a1 = ca[ia], b1 = rb[jb], b2 = rb[jb + 1];
		/* Each mode moves ia and jr to where a0 leaves them: a pass
		 * puts a0 on b2, so the reference row's next change is the one
		 * after b2 and a1 stays; a vertical mode 0 puts a0 on a1 = b1,
		 * the next of each row is the one after; otherwise a1 (or a2)
		 * is passed and the reference row's changes up to it skipped. */
		if (b2 < a1) {
			put(wr, vpcode[7].bits, vpcode[7].len);
			a0 = b2;
			jr = jb + 2;
		} else if (a1 == b1) {
			put(wr, 1, 1);
			a0 = a1;
			ia++;
			jr = jb + 1;
			color ^= 1;
		} else if ((unsigned)(a1 - b1 + 3) <= 6) {
			put(wr, vpcode[a1 - b1 + 3].bits, vpcode[a1 - b1 + 3].len);
			a0 = a1;
			ia++;
			color ^= 1;
			if (a0 >= w) /* the reference row's sentinels are <= a0 */
				break;
			while (rb[jr] <= a0)
				jr++;
		} else {
			int a2 = a1 < w ? ca[ia + 1] : w;
			uint64_t v = 1; /* the horizontal mode's code, 001 */
			int len = 3;
			add_run(wr, &v, &len, a1 - (a0 < 0 ? 0 : a0), color);
			add_run(wr, &v, &len, a2 - a1, !color);
			put(wr, v, len);
			a0 = a2;
			ia += 2;
			if (a0 >= w)
				break;
			while (rb[jr] <= a0)
				jr++;
		}
		if (a0 >= w)
			break;
	}
	*wrp = wrl;
}

uint8_t *g4_encode(const uint8_t *bits, int w, int h, size_t stride, size_t *len)
{
	size_t rowbytes = (size_t)(w + 7) / 8;
	uint8_t *white = xcalloc(rowbytes + 8, 1);
	struct bitw wr = {NULL, 0, 0, 0, 0};
	/* A row costs at most w + 1 changes of at most 3 + 2 x 27 bits. */
	size_t row_max = ((size_t)w + 2) * 8 + 16;
	wr.cap = row_max * 2 + 64;
	wr.out = xmalloc(wr.cap);
	int *ca = xmalloc(((size_t)w + 11) * sizeof(int));
	int *rb = xmalloc(((size_t)w + 11) * sizeof(int));
	int nb = g4_row_changes(white, w, rb);
	const uint8_t *ref = white;
	for (int y = 0; y < h; y++) {
		if (wr.cap - wr.len < row_max) {
			wr.cap = wr.cap * 2 + row_max;
			wr.out = xrealloc(wr.out, wr.cap);
		}
		const uint8_t *row = bits + (size_t)y * stride;
		/* A row like the one above (blank lines, the second row of a
		 * fine page): each change, and the end, is vertical mode 0. */
		if (memcmp(row, ref, rowbytes) == 0) {
			put_v0s(&wr, nb + 1);
			ref = row;
			continue;
		}
		nb = g4_row_changes(row, w, ca);
		encode_row(&wr, ca, rb, w);
		int *t = rb;
		rb = ca;
		ca = t;
		ref = row;
	}
	free(ca);
	free(rb);
	if (wr.cap - wr.len < 16) {
		wr.cap += 16;
		wr.out = xrealloc(wr.out, wr.cap);
	}
	put(&wr, 0x001001, 24); /* EOFB: two EOLs */
	if (wr.n > 0) /* the last bits, padded to a byte */
		put(&wr, 0, 8 - wr.n);
	free(white);
	*len = wr.len;
	return wr.out;
}
