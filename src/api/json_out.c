/* The compact JSON text of an answer (see json_out.h). */
#include "json_out.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "xalloc.h"

/* The first size of an answer's text. */
#define JSON_OUT_FIRST 1024

/* The length of the UTF-8 sequence at s (at most n bytes), or 0 when it
 * is not one jansson accepts: no overlong form, no surrogate, nothing past
 * U+10FFFF (jansson's utf8_check_first and utf8_check_full). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char u = s[0];
	size_t size;
	int32_t v;
	if (u < 0x80)
		return 1;
	if (u < 0xc2)
		return 0; /* a continuation byte, or an overlong 2-byte form */
	if (u < 0xe0) {
		size = 2;
		v = u & 0x1f;
	} else if (u < 0xf0) {
		size = 3;
		v = u & 0x0f;
	} else if (u < 0xf5) {
		size = 4;
		v = u & 0x07;
	} else {
		return 0;
	}
	if (size > n)
		return 0;
	for (size_t i = 1; i < size; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff) || (size == 3 && v < 0x800) ||
	    (size == 4 && v < 0x10000))
		return 0;
	return size;
}

/* A JSON string; -1 when s is not UTF-8. */
static int put_string(buf_t *b, const char *str, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *s = (const unsigned char *)str;
	size_t run = 0; /* start of the bytes not yet copied */
	if (buf_append(b, "\"", 1) != 0)
		return -1;
	for (size_t i = 0; i < len;) {
		unsigned char c = s[i];
		if (c >= 0x80) {
			size_t l = utf8_len(s + i, len - i);
			if (l == 0)
				return -1;
			i += l;
			continue;
		}
		if (c >= 0x20 && c != '"' && c != '\\') {
			i++;
			continue;
		}
		char esc[6] = { '\\', 0 };
		size_t el = 2;
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			el = 6;
		}
		if (buf_append(b, str + run, i - run) != 0 || buf_append(b, esc, el) != 0)
			return -1;
		run = ++i;
	}
	return buf_append(b, str + run, len - run) != 0 || buf_append(b, "\"", 1) != 0 ? -1 : 0;
}

/* jansson's own text of one value (a real). */
static int put_jansson(buf_t *b, const json_t *v)
{
	char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!t)
		return -1;
	int rc = buf_puts(b, t);
	free(t);
	return rc;
}

static int put_value(buf_t *b, const json_t *v, int depth)
{
	if (depth > JSON_OUT_DEPTH)
		return -1;
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		if (buf_append(b, "{", 1) != 0)
			return -1;
		bool first = true;
		for (void *it = json_object_iter((json_t *)v); it;
			it = json_object_iter_next((json_t *)v, it)) {
			if ((!first && buf_append(b, ",", 1) != 0) ||
			    put_string(b, json_object_iter_key(it), json_object_iter_key_len(it)) != 0 ||
			    buf_append(b, ":", 1) != 0 ||
			    put_value(b, json_object_iter_value(it), depth + 1) != 0)
				return -1;
			first = false;
		}
		return buf_append(b, "}", 1);
	}
	case JSON_ARRAY: {
		if (buf_append(b, "[", 1) != 0)
			return -1;
		size_t n = json_array_size(v);
		for (size_t i = 0; i < n; i++)
			if ((i && buf_append(b, ",", 1) != 0) ||
			    put_value(b, json_array_get(v, i), depth + 1) != 0)
				return -1;
		return buf_append(b, "]", 1);
	}
	case JSON_STRING:
		return put_string(b, json_string_value(v), json_string_length(v));
	case JSON_INTEGER: {
		char t[32];
		int n = snprintf(t, sizeof t, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return buf_append(b, t, (size_t)n);
	}
	case JSON_REAL:
		return put_jansson(b, v);
	case JSON_TRUE:
		return buf_append(b, "true", 4);
	case JSON_FALSE:
		return buf_append(b, "false", 5);
	case JSON_NULL:
		return buf_append(b, "null", 4);
	}
	return -1;
}

char *json_out_compact(const json_t *j)
{
	if (!json_is_object(j) && !json_is_array(j))
		return json_dumps(j, JSON_COMPACT);
	/* Room for most answers at once (a member's record, GET /v1/me: 300
	 * to 700 bytes), where the buffer grew from 64 bytes by doubling: three
	 * or four reallocations for each. */
	buf_t b;
	buf_init(&b, SIZE_MAX / 2);
	b.data = xmalloc(JSON_OUT_FIRST);
	b.data[0] = '\0';
	b.cap = JSON_OUT_FIRST;
	if (put_value(&b, j, 0) != 0) {
		/* Not UTF-8, too deep, or a cycle: jansson decides (NULL for
		 * the first and the last). */
		buf_free(&b);
		return json_dumps(j, JSON_COMPACT);
	}
	return buf_steal(&b);
}
