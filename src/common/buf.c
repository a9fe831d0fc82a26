/* Growable buffers with a ceiling (see buf.h). */
#include "buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

void buf_init(buf_t *b, size_t max)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->max = max;
}

void buf_free(buf_t *b)
{
	if (!b)
		return;
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void buf_reset(buf_t *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

static int reserve(buf_t *b, size_t extra)
{
	if (extra > b->max || b->len > b->max - extra)
		return -1;
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
	return 0;
}

int buf_append(buf_t *b, const void *p, size_t n)
{
	if (reserve(b, n) != 0)
		return -1;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int buf_puts(buf_t *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int buf_vprintf(buf_t *b, const char *fmt, va_list ap)
{
	va_list cp;
	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0 || reserve(b, (size_t)n) != 0)
		return -1;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int buf_printf(buf_t *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

int buf_read_file(buf_t *b, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	size_t before = b->len;
	char chunk[65536];
	size_t n;
	int err = 0;
	while (!err && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
		if (buf_append(b, chunk, n) != 0)
			err = EFBIG;
	if (!err && ferror(f))
		err = errno ? errno : EIO;
	fclose(f);
	if (err) {
		b->len = before;
		if (b->data)
			b->data[before] = '\0';
		errno = err;
		return -1;
	}
	return 0;
}

int buf_put_html(buf_t *b, const char *s)
{
	int rc = 0;
	for (; s && *s; s++) {
		switch (*s) {
		case '<': rc |= buf_puts(b, "&lt;"); break;
		case '>': rc |= buf_puts(b, "&gt;"); break;
		case '&': rc |= buf_puts(b, "&amp;"); break;
		case '"': rc |= buf_puts(b, "&quot;"); break;
		case '\'': rc |= buf_puts(b, "&#39;"); break;
		default: rc |= buf_append(b, s, 1);
		}
	}
	return rc ? -1 : 0;
}

char *buf_steal(buf_t *b)
{
	char *p = b->data ? b->data : xstrdup("");
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}
