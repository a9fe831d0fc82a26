/* Document sniffing, UTF-8 decoding and plain-text layout over any bytes:
 * no crash, no read out of bounds, and the invariants that hold. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "textdraw.h"

struct check {
	size_t n;
	const uint8_t *base;
	int cols, rows, cap;
};

static void run_cb(void *ctx, int page, int row, int col, const uint8_t *s, size_t n)
{
	const struct check *c = ctx;
	/* Every run lies inside the input and inside the page grid. */
	if (s < c->base || s + n > c->base + c->n || n == 0 || page < 0 || page > c->cap ||
		row < 0 || row >= c->rows || col < 0 || col >= c->cols)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum render_type t = render_sniff(data, size);
	if (strcmp(render_type_name(t), "") == 0)
		abort();
	/* Windows-1252 text: taken exactly when it is clearly such, and then
	 * UTF-8 text for the sniffer; only what the sniffer refuses is text of
	 * another kind. */
	enum render_text_kind kind = render_text_kind(data, size);
	if (kind != RENDER_TEXT_NONE && t != RENDER_TYPE_UNKNOWN)
		abort();
	uint8_t *u = NULL;
	size_t ulen = 0;
	if (render_text_cp1252(data, size, &u, &ulen) == 0) {
		if (kind != RENDER_TEXT_CP1252 || render_sniff(u, ulen) != RENDER_TYPE_TEXT)
			abort();
		free(u);
	} else if (u || kind == RENDER_TEXT_CP1252) {
		abort();
	}
	size_t i = 0, adv;
	while (i < size) {
		uint32_t cp = utf8_next(data + i, size - i, &adv);
		if (adv == 0 || adv > 4 || cp > 0x10ffff)
			abort();
		i += adv;
	}
	int cols = size ? 1 + data[0] % 100 : 10;
	int rows = size > 1 ? 1 + data[1] % 70 : 10;
	struct check c = {size, data, cols, rows, 20};
	int pages = textdoc_layout(data, size, cols, rows, 20, run_cb, &c);
	if (pages < 0 || pages > 21)
		abort();
	if (pages != textdoc_layout(data, size, cols, rows, 20, NULL, NULL))
		abort();
	return 0;
}
