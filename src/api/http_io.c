/* A request and its answer as the pipeline sees them (see http_io.h). */
#include "http_io.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "sec.h"
#include "xalloc.h"

const char *http_pick_lang(const char *al)
{
	if (!al)
		return NULL;
	/* First of "fr…" or "en…" in the header's order wins; q=0 excludes. */
	const char *p = al;
	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		size_t n = strcspn(p, ",");
		bool excluded = false;
		const char *q = memchr(p, ';', n);
		if (q && strstr(q, "q=0") && !strstr(q, "q=0."))
			excluded = true;
		if (!excluded && n >= 2 && strncasecmp(p, "fr", 2) == 0)
			return "fr";
		if (!excluded && n >= 2 && strncasecmp(p, "en", 2) == 0)
			return "en";
		p += n;
	}
	return "en";
}

void http_request_id(const char *h, char *out, size_t n)
{
	if (h) {
		size_t l = strlen(h);
		bool ok = l > 0 && l <= HTTP_REQUEST_ID_MAX;
		for (size_t i = 0; ok && i < l; i++)
			ok = isalnum((unsigned char)h[i]) || strchr("-_.:", h[i]);
		if (ok) {
			snprintf(out, n, "%s", h);
			return;
		}
	}
	/* "req_" and 20 characters of sec_new_id's alphabet. The random bytes
	 * are drawn for 64 ids at a time per thread: one system call per
	 * request (getrandom) was a third of what a /healthz probe cost the
	 * service in calls. An id names a request in logs; it is no secret. */
	static const char b32[] = "abcdefghijkmnpqrstuvwxyz23456789";
	static _Thread_local uint8_t pool[20 * 64];
	static _Thread_local size_t left;
	if (left < 20) {
		sec_random(pool, sizeof pool);
		left = sizeof pool;
	}
	const uint8_t *r = pool + sizeof pool - left;
	left -= 20;
	char id[25] = "req_";
	for (int i = 0; i < 20; i++)
		id[4 + i] = b32[r[i] & 31];
	id[24] = '\0';
	snprintf(out, n, "%s", id);
}

const char *http_in_header(const http_in_t *in, const char *name)
{
	for (size_t i = 0; i < in->nheaders; i++)
		if (strcasecmp(in->headers[i].name, name) == 0)
			return in->headers[i].value;
	return NULL;
}

void http_out_add(http_out_t *o, const char *name, const char *value)
{
	if (o->nheaders == o->cap) {
		o->cap = o->cap ? o->cap * 2 : 16;
		o->headers = xrealloc(o->headers, o->cap * sizeof *o->headers);
	}
	o->headers[o->nheaders].name = xstrdup(name);
	o->headers[o->nheaders].value = xstrdup(value);
	o->nheaders++;
}

void http_out_free(http_out_t *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->nheaders; i++) {
		free((char *)o->headers[i].name);
		free((char *)o->headers[i].value);
	}
	free(o->headers);
	free(o->body);
	if (o->has_fd && o->body_fd >= 0)
		close(o->body_fd);
	o->headers = NULL;
	o->nheaders = o->cap = 0;
	o->body = NULL;
	o->len = 0;
	o->has_fd = false;
}
