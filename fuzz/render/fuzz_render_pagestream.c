/* The page-stream header that the parent reads from a renderer child (which
 * may be compromised), and the coded page's header from a helper that
 * composes: any 16 bytes, and a whole stream through a pipe-like file,
 * never accepted out of bounds. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bitmap.h"
#include "helper.h"
#include "render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size >= 16) {
		int w, h;
		if (bitmap_parse_header(data, RENDER_WIDTH, 2000, &w, &h) == 0 &&
			(w != RENDER_WIDTH || h < 1 || h > 2000))
			abort();
		/* A coded page's header from a helper that composes. */
		size_t len;
		if (helper_coded_parse(data, 2000, &w, &h, &len) == 0 &&
			(w != RENDER_WIDTH || h < 1 || h > 2000 || len > HELPER_CODED_MAX(h)))
			abort();
	}
	/* In memory, as the parent reads a mapped stream. */
	uint8_t *copy = malloc(size ? size : 1);
	if (!copy)
		abort();
	if (size)
		memcpy(copy, data, size);
	size_t off = 0;
	for (int pages = 0; pages < 64; pages++) {
		struct bitmap v;
		int rc = bitmap_stream_next(copy, size, &off, RENDER_WIDTH, 64, &v);
		if (rc <= 0)
			break;
		if (v.w != RENDER_WIDTH || v.h < 1 || v.h > 64 || off > size ||
			v.bits + (size_t)v.h * v.stride > copy + size)
			abort();
	}
	free(copy);

	FILE *f = tmpfile();
	if (!f)
		return 0;
	if (size && fwrite(data, 1, size, f) != size) {
		fclose(f);
		return 0;
	}
	fflush(f);
	int fd = fileno(f);
	lseek(fd, 0, SEEK_SET);
	for (int pages = 0; pages < 64; pages++) {
		struct bitmap *b;
		int rc = bitmap_read_fd(fd, RENDER_WIDTH, 64, &b);
		if (rc <= 0)
			break;
		if (b->w != RENDER_WIDTH || b->h < 1 || b->h > 64)
			abort();
		bitmap_free(b);
	}
	fclose(f);
	return 0;
}
