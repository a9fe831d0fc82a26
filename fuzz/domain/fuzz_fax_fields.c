/* Fuzz target: the form fields of a fax submission as a client sends them
 * (lines "name=value", a name may repeat): the "to" list, send_at, retries,
 * the delay, the resolution and the texts (fax_opts_parse); and CSV quoting
 * of the same text, read back as RFC 4180 says. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fax/fax.h"

/* Reads one RFC 4180 field back from s[0..n); must give exactly want. */
static void csv_roundtrip(const char *s, size_t n, const char *want)
{
	buf_t out;
	buf_init(&out, n + 1);
	size_t i = 0;
	if (n && s[0] == '"') {
		for (i = 1; i < n; i++) {
			if (s[i] == '"') {
				if (i + 1 < n && s[i + 1] == '"') {
					buf_append(&out, "\"", 1);
					i++;
					continue;
				}
				break;
			}
			buf_append(&out, s + i, 1);
		}
		if (i != n - 1) /* the closing quote ends the field */
			abort();
	} else {
		if (memchr(s, ',', n) || memchr(s, '"', n) || memchr(s, '\n', n) || memchr(s, '\r', n))
			abort();
		buf_append(&out, s, n);
	}
	if (out.len != strlen(want) || (out.len && memcmp(out.data, want, out.len) != 0))
		abort();
	buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *fields = json_object();
	const char *p = (const char *)data, *end = p + size;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		const char *eq = memchr(p, '=', (size_t)(le - p));
		if (eq && eq > p && eq - p < 64) {
			char name[64];
			memcpy(name, p, (size_t)(eq - p));
			name[eq - p] = '\0';
			json_t *v = json_stringn(eq + 1, (size_t)(le - eq - 1));
			if (v) {
				const char *txt = json_string_value(v);
				buf_t b;
				buf_init(&b, 4 * strlen(txt) + 8);
				if (csv_field(&b, txt) != 0)
					abort();
				csv_roundtrip(b.data ? b.data : "", b.len, txt);
				buf_free(&b);
			}
			if (v && !memchr(p, '\0', (size_t)(eq - p))) {
				json_t *arr = json_object_get(fields, name);
				if (!arr) {
					arr = json_array();
					json_object_set_new(fields, name, arr);
				}
				json_array_append_new(arr, v);
			} else {
				json_decref(v);
			}
		}
		p = nl ? nl + 1 : end;
	}
	fax_opts_t o;
	dom_err_t e = { 0 };
	if (fax_opts_parse(fields, &o, &e) == 0) {
		if (o.nto < 1 || o.nto > FAX_TO_MAX || o.retries < 0 || o.retries > FAX_RETRIES_MAX ||
		    o.retry_delay_seconds < FAX_DELAY_MIN || o.retry_delay_seconds > FAX_DELAY_MAX)
			abort();
		for (int i = 0; i < o.nto; i++) {
			if (!e164_valid(o.to[i]))
				abort();
			for (int k = 0; k < i; k++)
				if (strcmp(o.to[i], o.to[k]) == 0)
					abort();
		}
		if ((o.cover_text && strlen(o.cover_text) > FAX_TEXT_MAX) ||
		    (o.header_text && strlen(o.header_text) > FAX_LINE_MAX))
			abort();
	} else if (!e.kind) {
		abort();
	}
	json_decref(fields);
	return 0;
}
