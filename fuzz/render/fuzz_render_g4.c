/* The T.6 encoder against MuPDF's CCITT decoder: any bitmap (width and
 * height from the first bytes, pixels from the rest) must decode back to
 * itself; and each row's changing elements, found a word at a time, are
 * those a pixel-by-pixel walk finds. */
#include <mupdf/fitz.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "g4enc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	int w = 1 + ((data[0] << 8 | data[1]) % 2600);
	size_t stride = (size_t)(w + 7) / 8;
	int h = 1 + data[2] % 64;
	uint8_t *bits = calloc((size_t)h, stride);
	if (!bits)
		abort();
	/* The pixels, repeated to fill the page; bits past w cleared (the
	 * decoder returns them as 0). */
	size_t n = size - 3;
	for (size_t i = 0; n && i < (size_t)h * stride; i++)
		bits[i] = data[3 + i % n];
	if (w & 7)
		for (int y = 0; y < h; y++)
			bits[(size_t)y * stride + stride - 1] &= (uint8_t)(0xff00 >> (w & 7));
	/* Each row's changing elements as the encoder finds them, against
	 * a pixel-by-pixel walk. */
	int *c = malloc(((size_t)w + 11) * sizeof(int));
	if (!c)
		abort();
	for (int y = 0; y < h; y++) {
		const uint8_t *row = bits + (size_t)y * stride;
		int nc = g4_row_changes(row, w, c), k = 0, prev = 0;
		for (int x = 0; x < w; x++) {
			int v = (row[x >> 3] >> (7 - (x & 7))) & 1;
			if (v != prev && (k >= nc || c[k++] != x))
				abort();
			prev = v;
		}
		if (k != nc || c[nc] != w || c[nc + 1] != w || c[nc + 2] != w)
			abort();
	}
	free(c);
	size_t len;
	uint8_t *g4 = g4_encode(bits, w, h, stride, &len);

	fz_context *ctx = fz_new_context(NULL, NULL, 0);
	if (!ctx)
		abort();
	fz_stream *mem = NULL, *fax = NULL;
	uint8_t *out = calloc((size_t)h, stride);
	size_t got = 0;
	fz_try(ctx)
	{
		mem = fz_open_memory(ctx, g4, len);
		fax = fz_open_faxd(ctx, mem, -1, 0, 0, w, h, 1, 1);
		got = fz_read(ctx, fax, out, (size_t)h * stride);
	}
	fz_always(ctx)
	{
		fz_drop_stream(ctx, fax);
		fz_drop_stream(ctx, mem);
	}
	fz_catch(ctx)
	{
		abort();
	}
	fz_drop_context(ctx);
	if (got != (size_t)h * stride || memcmp(out, bits, got) != 0)
		abort();
	free(out);
	free(g4);
	free(bits);
	return 0;
}
