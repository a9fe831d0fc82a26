/* Tables, key/value blocks and JSON output (see cli_out.h). */
#include "cli_out.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when invalid. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];
	size_t n;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* Overlong 3- and 4-byte forms, surrogates, beyond U+10FFFF. */
	if (n == 3 && c == 0xe0 && s[1] < 0xa0)
		return 0;
	if (n == 3 && c == 0xed && s[1] >= 0xa0)
		return 0;
	if (n == 4 && c == 0xf0 && s[1] < 0x90)
		return 0;
	if (n == 4 && c == 0xf4 && s[1] >= 0x90)
		return 0;
	return n;
}

void cli_out_sanitize(const char *s, buf_t *out)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		size_t n = utf8_len(p);
		if (n == 0 || (n == 1 && (*p < 0x20 || *p == 0x7f)) ||
		    (n == 2 && p[0] == 0xc2 && p[1] < 0xa0)) {
			buf_append(out, "?", 1);
			p += n ? n : 1; /* one '?' per character, or per invalid byte */
			continue;
		}
		buf_append(out, p, n);
		p += n;
	}
}

int cli_out_text_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		size_t n = utf8_len(p);
		if (n == 0 || (n == 1 && ((*p < 0x20 && *p != '\t') || *p == 0x7f)))
			return 0;
		p += n;
	}
	return 1;
}

size_t cli_out_width(const char *s)
{
	size_t w = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p & 0xc0) != 0x80)
			w++;
	return w;
}

static const json_t *lookup(const json_t *obj, const char *path)
{
	const json_t *cur = obj;
	const char *p = path;
	if (!*p)
		return NULL;
	while (cur && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		cur = json_is_object(cur) ? json_object_getn(cur, p, n) : NULL;
		p += n;
		if (*p == '.')
			p++;
	}
	return cur;
}

static void cell_value(const json_t *v, buf_t *out)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		cli_out_sanitize(json_string_value(v), out);
		break;
	case JSON_INTEGER:
		buf_printf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		buf_printf(out, "%g", json_real_value(v));
		break;
	case JSON_TRUE:
		buf_puts(out, "yes");
		break;
	case JSON_FALSE:
		buf_puts(out, "no");
		break;
	case JSON_NULL:
		break;
	case JSON_ARRAY: {
		size_t i;
		const json_t *e;
		json_array_foreach(v, i, e) {
			if (i)
				buf_puts(out, ",");
			cell_value(e, out);
		}
		break;
	}
	case JSON_OBJECT: {
		char *s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (s)
			cli_out_sanitize(s, out);
		free(s);
		break;
	}
	}
}

char *cli_out_cell(const json_t *obj, const char *path)
{
	buf_t b;
	buf_init(&b, (size_t)1 << 20);
	const char *p = path;
	while (b.len == 0 && p) {
		const char *bar = strchr(p, '|');
		char *one = bar ? xstrndup(p, (size_t)(bar - p)) : NULL;
		const json_t *v = lookup(obj, one ? one : p);
		if (v)
			cell_value(v, &b);
		free(one);
		p = bar ? bar + 1 : NULL;
	}
	if (b.len == 0)
		buf_puts(&b, "-");
	return buf_steal(&b);
}

static void pad(buf_t *out, size_t n)
{
	static const char spaces[] = "                                ";
	while (n) {
		size_t k = n < sizeof spaces - 1 ? n : sizeof spaces - 1;
		buf_append(out, spaces, k);
		n -= k;
	}
}

void cli_out_table(const struct cli_col *cols, size_t ncols, const json_t *items, buf_t *out)
{
	size_t nrows = json_is_array(items) ? json_array_size(items) : 0;
	char **cells = xcalloc((nrows + 1) * ncols, sizeof *cells);
	size_t *width = xcalloc(ncols, sizeof *width);
	for (size_t c = 0; c < ncols; c++) {
		cells[c] = xstrdup(cols[c].header);
		width[c] = cli_out_width(cells[c]);
	}
	for (size_t r = 0; r < nrows; r++) {
		const json_t *item = json_array_get(items, r);
		for (size_t c = 0; c < ncols; c++) {
			char *s = cli_out_cell(item, cols[c].path);
			size_t w = cli_out_width(s);
			if (w > width[c])
				width[c] = w;
			cells[(r + 1) * ncols + c] = s;
		}
	}
	for (size_t r = 0; r <= nrows; r++) {
		for (size_t c = 0; c < ncols; c++) {
			const char *s = cells[r * ncols + c];
			buf_puts(out, s);
			if (c + 1 < ncols)
				pad(out, width[c] - cli_out_width(s) + 2);
		}
		buf_puts(out, "\n");
	}
	for (size_t i = 0; i < (nrows + 1) * ncols; i++)
		free(cells[i]);
	free(cells);
	free(width);
}

void cli_out_kv(const struct cli_col *fields, size_t n, const json_t *obj, buf_t *out)
{
	size_t w = 0;
	for (size_t i = 0; i < n; i++) {
		size_t k = cli_out_width(fields[i].header) + 1;
		if (k > w)
			w = k;
	}
	for (size_t i = 0; i < n; i++) {
		char *s = cli_out_cell(obj, fields[i].path);
		buf_printf(out, "%s:", fields[i].header);
		pad(out, w - cli_out_width(fields[i].header) - 1 + 2);
		buf_printf(out, "%s\n", s);
		free(s);
	}
}

int cli_out_json(FILE *f, const json_t *j)
{
	if (json_dumpf(j, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY) != 0)
		return -1;
	return fputc('\n', f) == EOF ? -1 : 0;
}

void cli_out_write(FILE *f, const buf_t *b)
{
	if (b->len)
		fwrite(b->data, 1, b->len, f);
}
